"""A guest asks for the invoice on a mobile barcode, pays by ECPay card through the payment
stand-in, and finds the invoice the job issued through the invoice stand-in on the order page."""

import re
from decimal import Decimal

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def shop(transactional_db, live_server, settings):
    from fenrun.catalog.tests.factories import ProductFactory
    from fenrun.orders.tests.factories import ShippingMethodFactory
    from fenrun.orders.tests.providers import ECPAY_TEST_MERCHANT, configure

    settings.FENRUN_SITE_URL = live_server.url
    settings.FENRUN_INVOICES = {
        **settings.FENRUN_INVOICES,
        "enabled": True,
        "issue_at": "paid",
        "stand_in_enabled": True,
        "ecpay": {**settings.FENRUN_INVOICES["ecpay"], "url": "stand-in"},
    }
    merchant, key, iv = ECPAY_TEST_MERCHANT
    configure("ecpay", merchant, key, iv, methods=["card"])
    ShippingMethodFactory()
    return ProductFactory(
        name="梨山高冷烏龍茶", slug="lishan-oolong", price=Decimal("880"), stock=5
    )


def test_guest_gets_the_invoice_on_a_mobile_barcode(live_server, shop, page):
    from playwright.sync_api import expect

    from fenrun.invoices.models import Invoice, StandInInvoice
    from fenrun.orders.models import Order

    base = live_server.url
    page.goto(base + "/p/lishan-oolong/")
    page.get_by_role("button", name="加入購物車").click()
    page.goto(base + "/checkout/")
    page.locator("#id_email").fill("guest@example.com")
    page.get_by_label("收件人姓名").fill("王小明")
    page.get_by_label("手機號碼").fill("0912345678")
    page.get_by_label("縣市").select_option("臺北市")
    page.get_by_label("鄉鎮市區").select_option("大安區")
    page.get_by_label("街道地址").fill("復興南路一段 1 號")
    page.locator('input[name="payment_method"][value="ecpay.card"]').check()
    page.get_by_label("手機條碼載具").check()
    barcode = page.get_by_label("載具號碼")
    barcode.fill("ABC1234")  # no leading "/"
    page.get_by_role("button", name="確認下單").click()

    # Refused on its own field, in zh-Hant, and no order placed.
    carrier_field = page.locator('[data-invoice-for="mobile certificate"]')
    expect(carrier_field).to_contain_text("手機條碼為「/」加 7 個字元")
    assert not Order.objects.exists()
    expect(page.get_by_label("手機條碼載具")).to_be_checked()
    page.get_by_label("載具號碼").fill("/abc+123")  # lower case is upper-cased
    page.get_by_role("button", name="確認下單").click()

    expect(page.locator("#standin-ecpay")).to_contain_text("NT$980")
    page.locator("#standin-pay").click()
    expect(page).to_have_url(re.compile(r"/checkout/placed/"))
    expect(page.locator(".status")).to_have_text("已付款")

    # Paying queued the issue job, which ran at once and asked the invoice stand-in.
    invoice = Invoice.objects.get(order=Order.objects.get())
    assert invoice.number and invoice.random_code
    filed = StandInInvoice.objects.get(number=invoice.number)
    assert filed.data["CarrierType"] == "3"
    assert filed.data["CarrierNum"] == "/ABC+123"
    expect(page.locator("#invoice-number")).to_have_text(invoice.number)
    expect(page.locator("#invoice-random-code")).to_have_text(invoice.random_code)
    expect(page.locator("#order-invoice")).to_contain_text("/ABC+123")
