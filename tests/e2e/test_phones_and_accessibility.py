"""The shop on a 390 px phone, and axe-core on its main pages.

On a phone, 我的申請, the staff wallet queue, the member menu and 我的推廣 must fit the screen
(no sideways scrolling, every button reachable); screenshots of each are kept in
test-artifacts/. axe-core (the npm dev dependency) is injected into each main page, which must
have no critical or serious violation.
"""

from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "pass-word-123"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def shop(transactional_db):
    from fenrun.accounts.tests.factories import UserFactory
    from fenrun.catalog.tests.factories import CategoryFactory, ProductFactory
    from fenrun.core.testing import grant_role
    from fenrun.orders.tests.factories import ShippingMethodFactory
    from fenrun.wallet import services
    from fenrun.wallet.tests.conftest import earn

    fruit = CategoryFactory(name="當季水果", slug="fruit")
    products = [
        ProductFactory(
            category=fruit,
            name=f"屏東枋山愛文芒果禮盒{i:02d}",
            slug=f"fangshan-irwin-mango-gift-box-{i:02d}",
            price=Decimal("880"),
            stock=20,
        )
        for i in range(24)
    ]
    ShippingMethodFactory()
    member = UserFactory(email="amei@example.com", name="林阿美")
    earn(member, 3000)
    services.request_conversion(member, 500)
    services.request_withdrawal(
        member,
        amount=1000,
        bank_code="812",
        account_number="1234567890123",
        account_name="林阿美",
    )
    grant_role(UserFactory(email="boss@example.com", name="陳店長"), "店長")
    grant_role(UserFactory(email="money@example.com", name="王財務"), "財務")
    return {"products": products, "member": member}


def _context(chromium, viewport):
    # axe-core is injected as an inline script, which the shop's Content-Security-Policy refuses;
    # the policy has its own browser test (test_content_security_policy.py).
    context = chromium.new_context(
        viewport=viewport, locale="zh-TW", device_scale_factor=1, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    return context


def _log_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form").get_by_role("button").last.click()
    page.wait_for_load_state()


def _fits(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{name}: the page is {width} px wide on a {inner} px screen"


def _inside_screen(locator, name):
    for i in range(locator.count()):
        box = locator.nth(i).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (name, i, box)


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_member_pages_fit_a_phone(live_server, shop, chromium):
    context = _context(chromium, PHONE)
    page = context.new_page()
    base = live_server.url
    _log_in(page, base, "amei@example.com")

    # 我的帳戶: 我的申請 are cards; a status is one line, not a character a line.
    page.goto(base + "/member/wallet/")
    _fits(page, "wallet")
    _inside_screen(page.locator("#my-requests button"), "cancel buttons")
    for status in page.locator("#my-requests .status").all():
        assert status.bounding_box()["height"] < 30, status.inner_text()

    # The member menu wraps: every item is on the screen.
    _inside_screen(page.locator(".member-nav a"), "member menu")

    # 我的推廣: one QR code, a product picker, the whole link visible.
    page.goto(base + "/member/links/")
    _fits(page, "my-links")
    assert page.locator("svg.segno").count() == 1
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 5000, f"我的推廣 is {height} px long"
    page.locator("#link-search").fill("禮盒07")
    page.locator(".referral-search").get_by_role("button").click()
    page.wait_for_load_state()
    assert page.locator("#link-picker li").count() == 1
    page.get_by_role("link", name="QR 碼與分享：屏東枋山愛文芒果禮盒07").click()
    page.wait_for_load_state()
    url = page.locator("#share-url")
    assert url.inner_text().endswith("/fangshan-irwin-mango-gift-box-07")
    assert url.evaluate("e => e.scrollWidth <= e.clientWidth")
    _inside_screen(url, "share url")
    assert page.locator("svg.segno").count() == 1
    _fits(page, "my-links-product")
    context.close()


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_staff_wallet_queue_fits_a_phone(live_server, shop, chromium):
    context = _context(chromium, PHONE)
    page = context.new_page()
    _log_in(page, live_server.url, "money@example.com")
    page.goto(live_server.url + "/staff/wallet/")
    _fits(page, "staff-wallet-queue")
    for table in ("#pending-conversions", "#open-withdrawals"):
        buttons = page.locator(f"{table} button")
        assert buttons.count() >= 2
        _inside_screen(buttons, table)
    _inside_screen(page.locator("#staff-nav a"), "staff menu")
    page.locator("#pending-conversions").get_by_role("button", name="核准").click()
    page.wait_for_load_state()
    assert page.locator("#pending-conversions").get_by_role("button", name="核准").count() == 0
    context.close()


def _axe(page, name, found):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in ("critical", "serious")
    ]
    found.extend(f"{name}: {line}" for line in bad)


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}], ids=["390", "1280"])
def test_main_pages_have_no_serious_accessibility_violation(live_server, shop, chromium, viewport):
    context = _context(chromium, viewport)
    page = context.new_page()
    base = live_server.url
    product = shop["products"][0]
    found = []  # every page is checked before the test fails, to name all violations at once

    page.goto(base + "/")
    _axe(page, "home", found)
    page.goto(base + product.get_absolute_url())
    _axe(page, "product", found)
    page.get_by_role("button", name="加入購物車").first.click()
    page.wait_for_load_state()
    # The header link names the count it shows.
    assert page.get_by_role("link", name="購物車，商品數： 1").count() == 1
    page.goto(base + "/cart/")
    _axe(page, "cart", found)

    _log_in(page, base, "amei@example.com")
    page.goto(base + "/checkout/")
    _axe(page, "checkout", found)
    for path, name in (
        ("/member/orders/", "member center"),
        ("/member/wallet/", "wallet"),
        ("/member/links/", "我的推廣"),
    ):
        page.goto(base + path)
        _axe(page, name, found)

    context.clear_cookies()
    _log_in(page, base, "boss@example.com")
    for path, name in (
        ("/staff/wallet/", "wallet review"),
        ("/staff/commissions/plans/", "commission plans"),
        ("/staff/analytics/", "reports"),
    ):
        page.goto(base + path)
        _axe(page, name, found)
    context.close()
    assert found == [], "\n".join(found)
