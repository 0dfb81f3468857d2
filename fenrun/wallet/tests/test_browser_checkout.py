"""Checkout with shopping credit in a real headless Chromium: the member sees the credit they
can use, uses part of it, and finds the spend (linked to the order) in 我的帳戶."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture
def page(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        )
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-TW"
        )
        context.set_default_timeout(10_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_member_pays_part_of_an_order_with_credit(live_server, transactional_db, page):
    from playwright.sync_api import expect

    from fenrun.accounts.tests.factories import UserFactory
    from fenrun.catalog.tests.factories import ProductFactory
    from fenrun.orders.models import Order
    from fenrun.orders.tests.factories import ShippingMethodFactory
    from fenrun.wallet import services

    member = UserFactory(email="credit@example.com", name="陳小芳")
    staff = UserFactory(is_staff=True)
    services.adjust_balance(
        member, account_kind="credit", amount=500, reason="生日禮", actor=staff, idempotency_key="b"
    )
    product = ProductFactory(name="阿里山金萱", slug="jinxuan", price=Decimal("800"), stock=5)
    ShippingMethodFactory()  # NT$100, free from NT$1,500

    # Log the browser in with a session made by the test client, and fill the cart.
    client = Client()
    client.force_login(member)
    client.post("/cart/add/", {"product": product.pk, "quantity": 1})
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )

    page.goto(live_server.url + "/member/wallet/")
    expect(page.locator("#balance-credit")).to_contain_text("NT$500")

    page.goto(live_server.url + "/checkout/")
    credit_box = page.locator("fieldset", has=page.locator("#id_credit_to_use"))
    expect(credit_box).to_contain_text("NT$400")  # half of NT$800 of goods
    page.locator("#id_recipient_name").fill("陳小芳")
    page.locator("#id_recipient_phone").fill("0912345678")
    page.locator("#id_county").select_option("臺北市")
    page.locator("#id_district").select_option("大安區")
    page.locator("#id_street").fill("復興南路一段1號")
    page.locator("#id_postal_code").fill("106")
    page.locator("input[name=payment_method][value=atm]").check()
    page.locator("#id_credit_to_use").fill("150")
    page.locator("#place-order").click()

    expect(page).to_have_url(re.compile(r"/checkout/placed/"))
    order = Order.objects.get()
    assert order.credit_used == 150
    assert order.grand_total == 800 + 100 - 150

    page.goto(live_server.url + "/member/wallet/")
    expect(page.locator("#balance-credit")).to_contain_text("NT$350")
    row = page.locator(".wallet-history tbody tr", has_text=order.number)
    expect(row).to_contain_text("-150")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "wallet_my_account.png"), full_page=True)
    row.get_by_role("link", name=re.compile(order.number)).click()
    expect(page.locator("h1")).to_contain_text(order.number)

    page.screenshot(path=str(ARTIFACTS / "wallet_checkout_credit.png"), full_page=True)
