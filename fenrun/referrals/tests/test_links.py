"""Share links, the attribution cookie, crawlers, guessing, and the member's links page."""

import pytest
from django.core import signing
from django.urls import reverse

from fenrun.catalog.tests.factories import ProductFactory
from fenrun.referrals import services
from fenrun.referrals.middleware import COOKIE_NAME, COOKIE_SALT, read_attribution
from fenrun.referrals.models import Campaign, Click, ReferralCode, ReferralSettings

from .conftest import make_user

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Line/13.20.0"


@pytest.fixture
def member():
    user = make_user()
    services.ensure_code(user)
    return user


def code_of(user):
    return ReferralCode.objects.get(user=user, kind="generated").code


def cookie_payload(response):
    return signing.loads(response.cookies[COOKIE_NAME].value, salt=COOKIE_SALT)


def test_shop_link_counts_a_click_sets_the_cookie_and_redirects(client, member):
    response = client.get(
        f"/r/{code_of(member)}?utm_source=facebook&utm_medium=cpc&utm_campaign=xmas&fbclid=abc",
        HTTP_USER_AGENT=BROWSER,
        HTTP_REFERER="https://l.facebook.com/some/path",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:home")
    click = Click.objects.get()
    assert (click.referrer_id, click.product_id, click.utm_source, click.utm_medium) == (
        member.pk,
        None,
        "facebook",
        "cpc",
    )
    assert click.utm_campaign == "xmas" and click.has_fbclid and not click.has_gclid
    assert click.referring_host == "l.facebook.com"
    assert click.ip_hash and "127.0.0.1" not in click.ip_hash
    payload = cookie_payload(response)
    assert payload == {"code": code_of(member), "campaign": None, "click_id": click.pk}
    assert response.cookies[COOKIE_NAME]["httponly"]


def test_product_link_lands_on_the_product(client, member):
    product = ProductFactory(slug="honey")
    response = client.get(f"/r/{code_of(member).upper()}/honey", HTTP_USER_AGENT=BROWSER)
    assert response["Location"] == reverse("storefront:product", args=["honey"])
    assert Click.objects.get().product == product


def test_unknown_product_falls_back_to_the_shop_with_attribution(client, member):
    response = client.get(f"/r/{code_of(member)}/no-such-thing", HTTP_USER_AGENT=BROWSER)
    assert response["Location"] == reverse("storefront:home")
    assert Click.objects.count() == 1


@pytest.mark.parametrize("code", ["zzzzzzz", "x", "bad code!", "a" * 80])
def test_unknown_or_malformed_code_falls_back_without_attribution(client, code):
    response = client.get(f"/r/{code}", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:home")
    assert COOKIE_NAME not in response.cookies
    assert not Click.objects.exists()


def test_a_control_character_in_a_share_link_is_an_unknown_address(client):
    # The edge rule for every path (fenrun/core/input_guard.py): 404, nothing recorded.
    response = client.get("/r/%00", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 404
    assert COOKIE_NAME not in response.cookies
    assert not Click.objects.exists()


@pytest.mark.parametrize(
    "agent",
    [
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "facebookexternalhit/1.1;line-poker/1.0",
        "Mozilla/5.0 (compatible; Linespider/1.1; +https://lin.ee/4dwXkTH)",
        "Twitterbot/1.0",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "WhatsApp/2.23.20.0",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "",
    ],
)
def test_crawlers_get_the_page_with_og_tags_and_are_not_counted(client, member, agent):
    ProductFactory(slug="tea", name="高山烏龍")
    response = client.get(f"/r/{code_of(member)}/tea", HTTP_USER_AGENT=agent)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'property="og:title"' in html and "高山烏龍" in html
    assert not Click.objects.exists()
    assert COOKIE_NAME not in response.cookies


def test_line_in_app_browser_is_a_person():
    assert not services.is_crawler(BROWSER)


def test_ref_parameter_on_any_page_attributes(client, member):
    product = ProductFactory(slug="rice")
    response = client.get(
        reverse("storefront:product", args=["rice"]) + f"?ref={code_of(member)}&utm_source=line",
        HTTP_USER_AGENT=BROWSER,
    )
    assert response.status_code == 200
    click = Click.objects.get()
    assert click.product == product and click.utm_source == "line"
    assert cookie_payload(response)["click_id"] == click.pk


def test_tampered_cookie_is_ignored(rf, member):
    good = signing.dumps(
        {"code": code_of(member), "campaign": None, "click_id": None}, salt=COOKIE_SALT
    )
    request = rf.get("/")
    request.COOKIES[COOKIE_NAME] = good
    assert read_attribution(request)["code"] == code_of(member)
    for forged in (
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        signing.dumps({"code": code_of(member)}, salt="another-salt"),
        signing.dumps({"code": code_of(member)}, salt=COOKIE_SALT, key="not-the-secret"),
        "garbage",
    ):
        request.COOKIES[COOKIE_NAME] = forged
        assert read_attribution(request) is None


def test_cookie_older_than_the_window_is_ignored(rf, member, monkeypatch):
    request = rf.get("/")
    request.COOKIES[COOKIE_NAME] = signing.dumps({"code": code_of(member)}, salt=COOKIE_SALT)
    ReferralSettings.objects.update_or_create(pk=1, defaults={"attribution_window_days": 1})
    services.forget_settings_cache()
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + 2 * 86400)
    assert read_attribution(request) is None


def test_cookie_lifetime_follows_the_staff_setting(client, member):
    ReferralSettings.objects.update_or_create(pk=1, defaults={"attribution_window_days": 7})
    services.forget_settings_cache()
    response = client.get(f"/r/{code_of(member)}", HTTP_USER_AGENT=BROWSER)
    assert response.cookies[COOKIE_NAME]["max-age"] == 7 * 86400


def test_guessing_codes_is_rate_limited(client, member):
    ReferralSettings.objects.update_or_create(pk=1, defaults={"unknown_code_limit": 5})
    services.forget_settings_cache()
    for i in range(5):
        client.get(f"/r/guess{i:03d}", HTTP_USER_AGENT=BROWSER)
    # the guesser now cannot tell a real code from a wrong one
    response = client.get(f"/r/{code_of(member)}", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302
    assert COOKIE_NAME not in response.cookies
    assert not Click.objects.exists()
    # another visitor is not affected
    response = client.get(f"/r/{code_of(member)}", HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="10.1.2.3")
    assert COOKIE_NAME in response.cookies


def test_behind_a_proxy_the_guessing_limit_is_per_visitor(client, member, settings):
    """Behind nginx every request comes from the proxy's address: one guesser must not lock
    every visitor out, so the limit follows the address the proxy forwards."""
    settings.FENRUN_PROXY_COUNT = 1
    ReferralSettings.objects.update_or_create(pk=1, defaults={"unknown_code_limit": 3})
    services.forget_settings_cache()
    proxy = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": BROWSER}
    for i in range(3):
        client.get(f"/r/guess{i:03d}", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    blocked = client.get(f"/r/{code_of(member)}", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    assert COOKIE_NAME not in blocked.cookies
    other = client.get(f"/r/{code_of(member)}", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert COOKIE_NAME in other.cookies


def test_own_link_is_not_a_click(client, member):
    client.force_login(member)
    response = client.get(f"/r/{code_of(member)}", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302
    assert not Click.objects.exists()


def test_campaign_link_carries_the_campaign(client, member):
    from django.utils import timezone

    now = timezone.now()
    live = Campaign.objects.create(
        slug="live-nov",
        title="山嵐直播 11月場",
        starts_at=now,
        ends_at=now + timezone.timedelta(hours=2),
    )
    someone_elses = Campaign.objects.create(
        slug="kol-only",
        title="KOL",
        owner=make_user(),
        starts_at=now,
        ends_at=now + timezone.timedelta(hours=2),
    )
    response = client.get(f"/r/{code_of(member)}?c=live-nov", HTTP_USER_AGENT=BROWSER)
    assert cookie_payload(response)["campaign"] == "live-nov"
    assert Click.objects.get().campaign == live
    response = client.get(f"/r/{code_of(member)}?c={someone_elses.slug}", HTTP_USER_AGENT=BROWSER)
    assert cookie_payload(response)["campaign"] is None


# ---------------------------------------------------------------- 我的推廣


def test_my_links_page(client, member):
    ProductFactory(slug="mango", name="愛文芒果")
    client.force_login(member)
    response = client.get(reverse("referrals:my_links") + "?p=mango")
    assert response.status_code == 200
    html = response.content.decode()
    code = code_of(member)
    panel = html.split('id="share-panel"')[1].split("</section>")[0]
    assert f"http://testserver/r/{code}/mango" in panel
    assert (
        "https://social-plugins.line.me/lineit/share?url=http%3A%2F%2Ftestserver%2Fr%2F" + code
        in panel
    )
    assert (
        "https://www.facebook.com/sharer/sharer.php?u=http%3A%2F%2Ftestserver%2Fr%2F" + code
        in panel
    )
    assert "/static/referrals/share.js" in html  # copy and Web Share buttons
    assert 'class="segno"' in panel
    assert reverse("referrals:qr_png") + "?p=mango" in panel


def test_my_links_shows_one_qr_code_and_whole_links(client, member):
    # 24 product cards each with a QR code made the page 8,000 px long on a phone, and the
    # links were cut in a narrow input before their product part.
    for i in range(24):
        ProductFactory(slug=f"fruit-{i}", name=f"水果{i}")
    client.force_login(member)
    code = code_of(member)
    html = client.get(reverse("referrals:my_links")).content.decode()
    assert html.count('class="segno"') == 1
    panel = html.split('id="share-panel"')[1].split("</section>")[0]
    assert f'<p class="share-full-url" id="share-url">http://testserver/r/{code}</p>' in panel
    # each listed product's whole link can be copied from the picker, a phone's screenful a page
    picker = html.split('id="link-picker"')[1]
    assert picker.count(f'data-copy="http://testserver/r/{code}/fruit-') == 10
    html = client.get(reverse("referrals:my_links") + "?p=fruit-7").content.decode()
    assert html.count('class="segno"') == 1
    panel = html.split('id="share-panel"')[1].split("</section>")[0]
    assert f">http://testserver/r/{code}/fruit-7</p>" in panel


def test_my_links_picks_a_product_beyond_the_page(client, member):
    for i in range(30):
        ProductFactory(slug=f"veg-{i:02d}", name=f"蔬菜{i:02d}")
    client.force_login(member)
    html = client.get(reverse("referrals:my_links") + "?p=veg-29&q=蔬菜").content.decode()
    panel = html.split('id="share-panel"')[1].split("</section>")[0]
    assert f"/r/{code_of(member)}/veg-29" in panel
    # an unknown product falls back to the shop link
    html = client.get(reverse("referrals:my_links") + "?p=nope").content.decode()
    panel = html.split('id="share-panel"')[1].split("</section>")[0]
    assert 'data-link="shop"' in panel
    assert f">http://testserver/r/{code_of(member)}</p>" in panel


def test_my_links_needs_login(client):
    response = client.get(reverse("referrals:my_links"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_my_links_query_count_does_not_grow_with_products(
    client, member, django_assert_max_num_queries
):
    client.force_login(member)
    for i in range(3):
        ProductFactory(slug=f"p-few-{i}")
    client.get(reverse("referrals:my_links"))
    for i in range(12):
        ProductFactory(slug=f"p-many-{i}")
    with django_assert_max_num_queries(25):
        client.get(reverse("referrals:my_links"))


def test_per_link_stats_on_the_page(client, member):
    ProductFactory(slug="tea")
    for _ in range(3):
        client.get(f"/r/{code_of(member)}/tea", HTTP_USER_AGENT=BROWSER)
    client.get(f"/r/{code_of(member)}", HTTP_USER_AGENT=BROWSER)
    client.cookies.clear()
    client.force_login(member)
    html = client.get(reverse("referrals:my_links")).content.decode()
    tea = html.split('data-link="tea"')[1]
    assert '<strong data-stat="clicks">3</strong>' in tea
    shop = html.split('data-link="shop"')[1]
    assert '<strong data-stat="clicks">1</strong>' in shop


def test_qr_png_download(client, member):
    ProductFactory(slug="tea")
    client.force_login(member)
    response = client.get(reverse("referrals:qr_png") + "?p=tea")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert "attachment" in response["Content-Disposition"]
    assert client.get(reverse("referrals:qr_png") + "?p=nope").status_code == 404


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("ab", "4"),
        ("admin", "reserved"),
        ("has space", "letters"),
        ("-dash", "letters"),
        ("中文代碼", "letters"),
    ],
)
def test_vanity_code_errors_are_clear(client, member, raw, message):
    client.force_login(member)
    with_english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    response = client.post(reverse("referrals:my_links"), {"code": raw}, **with_english)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ReferralCode.objects.filter(kind="vanity").exists()


def test_vanity_code_once_and_unique(client, member):
    other = make_user()
    services.choose_vanity_code(other, "amy-shop")
    client.force_login(member)
    response = client.post(
        reverse("referrals:my_links"), {"code": "Amy-Shop"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "taken" in response.content.decode()
    response = client.post(reverse("referrals:my_links"), {"code": "Lin-Farm"})
    assert response.status_code == 302
    assert ReferralCode.objects.get(user=member, kind="vanity").code == "lin-farm"
    with pytest.raises(services.ReferralError):
        services.choose_vanity_code(member, "another-one")
    # links now use the chosen code, and the old one keeps working
    html = client.get(reverse("referrals:my_links")).content.decode()
    assert "http://testserver/r/lin-farm" in html
    client.logout()
    client.get(f"/r/{code_of(member)}", HTTP_USER_AGENT=BROWSER)
    client.get("/r/lin-farm", HTTP_USER_AGENT=BROWSER)
    assert Click.objects.filter(referrer=member).count() == 2
