"""ECPay AIO end to end through its local stand-in, inside the test transaction.

The shop's checkout form goes to the stand-in, which checks it as ECPay would; the stand-in's
server-to-server messages come back to the shop's ReturnURL and PaymentInfoURL through
``in_process_http``. Forged, wrong-amount, wrong-merchant, unknown and repeated messages must
change nothing, and be answered as ECPay expects.
"""

import logging
import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fenrun.catalog.tests.factories import ProductFactory
from fenrun.orders.gateways.ecpay import ECPayGateway
from fenrun.orders.gateways.ecpay_mac import check_mac_value
from fenrun.orders.models import Order, Payment
from fenrun.orders.payments import reconcile_open_payments
from fenrun.orders.services import change_status
from fenrun.orders.status import OrderStatus
from fenrun.orders.tests.factories import ShippingMethodFactory
from fenrun.orders.tests.providers import ECPAY_TEST_MERCHANT
from fenrun.standins.models import StandinTrade

pytestmark = pytest.mark.django_db
_, KEY, IV = ECPAY_TEST_MERCHANT
RETURN_URL = "/pay/ecpay/return/"


def _checkout(client, method: str):
    product = ProductFactory(stock=5, price=Decimal("880"), name="高山茶")
    shipping = ShippingMethodFactory()
    client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 2})
    page = client.get(reverse("orders:checkout"))
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)
    return client.post(
        reverse("orders:checkout"),
        {
            "token": token,
            "email": "buyer@example.com",
            "recipient_name": "王小明",
            "recipient_phone": "0912345678",
            "shipping_method": shipping.pk,
            "county": "臺北市",
            "district": "大安區",
            "street": "復興南路一段1號",
            "postal_code": "106",
            "payment_method": method if "." in method else f"ecpay.{method}",
        },
    )


def _form(html: str, marker: str) -> tuple[str, dict]:
    """The action and hidden fields of the one form whose opening tag ends with ``marker``."""
    found = re.search(
        r'<form method="post" action="([^"]+)" ' + marker + r"(.*?)</form>", html, re.S
    )
    fields = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', found.group(2))
    )
    return found.group(1), {k: unescape(v) for k, v in fields.items()}


def _form_fields(response) -> tuple[str, dict]:
    return _form(response.content.decode(), 'id="provider-form"')


def _to_standin(client, method: str) -> tuple[Order, StandinTrade]:
    action, fields = _form_fields(_checkout(client, method))
    answer = client.post(action, fields)
    assert answer.status_code == 302, answer.content
    trade = StandinTrade.objects.get(trade_no=fields["MerchantTradeNo"])
    return Order.objects.get(), trade


def _signed(fields: dict) -> dict:
    return {**fields, "CheckMacValue": check_mac_value(fields, KEY, IV)}


