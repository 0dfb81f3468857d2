"""In a real headless Chromium: the checkout's total follows the shopping credit as it is typed,
before the order is placed, and the order is placed at the amount shown."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
@pytest.mark.parametrize("width", [390, 1280])
def test_total_follows_the_credit_typed_before_the_order_is_placed(
    live_server, transactional_db, chromium, width
):
    from playwright.sync_api import expect

    from fenrun.accounts.tests.factories import UserFactory
    from fenrun.catalog.tests.factories import ProductFactory
    from fenrun.orders.models import Order
    from fenrun.orders.tests.factories import ShippingMethodFactory
    from fenrun.wallet import services

    member = UserFactory(email="credit@example.com", name="陳小芳")
    services.adjust_balance(
        member,
        account_kind="credit",
        amount=500,
        reason="生日禮",
        actor=UserFactory(is_staff=True),
        idempotency_key="b",
    )
    product = ProductFactory(name="阿里山金萱", slug="jinxuan", price=Decimal("640"), stock=5)
    ShippingMethodFactory(fee=Decimal("150"), free_threshold=None)

    client = Client()
    client.force_login(member)
    client.post("/cart/add/", {"product": product.pk, "quantity": 1})
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale="zh-TW")
    context.set_default_timeout(10_000)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()

    page.goto(live_server.url + "/cart/")
    expect(page.locator("#cart-credit")).to_contain_text("NT$320")

    page.goto(live_server.url + "/checkout/")
    expect(page.locator("#grand-total")).to_have_text("NT$790")
    page.evaluate("window.stillTheSamePage = true")

    page.locator("#id_credit_to_use").press_sequentially("200")
    expect(page.locator("#credit-applied")).to_have_text("-NT$200")
    expect(page.locator("#order-total")).to_have_text("NT$790")
    expect(page.locator("#grand-total")).to_have_text("NT$590")
    assert page.evaluate("window.stillTheSamePage") is True  # no reload
    assert not Order.objects.exists()

    # More than may be used: the summary uses the most allowed and says so.
    page.locator("#id_credit_to_use").fill("999")
    expect(page.locator("#credit-note")).to_contain_text("NT$320")
    expect(page.locator("#grand-total")).to_have_text("NT$470")
    page.locator("#id_credit_to_use").fill("200")
    expect(page.locator("#grand-total")).to_have_text("NT$590")

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"checkout_credit_total_{width}.png"), full_page=True)

    page.locator("#id_recipient_name").fill("陳小芳")
    page.locator("#id_recipient_phone").fill("0912345678")
    page.locator("#id_county").select_option("臺北市")
    page.locator("#id_district").select_option("大安區")
    page.locator("#id_street").fill("復興南路一段1號")
    page.locator("#id_postal_code").fill("106")
    page.locator("input[name=payment_method][value=atm]").check()
    page.locator("#place-order").click()
    expect(page).to_have_url(re.compile(r"/checkout/placed/"))
    order = Order.objects.get()
    assert (order.credit_used, order.grand_total) == (200, 590)
    context.close()
