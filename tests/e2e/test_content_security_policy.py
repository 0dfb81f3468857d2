"""The Content-Security-Policy in a real headless Chromium, in enforce mode: the main journeys'
pages raise no violation, and what their scripts do still works (the gallery, add to cart, the
checkout's shipping fields, the share copy button, the language switch, the plan form's rows,
the admin theme's Alpine.js and the report charts).

Violations are collected two ways, so neither a missed event nor a missed console line hides
one: each page's `securitypolicyviolation` events (reported to Python by an exposed function
installed before any page script) and Chromium's own console errors about the policy.
"""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

PASSWORD = "pass-word-123"

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.reportCspViolation({
    page: location.pathname,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    sample: event.sample,
    source: event.sourceFile + ":" + event.lineNumber,
  });
});
"""


def _photo(colour: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(f"{colour.strip('#')}.png", buffer.getvalue(), "image/png")


@pytest.fixture
def shop(transactional_db):
    from django.utils import timezone

    from fenrun.accounts.tests.factories import UserFactory
    from fenrun.analytics.models import Metric, TagRule
    from fenrun.analytics.services import recompute_member_tags
    from fenrun.analytics.tests.builders import build_tree, make_order
    from fenrun.catalog.models import ProductImage
    from fenrun.catalog.tests.factories import CategoryFactory, ProductFactory
    from fenrun.core.testing import grant_role
    from fenrun.orders.tests.factories import ShippingMethodFactory

    tea = CategoryFactory(name="茶葉", slug="tea")
    product = ProductFactory(
        category=tea, name="梨山高冷烏龍茶", slug="lishan-oolong", price=Decimal("880"), stock=8
    )
    for colour in ("#6a9f4b", "#9f6a4b"):
        ProductImage.objects.create(product=product, image=_photo(colour), alt="梨山茶")
    ProductFactory(category=tea, name="阿里山金萱", slug="alishan-jinxuan", price=Decimal("520"))
    ShippingMethodFactory()
    # A member with a downline that has bought, so the downline chart and tags have data.
    users = build_tree([None, 0, 0, 1])
    member = users[0]
    member.email, member.name = "amei@example.com", "林阿美"
    member.set_password(PASSWORD)
    member.save()
    now = timezone.now()
    for i, goods in [(1, 1800), (2, 700), (3, 2600)]:
        make_order(users[i], goods=Decimal(goods), placed_at=now - timedelta(hours=i))
    TagRule.objects.create(
        name="轉單王", metric=Metric.DOWNLINE_SALES, threshold=Decimal("1000"), color="#d9480f"
    )
    recompute_member_tags()
    staff = grant_role(UserFactory(email="boss@example.com", name="店長"), "店長")
    staff.set_password(PASSWORD)
    staff.save()
    return {"product": product, "member": member, "staff": staff}


class Violations(list):
    def __init__(self, context):
        super().__init__()
        context.expose_function("reportCspViolation", lambda violation: self.append(violation))
        context.add_init_script(REPORT_VIOLATIONS)

    def watch(self, page):
        def on_console(message):
            if message.type == "error" and "Content Security Policy" in message.text:
                self.append({"page": page.url, "console": message.text})

        page.on("console", on_console)
        return page


@pytest.fixture
def browse(chromium, live_server):
    """Opens a tab whose violations land in the returned list; closes every context at the end."""
    contexts = []

    def open_tab():
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-TW")
        context.set_default_timeout(15_000)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        contexts.append(context)
        violations = Violations(context)
        return violations.watch(context.new_page()), violations

    yield open_tab
    for context in contexts:
        context.close()


def visit(page, url):
    response = page.goto(url)
    assert response.ok, (url, response.status)


def log_in(page, base, email, path="/accounts/login/"):
    visit(page, base + path)
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("form [type=submit]").last.click()


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_the_shop_and_member_pages_run_under_the_policy(live_server, shop, browse):
    from playwright.sync_api import expect

    base = live_server.url
    page, violations = browse()

    visit(page, base + "/")
    assert page.evaluate("typeof htmx") == "object"  # the vendored htmx loaded

    # Product: the gallery's thumbnail swaps the main photo; add to cart.
    visit(page, base + shop["product"].get_absolute_url())
    main_image = page.locator("#main-image")
    first_src = main_image.get_attribute("src")
    page.locator(".gallery .thumbs a").last.click()
    expect(main_image).not_to_have_attribute("src", first_src)
    page.locator("#quantity").fill("2")
    page.get_by_role("button", name="加入購物車").click()
    expect(page.locator("#cart-count")).to_have_text("2")

    # Cart: changing the quantity goes through htmx.
    visit(page, base + "/cart/")
    page.locator("#cart input[name=quantity]").first.fill("3")
    page.locator("#cart input[name=quantity]").first.dispatch_event("change")
    expect(page.locator("#cart-count")).to_have_text("3")

    # Search with the sort select, which submits its form by itself.
    visit(page, base + "/search/?q=茶")
    page.locator("#sort").select_option("price")
    expect(page).to_have_url(re.compile(r"sort=price"))

    # Checkout as the member: shipping kinds and the county → district lists still work.
    log_in(page, base, "amei@example.com")
    visit(page, base + "/checkout/")
    page.get_by_label("縣市").select_option("臺北市")
    page.get_by_label("鄉鎮市區").select_option("大安區")
    expect(page.get_by_label("郵遞區號")).to_have_value("106")
    page.locator("input[name=shipping_method]").first.check()
    expect(page.locator("#checkout-summary")).to_be_visible()

    # Member centre, every page of it.
    for path in (
        "/member/orders/",
        "/member/wallet/",
        "/member/commissions/",
        "/member/downline/",
        "/member/downline/levels/",
        "/member/downline/members/",
        "/member/campaigns/",
        "/accounts/password/change/",
    ):
        visit(page, base + path)
        assert page.locator("h1").count(), path
    visit(page, base + "/member/downline/levels/")
    expect(page.locator("[data-echart][data-ready='1'] canvas").first).to_be_visible()

    # 我的推廣: the copy button copies the link and says so.
    visit(page, base + "/member/links/")
    copy = page.locator("[data-copy]").first
    copy.click()
    expect(copy).to_have_text("已複製")
    assert page.evaluate("navigator.clipboard.readText()") == copy.get_attribute("data-copy")

    # The language switch submits itself.
    page.locator("#language-select").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    assert violations == []


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_the_back_office_runs_under_the_policy(live_server, shop, browse):
    from playwright.sync_api import expect

    base = live_server.url
    page, violations = browse()
    log_in(page, base, "boss@example.com", path="/admin/login/")

    # The admin theme's Alpine.js started (it removes x-cloak once it runs).
    from fenrun.orders.models import Order

    order = Order.objects.first()
    for path in (
        "/admin/",
        "/admin/orders/order/",
        f"/admin/orders/order/{order.pk}/change/",
        "/admin/catalog/product/",
        f"/admin/catalog/product/{shop['product'].pk}/change/",
    ):
        visit(page, base + path)
        expect(page.locator("html")).not_to_have_attribute("x-cloak", "")
        assert page.evaluate("typeof Alpine") == "object", path

    # The plan form's rows follow the number of levels; the guaranteed rows open one by one.
    visit(page, base + "/staff/commissions/plans/new/")
    levels = page.locator("#plan-form [name=levels]")
    levels.fill("2")
    expect(page.locator("[data-level-row='3']").first).to_be_hidden()
    levels.fill("4")
    expect(page.locator("[data-level-row='3']").first).to_be_visible()
    add = page.locator("#add-guaranteed")
    expect(add).to_be_visible()
    hidden_before = page.locator("[data-guaranteed-row][hidden]").count()
    add.click()
    expect(page.locator("[data-guaranteed-row][hidden]")).to_have_count(hidden_before - 1)

    # Staff pages with charts (ECharts) and tag badges.
    for path in (
        "/staff/analytics/",
        "/staff/analytics/levels/",
        "/staff/analytics/leaderboards/",
        "/staff/analytics/tags/",
        f"/staff/analytics/chart/?member={shop['member'].pk}",
        "/staff/commissions/plans/",
        "/staff/commissions/unsettled/",
        "/staff/wallet/",
        "/staff/wallet/members/",
        f"/staff/wallet/members/{shop['member'].pk}/",
    ):
        visit(page, base + path)
        assert page.locator("h1").count(), path
    visit(page, base + f"/staff/analytics/levels/?member={shop['member'].pk}")
    expect(page.locator("[data-echart][data-ready='1'] canvas").first).to_be_visible()
    visit(page, base + f"/staff/analytics/chart/?member={shop['member'].pk}")
    expect(page.locator("canvas").first).to_be_visible()

    assert violations == []


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_an_inline_script_left_in_a_page_is_caught(live_server, shop, browse):
    """The collector is no test that cannot fail: the home page served with an inline script
    added (under the real policy header) is reported, by the event and in the console."""
    base = live_server.url
    page, violations = browse()

    def add_inline_script(route):
        response = route.fetch()
        body = response.text().replace("</body>", "<script>document.title = 'x'</script></body>")
        route.fulfill(response=response, body=body)

    page.route(base + "/", add_inline_script)
    visit(page, base + "/")
    assert page.title() != "x"
    assert any(v.get("directive") == "script-src-elem" for v in violations), violations
    assert any("console" in v for v in violations), violations