def test_checkout_posts_the_documented_aio_form(client, ecpay_provider, in_process_http):
    response = _checkout(client, "card")
    action, fields = _form_fields(response)
    assert action == "http://testserver/standin/ecpay/Cashier/AioCheckOut/V5"
    assert re.fullmatch(r"[0-9A-Z]{1,20}", fields["MerchantTradeNo"])
    assert re.fullmatch(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d", fields["MerchantTradeDate"])
    assert fields["TotalAmount"] == "1760"  # 2 × 880, shipping free from 1500; an integer
    assert fields["ItemName"] == "高山茶 x 2"
    assert fields["ChoosePayment"] == "Credit" and fields["EncryptType"] == "1"
    assert fields["ReturnURL"] == "http://testserver" + RETURN_URL
    assert fields["CheckMacValue"] == check_mac_value(fields, KEY, IV)


def test_installments_are_offered_when_set(client, ecpay_provider, in_process_http):
    ecpay_provider.installments = [3, 6, 12]
    ecpay_provider.save()
    _action, fields = _form_fields(_checkout(client, "card"))
    assert fields["CreditInstallment"] == "3,6,12"


def test_standin_refuses_a_tampered_checkout_form(client, ecpay_provider, in_process_http):
    action, fields = _form_fields(_checkout(client, "card"))
    answer = client.post(action, {**fields, "TotalAmount": "1"})
    assert answer.status_code == 400
    assert b"CheckMacValue Error" in answer.content
    assert not StandinTrade.objects.exists()


def test_card_payment_is_applied_once_despite_forged_wrong_and_repeated_messages(
    client, ecpay_provider, in_process_http, caplog
):
    order, trade = _to_standin(client, "card")
    with caplog.at_level(logging.WARNING, logger="fenrun.orders.payments"):
        back = client.post(
            reverse("standins:ecpay_page", args=[trade.provider_trade_no]),
            {"action": "pay", "knob": ["forged", "wrong_amount", "duplicate"]},
        )
    trade.refresh_from_db()
    answers = [entry["answer"] for entry in trade.log]
    assert answers == [
        "400 0|bad CheckMacValue",
        "400 0|amount mismatch",
        "200 1|OK",
        "200 1|OK",  # the repeat is acknowledged, and changes nothing
    ]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.status_changes.filter(to_status=OrderStatus.PAID).count() == 1
    payment = order.payments.get()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.provider_reference == trade.provider_trade_no
    reasons = [getattr(r, "reason", "") for r in caplog.records]
    assert "bad CheckMacValue" in reasons and "amount mismatch" in reasons
    # The buyer's browser is posted back to OrderResultURL, which shows their order.
    action, fields = _form_fields_back(back)
    result = client.post(action, fields)
    assert result.status_code == 303
    assert result.url == reverse("orders:placed", args=[order.number])
    assert "已付款" in client.get(result.url).content.decode()


def _form_fields_back(response):
    return _form(response.content.decode(), "data-autosubmit")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"MerchantID": "2000132"}, "0|wrong merchant"),
        ({"MerchantTradeNo": "FRNOSUCHTRADE000000"}, "0|unknown payment"),
        ({"TradeAmt": "1"}, "0|amount mismatch"),
    ],
)
def test_a_genuinely_signed_but_wrong_message_changes_nothing(
    client, ecpay_provider, in_process_http, change, reason
):
    order, trade = _to_standin(client, "card")
    fields = {
        "MerchantID": trade.merchant_id,
        "MerchantTradeNo": trade.trade_no,
        "RtnCode": "1",
        "RtnMsg": "交易成功",
        "TradeNo": trade.provider_trade_no,
        "TradeAmt": str(trade.amount),
        "PaymentType": "Credit_CreditCard",
        **change,
    }
    answer = Client().post(RETURN_URL, _signed(fields))
    assert (answer.status_code, answer.content.decode()) == (400, reason)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert order.payments.get().status == Payment.Status.STARTED


def test_a_failed_card_leaves_the_order_waiting_and_payable_again(
    client, ecpay_provider, in_process_http
):
    order, trade = _to_standin(client, "card")
    client.post(reverse("standins:ecpay_page", args=[trade.provider_trade_no]), {"action": "fail"})
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert order.payments.get().status == Payment.Status.FAILED
    again = client.post(reverse("orders:pay", args=[order.number]))
    assert again.status_code == 200 and b"provider-form" in again.content
    assert order.payments.count() == 2


def test_atm_account_is_shown_and_mailed_until_paid_and_its_expiry_is_the_deadline(
    client, ecpay_provider, in_process_http, django_capture_on_commit_callbacks
):
    order, trade = _to_standin(client, "atm")
    assert trade.params["ChoosePayment"] == "ATM" and trade.params["PaymentInfoURL"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("standins:ecpay_page", args=[trade.provider_trade_no]), {"action": "issue"}
        )
    trade.refresh_from_db()
    payment = order.payments.get()
    assert payment.status == Payment.Status.STARTED
    assert payment.instructions["vAccount"] == trade.issued["vAccount"]
    order.refresh_from_db()
    assert order.pay_by == payment.expires_at
    assert order.pay_by > timezone.now() + timedelta(days=2)  # ECPay's days, not the 1 h
    page = client.get(reverse("orders:placed", args=[order.number])).content.decode()
    assert trade.issued["vAccount"] in page and "812" in page
    assert "ATM 虛擬帳號（綠界）" in page  # the method the buyer chose, by its name
    instructions = [m for m in mail.outbox if trade.issued["vAccount"] in m.body]
    assert len(instructions) == 1
    # The buyer transfers; ECPay's ReturnURL message pays the order, and the account goes.
    client.post(reverse("standins:ecpay_page", args=[trade.provider_trade_no]), {"action": "pay"})
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    page = client.get(reverse("orders:placed", args=[order.number])).content.decode()
    assert trade.issued["vAccount"] not in page


def test_a_payment_info_message_after_the_payment_changes_nothing(
    client, ecpay_provider, in_process_http
):
    order, trade = _to_standin(client, "atm")
    base = {
        "MerchantID": trade.merchant_id,
        "MerchantTradeNo": trade.trade_no,
        "TradeNo": trade.provider_trade_no,
        "TradeAmt": str(trade.amount),
        "PaymentType": "ATM_TAISHIN",
    }
    paid = Client().post(RETURN_URL, _signed({**base, "RtnCode": "1", "RtnMsg": "OK"}))
    late = Client().post(
        "/pay/ecpay/payment-info/",
        _signed(
            {
                **base,
                "RtnCode": "2",
                "BankCode": "812",
                "vAccount": "9103000000000001",
                "ExpireDate": "2030/01/01",
            }
        ),
    )
    assert paid.content == late.content == b"1|OK"
    payment = order.payments.get()
    assert payment.status == Payment.Status.SUCCEEDED and payment.instructions == {}


