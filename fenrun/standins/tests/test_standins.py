"""The stand-ins refuse what the real providers refuse, and exist only where switched on."""

import json

import pytest
from django.test import Client
from django.utils import translation

from fenrun.orders.gateways.ecpay_mac import check_mac_value
from fenrun.orders.gateways.linepay_signature import signature
from fenrun.orders.tests.providers import ECPAY_TEST_MERCHANT, LINEPAY_STANDIN_CHANNEL
from fenrun.standins.models import StandinTrade

pytestmark = pytest.mark.django_db
MERCHANT, KEY, IV = ECPAY_TEST_MERCHANT


def _signed(fields):
    return {**fields, "CheckMacValue": check_mac_value(fields, KEY, IV)}


@pytest.fixture
def paid_card_trade():
    return StandinTrade.objects.create(
        provider="ecpay",
        merchant_id=MERCHANT,
        trade_no="FRTEST0000000000001",
        provider_trade_no="2512021200000001",
        amount=980,
        method="Credit",
        params={"ItemName": "茶 x 1"},
        status=StandinTrade.Status.PAID,
    )


def test_ecpay_checkout_refuses_an_unknown_merchant_and_bad_fields():
    client = Client()
    base = {
        "MerchantID": "9999999",
        "MerchantTradeNo": "FR1",
        "MerchantTradeDate": "2026/12/02 12:00:00",
        "PaymentType": "aio",
        "TotalAmount": "100",
        "TradeDesc": "x",
        "ItemName": "x",
        "ReturnURL": "http://testserver/pay/ecpay/return/",
        "ChoosePayment": "Credit",
        "EncryptType": "1",
    }
    url = "/standin/ecpay/Cashier/AioCheckOut/V5"
    assert b"unknown MerchantID" in client.post(url, _signed(base)).content
    for change, reason in [
        ({"MerchantTradeNo": "FR-1"}, b"MerchantTradeNo"),
        ({"MerchantTradeDate": "2026-12-02 12:00:00"}, b"MerchantTradeDate"),
        ({"TotalAmount": "100.5"}, b"TotalAmount"),
        ({"ChoosePayment": "ATM"}, b"PaymentInfoURL"),
    ]:
        answer = client.post(url, _signed({**base, "MerchantID": MERCHANT, **change}))
        assert answer.status_code == 400 and reason in answer.content
    assert not StandinTrade.objects.exists()


def test_ecpay_query_and_refund_need_a_right_checkmacvalue_and_amount(paid_card_trade):
    client = Client()
    query = {"MerchantID": MERCHANT, "MerchantTradeNo": paid_card_trade.trade_no, "TimeStamp": "1"}
    assert (
        b"CheckMacValue Error"
        in client.post(
            "/standin/ecpay/Cashier/QueryTradeInfo/V5", {**query, "CheckMacValue": "0" * 64}
        ).content
    )
    assert (
        b"TradeStatus=1"
        in client.post("/standin/ecpay/Cashier/QueryTradeInfo/V5", _signed(query)).content
    )
    action = {
        "MerchantID": MERCHANT,
        "MerchantTradeNo": paid_card_trade.trade_no,
        "TradeNo": paid_card_trade.provider_trade_no,
        "Action": "R",
        "TotalAmount": "979",
    }
    assert (
        b"RtnCode=0" in client.post("/standin/ecpay/CreditDetail/DoAction", _signed(action)).content
    )
    ok = client.post(
        "/standin/ecpay/CreditDetail/DoAction", _signed({**action, "TotalAmount": "980"})
    )
    assert b"RtnCode=1" in ok.content
    paid_card_trade.refresh_from_db()
    assert paid_card_trade.status == StandinTrade.Status.REFUNDED


def test_linepay_refuses_a_request_without_a_valid_signature():
    channel, secret = LINEPAY_STANDIN_CHANNEL
    body = json.dumps({"amount": 100, "currency": "TWD", "orderId": "LP1"})
    headers = {
        "X-LINE-ChannelId": channel,
        "X-LINE-Authorization-Nonce": "n-1",
        "X-LINE-Authorization": signature(secret, "/v3/payments/request", body, "n-2"),
    }
    answer = Client().post(
        "/standin/linepay/v3/payments/request",
        body,
        content_type="application/json",
        headers=headers,
    )
    assert answer.json()["returnCode"] == "1106"
    headers["X-LINE-Authorization"] = signature(secret, "/v3/payments/request", body, "n-1")
    answer = Client().post(
        "/standin/linepay/v3/payments/request",
        body,
        content_type="application/json",
        headers=headers,
    )
    assert answer.json()["returnCode"] == "1104"  # signed right, but no packages or redirect URLs


def test_the_stand_ins_answer_nothing_when_switched_off(settings, paid_card_trade):
    settings.FENRUN_STANDINS_ENABLED = False
    client = Client()
    assert client.get(f"/standin/ecpay/pay/{paid_card_trade.provider_trade_no}/").status_code == 404
    assert client.post("/standin/ecpay/Cashier/QueryTradeInfo/V5", {}).status_code == 404
    assert (
        client.post(
            "/standin/linepay/v3/payments/request", "{}", content_type="application/json"
        ).status_code
        == 404
    )


def test_the_stand_in_pages_show_statuses_and_methods_in_zh_hant(paid_card_trade):
    import re

    client = Client()
    page = client.get(f"/standin/ecpay/pay/{paid_card_trade.provider_trade_no}/").content.decode()
    assert re.search(r'id="standin-status" data-status="paid">已付款<', page)
    assert re.search(r'id="standin-method" data-method="Credit">信用卡<', page)
    assert "<dt>MerchantTradeNo</dt>" in page  # ECPay's own field names stay as ECPay calls them

    linepay = StandinTrade.objects.create(
        provider="linepay",
        merchant_id="1657000000",
        trade_no="FRTEST0000000000002",
        provider_trade_no="2026120200000000002",
        amount=980,
        method="linepay",
        status=StandinTrade.Status.AUTHORISED,
    )
    page = client.get(f"/standin/linepay/pay/{linepay.provider_trade_no}/").content.decode()
    assert re.search(r'data-status="authorised">已授權，等待商店確認<', page)
    with translation.override("zh-hant"):
        for status in StandinTrade.Status:
            linepay.status = status
            assert re.search(r"[\u4e00-\u9fff]", str(linepay.status_label)), status
    linepay.status = "unheard-of"
    assert linepay.status_label == "unheard-of"
