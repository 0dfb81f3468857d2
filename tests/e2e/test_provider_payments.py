"""A guest pays by ECPay card, by ECPay ATM virtual account and by LINE Pay, in a real
Chromium, through the local stand-ins (which call the live server back, as the providers do)."""

import re
from decimal import Decimal

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def shop(transactional_db, live_server, settings):
    from fenrun.catalog.tests.factories import ProductFactory
    from fenrun.orders.tests.factories import ShippingMethodFactory
    from fenrun.orders.tests.providers import (
        ECPAY_TEST_MERCHANT,
        LINEPAY_STANDIN_CHANNEL,
        configure,
    )

    settings.FENRUN_SITE_URL = live_server.url
    merchant, key, iv = ECPAY_TEST_MERCHANT
    configure("ecpay", merchant, key, iv, methods=["card", "atm"])
    channel, secret = LINEPAY_STANDIN_CHANNEL
    configure("linepay", channel, secret, methods=["linepay"])
    ShippingMethodFactory()
    return ProductFactory(
        name="梨山高冷烏龍茶", slug="lishan-oolong", price=Decimal("880"), stock=5
    )


def _checkout(page, base, option):
    page.goto(base + "/p/lishan-oolong/")
    page.get_by_role("button", name="加入購物車").click()
    page.goto(base + "/checkout/")
    page.locator("#id_email").fill("guest@example.com")
    page.get_by_label("收件人姓名").fill("王小明")
    page.get_by_label("手機號碼").fill("0912345678")
    page.get_by_label("縣市").select_option("臺北市")
    page.get_by_label("鄉鎮市區").select_option("大安區")
    page.get_by_label("街道地址").fill("復興南路一段 1 號")
    page.locator(f'input[name="payment_method"][value="{option}"]').check()
    page.get_by_role("button", name="確認下單").click()


def test_guest_pays_by_ecpay_card(live_server, shop, page):
    from playwright.sync_api import expect

    from fenrun.orders.models import Order

    _checkout(page, live_server.url, "ecpay.card")
    # The auto-submitted form lands on the stand-in's ECPay page, which checked its CheckMacValue.
    expect(page.locator("#standin-ecpay")).to_contain_text("NT$980")
    page.locator('input[value="duplicate"]').check()
    page.locator('input[value="forged"]').check()
    page.locator("#standin-pay").click()
    # Back at the shop through OrderResultURL: the order page shows it paid.
    expect(page).to_have_url(re.compile(r"/checkout/placed/"))
    expect(page.locator(".status")).to_have_text("已付款")
    order = Order.objects.get()
    assert order.status == "paid"
    assert order.status_changes.filter(to_status="paid").count() == 1


def test_guest_pays_by_ecpay_atm_virtual_account(live_server, shop, page):
    from playwright.sync_api import expect

    from fenrun.orders.models import Order

    _checkout(page, live_server.url, "ecpay.atm")
    page.locator("#standin-issue").click()
    account = page.locator("#standin-issued").inner_text()
    standin_url = page.url
    page.locator("#standin-back").click()
    # The shop's order page shows the virtual account ECPay's PaymentInfoURL message carried.
    expect(page.locator("#provider-instructions")).to_be_visible()
    number = page.locator("#atm-account").inner_text()
    assert number and number in account
    expect(page.locator(".status")).to_have_text("待付款")
    # The buyer transfers (on the stand-in); ECPay's ReturnURL message pays the order.
    page.goto(standin_url)
    page.locator("#standin-transfer").click()
    expect(page.locator("#standin-status")).to_have_attribute("data-status", "paid")
    expect(page.locator("#standin-status")).to_have_text("已付款")
    assert Order.objects.get().status == "paid"


def test_guest_pays_with_linepay(live_server, shop, page):
    from playwright.sync_api import expect

    from fenrun.orders.models import Order

    _checkout(page, live_server.url, "linepay.linepay")
    expect(page.locator("#standin-linepay")).to_contain_text("NT$980")
    page.locator("#standin-approve").click()
    expect(page).to_have_url(re.compile(r"/checkout/placed/"))
    expect(page.locator(".status")).to_have_text("已付款")
    assert Order.objects.get().status == "paid"