@pytest.mark.parametrize("method", ["cvs", "barcode"])
def test_store_code_and_barcode_are_issued_and_shown(
    client, ecpay_provider, in_process_http, method
):
    order, trade = _to_standin(client, method)
    client.post(reverse("standins:ecpay_page", args=[trade.provider_trade_no]), {"action": "issue"})
    trade.refresh_from_db()
    shown = trade.issued["PaymentNo"] if method == "cvs" else trade.issued["Barcode2"]
    assert shown in client.get(reverse("orders:placed", args=[order.number])).content.decode()


def test_a_result_that_never_came_is_found_by_the_query_job(
    client, ecpay_provider, in_process_http
):
    order, trade = _to_standin(client, "card")
    client.post(
        reverse("standins:ecpay_page", args=[trade.provider_trade_no]),
        {"action": "pay", "knob": "hold"},
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert reconcile_open_payments() == 0  # too young to chase
    assert reconcile_open_payments(now=timezone.now() + timedelta(minutes=11)) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    # The held message arriving at last is a repeat.
    client.post(
        reverse("standins:ecpay_page", args=[trade.provider_trade_no]), {"action": "send_held"}
    )
    trade.refresh_from_db()
    assert trade.log[-1]["answer"] == "200 1|OK"
    assert order.status_changes.filter(to_status=OrderStatus.PAID).count() == 1


def test_refunding_a_card_order_refunds_it_at_ecpay(
    client, ecpay_provider, in_process_http, django_capture_on_commit_callbacks
):
    order, trade = _to_standin(client, "card")
    client.post(reverse("standins:ecpay_page", args=[trade.provider_trade_no]), {"action": "pay"})
    with django_capture_on_commit_callbacks(execute=True):
        change_status(Order.objects.get(pk=order.pk), OrderStatus.REFUNDED)
    payment = order.payments.get()
    assert payment.refunded_at is not None
    assert payment.refund_reference == f"R-{trade.provider_trade_no}"
    trade.refresh_from_db()
    assert trade.status == StandinTrade.Status.REFUNDED


def test_an_atm_payment_is_left_to_staff_to_refund(
    client, ecpay_provider, in_process_http, settings, django_capture_on_commit_callbacks
):
    settings.FENRUN_ALERT_EMAIL = "boss@example.com"
    order, trade = _to_standin(client, "atm")
    page = reverse("standins:ecpay_page", args=[trade.provider_trade_no])
    client.post(page, {"action": "issue"})
    client.post(page, {"action": "pay"})
    with django_capture_on_commit_callbacks(execute=True):
        change_status(Order.objects.get(pk=order.pk), OrderStatus.CANCELLED)
    payment = order.payments.get()
    assert payment.refunded_at is None and "by hand" in payment.refund_note
    assert any(trade.trade_no in m.subject for m in mail.outbox if "boss@example.com" in m.to)


def test_query_answer_with_a_bad_checkmacvalue_is_not_believed(
    ecpay_provider, in_process_http, monkeypatch
):
    from fenrun.orders.gateways.base import ProviderUnavailable

    gateway = ECPayGateway()
    monkeypatch.setattr(
        gateway,
        "_post",
        lambda path, fields: {"MerchantID": "3002607", "TradeStatus": "1", "CheckMacValue": "00"},
    )
    with pytest.raises(ProviderUnavailable):
        gateway.query(Payment(reference="FRX", amount=Decimal("1")))


def test_paying_again_opens_a_new_ecpay_trade_which_ecpay_accepts(
    client, ecpay_provider, in_process_http
):
    order, first = _to_standin(client, "card")  # the buyer leaves ECPay's page unpaid
    action, fields = _form_fields(client.post(reverse("orders:pay", args=[order.number])))
    assert fields["MerchantTradeNo"] != first.trade_no
    assert client.post(action, fields).status_code == 302
    # The same MerchantTradeNo posted again is refused, as ECPay refuses it.
    assert client.post(action, fields).status_code == 400


def test_checkout_lists_each_enabled_method_with_what_it_means(client, ecpay_provider):
    product = ProductFactory(stock=5, price=Decimal("880"))
    ShippingMethodFactory()
    client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 1})
    html = client.get(reverse("orders:checkout")).content.decode()
    assert 'value="ecpay.atm"' in html and "ATM 虛擬帳號（綠界）" in html
    assert "綠界會給您一組專屬的轉帳帳號。" in html
    assert 'value="linepay.linepay"' not in html  # not configured
