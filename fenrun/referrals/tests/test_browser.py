"""A visitor follows a member's link in a real headless Chromium, registers, and appears as
that member's referral on the member's page and in the back office."""

import pytest
from django.test import Client

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser_context(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        )
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            has_touch=True,
            locale="zh-TW",
            # Headless Chromium says "HeadlessChrome", which the app rightly treats as a bot.
            user_agent=(
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
            ),
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()
            browser.close()


def logged_in_page(context, live_server, user):
    client = Client()
    client.force_login(user)
    context.clear_cookies()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context.new_page()


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_visitor_follows_a_link_registers_and_becomes_a_referral(
    live_server, transactional_db, browser_context, settings
):
    from django.contrib.auth.models import Permission
    from playwright.sync_api import expect

    from fenrun.accounts.tests.factories import UserFactory
    from fenrun.catalog.tests.factories import ProductFactory
    from fenrun.referrals import services
    from fenrun.referrals.models import ReferralNode

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sponsor = UserFactory(email="kol@example.com", name="林小嵐")
    code = services.choose_vanity_code(sponsor, "lan-farm").code
    ProductFactory(slug="honey", name="龍眼蜂蜜")
    staff = UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_referralnode"))

    visitor = browser_context.new_page()
    visitor.goto(f"{live_server.url}/r/{code}/honey?utm_source=line&utm_medium=social")
    expect(visitor).to_have_url(f"{live_server.url}/p/honey/")
    visitor.goto(f"{live_server.url}/accounts/register/")
    visitor.fill("input[name=email]", "fan@example.com")
    visitor.fill("input[name=name]", "王大明")
    visitor.fill("input[name=password1]", "a-Long-pass-2026")
    visitor.fill("input[name=password2]", "a-Long-pass-2026")
    visitor.locator("form button[type=submit], form input[type=submit]").last.click()
    visitor.wait_for_load_state()

    node = ReferralNode.objects.get(user__email="fan@example.com")
    assert node.sponsor_id == sponsor.pk and node.bound_via == "link"

    member_page = logged_in_page(browser_context, live_server, sponsor)
    member_page.goto(f"{live_server.url}/member/links/")
    referrals = member_page.locator("#my-referrals")
    expect(referrals).to_contain_text("王○明")
    expect(member_page.locator('[data-testid="total-signups"]')).to_have_text("1")
    expect(member_page.locator('[data-link="honey"] [data-stat="signups"]')).to_have_text("1")

    staff_page = logged_in_page(browser_context, live_server, staff)
    staff_page.goto(f"{live_server.url}/admin/referrals/referralnode/tree/{sponsor.pk}/")
    expect(staff_page.locator('[data-testid="directs"]')).to_contain_text("fan@example.com")
