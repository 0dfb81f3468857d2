"""Who an order and a registration are attributed to."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from fenrun.catalog.tests.factories import ProductFactory
from fenrun.orders.services import change_status, place_order
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient
from fenrun.referrals import selectors, services
from fenrun.referrals.models import Campaign, Click, OrderAttribution, ReferralNode

from .conftest import make_user
from .test_links import BROWSER, code_of

pytestmark = pytest.mark.django_db


def order(*, user=None, attribution=None, email="guest@example.com", phone="0911222333"):
    product = ProductFactory(stock=5)
    return place_order(
        items=[(product.pk, 1)],
        recipient=home_recipient(email=email, phone=phone),
        shipping_method=ShippingMethodFactory(),
        payment_method="cod",
        user=user,
        context={"attribution": attribution},
    )


def sponsored_member():
    sponsor = make_user()
    services.ensure_code(sponsor)
    member = make_user()
    services.bind_sponsor(member, sponsor, via="link")
    return sponsor, member


def test_member_order_goes_to_the_sponsor_at_placement_time():
    sponsor, member = sponsored_member()
    placed = order(user=member)
    assert selectors.order_referrer_id(placed.pk) == sponsor.pk
    # a later re-assignment does not change a placed order
    new_sponsor = make_user()
    services.reassign_sponsor(member, new_sponsor, actor=make_user(is_staff=True), reason="fix")
    assert selectors.order_referrer_id(placed.pk) == sponsor.pk
    assert selectors.order_referrer_id(order(user=member).pk) == new_sponsor.pk


def test_member_order_through_another_members_link_still_pays_the_sponsor():
    sponsor, member = sponsored_member()
    other = make_user()
    services.ensure_code(other)
    click = Click.objects.create(code=other.referral_codes.get(), referrer=other, target_path="/")
    placed = order(
        user=member, attribution={"code": code_of(other), "campaign": None, "click_id": click.pk}
    )
    attribution = OrderAttribution.objects.get(order=placed)
    assert attribution.referrer_id == sponsor.pk
    assert attribution.click is None


def test_source_member_order_has_no_referrer():
    root = make_user()
    placed = order(user=root)
    assert selectors.order_referrer_id(placed.pk) is None
    assert OrderAttribution.objects.filter(order=placed).exists()


def test_guest_order_is_attributed_to_the_link_owner():
    owner = make_user()
    services.ensure_code(owner)
    click = Click.objects.create(code=owner.referral_codes.get(), referrer=owner, target_path="/")
    placed = order(attribution={"code": code_of(owner), "campaign": None, "click_id": click.pk})
    attribution = OrderAttribution.objects.get(order=placed)
    assert (attribution.referrer_id, attribution.click_id) == (owner.pk, click.pk)


def test_guest_order_without_a_link_has_no_referrer():
    assert selectors.order_referrer_id(order().pk) is None
    assert selectors.order_referrer_id(order(attribution={"code": "nope!!"}).pk) is None
    assert selectors.order_referrer_id(order(attribution="junk").pk) is None


def test_own_code_never_attributes_own_order():
    member = make_user(email="chen@example.com", phone="0933444555")
    services.ensure_code(member)
    attribution = {"code": code_of(member), "campaign": None, "click_id": None}
    assert selectors.order_referrer_id(order(user=member, attribution=attribution).pk) is None
    # nor as a guest with the member's e-mail or phone
    assert (
        selectors.order_referrer_id(order(attribution=attribution, email="chen@example.com").pk)
        is None
    )
    assert (
        selectors.order_referrer_id(order(attribution=attribution, phone="0933444555").pk) is None
    )


def test_campaign_attribution_whatever_the_sponsor():
    sponsor, member = sponsored_member()
    sharer = make_user()
    services.ensure_code(sharer)
    now = timezone.now()
    live = Campaign.objects.create(
        slug="live", title="直播", starts_at=now, ends_at=now + timezone.timedelta(hours=1)
    )
    placed = order(
        user=member, attribution={"code": code_of(sharer), "campaign": "live", "click_id": None}
    )
    attribution = OrderAttribution.objects.get(order=placed)
    assert (attribution.referrer_id, attribution.campaign_id) == (sponsor.pk, live.pk)
    assert selectors.campaign_stats([live.pk])[live.pk].orders == 1


def test_attribution_is_written_once():
    sponsor, member = sponsored_member()
    placed = order(user=member)
    services.attribute_order(placed.pk, None)
    assert OrderAttribution.objects.filter(order=placed).count() == 1


# ---------------------------------------------------------------- registration


def register(client, email, referral_code="", phone="", **extra):
    return client.post(
        reverse("accounts:register"),
        {
            "email": email,
            "name": "新會員",
            "phone": phone,
            "password1": "a-Long-pass-2026",
            "password2": "a-Long-pass-2026",
            "referral_code": referral_code,
        },
        HTTP_USER_AGENT=BROWSER,
        **extra,
    )


def node_of(email):
    return ReferralNode.objects.get(user__email=email)


def test_registration_through_a_link_binds_the_sponsor(client):
    sponsor = make_user()
    services.ensure_code(sponsor)
    client.get(f"/r/{code_of(sponsor)}", HTTP_USER_AGENT=BROWSER)
    response = register(client, "new@example.com")
    assert response.status_code == 302
    node = node_of("new@example.com")
    assert (node.sponsor_id, node.bound_via, node.depth) == (sponsor.pk, "link", 2)
    assert node.signup_click == Click.objects.get()
    assert selectors.link_stats(sponsor.pk)[None].signups == 1


def test_registration_page_names_the_sponsor_masked(client):
    sponsor = make_user(name="何美玲")
    services.ensure_code(sponsor)
    assert 'data-testid="sponsor-note"' not in client.get("/accounts/register/").content.decode()
    client.get(f"/r/{code_of(sponsor)}", HTTP_USER_AGENT=BROWSER)
    html = client.get("/accounts/register/").content.decode()
    assert "由 何○玲 推薦" in html and "何美玲" not in html
    typed = make_user(name="楊子廷")
    services.ensure_code(typed)
    html = client.get("/accounts/register/", {"code": code_of(typed)}).content.decode()
    assert "由 楊○廷 推薦" in html
    html = client.get("/accounts/register/", {"code": "nosuchcode"}).content.decode()
    assert 'data-testid="sponsor-note"' not in html


def test_later_click_on_another_link_changes_nothing(client):
    first, second = make_user(), make_user()
    services.ensure_code(first)
    services.ensure_code(second)
    client.get(f"/r/{code_of(first)}", HTTP_USER_AGENT=BROWSER)
    register(client, "loyal@example.com")
    client.get(f"/r/{code_of(second)}", HTTP_USER_AGENT=BROWSER)
    member = get_user_model().objects.get(email="loyal@example.com")
    with pytest.raises(services.ReferralError):
        services.bind_sponsor(member, second, via="link")
    assert services.bind_at_registration(None, member, code_of(second)).sponsor_id == first.pk
    assert node_of("loyal@example.com").sponsor_id == first.pk


def test_typed_code_wins_over_the_cookie(client):
    cookie_owner, typed_owner = make_user(), make_user()
    services.ensure_code(cookie_owner)
    services.ensure_code(typed_owner)
    client.get(f"/r/{code_of(cookie_owner)}", HTTP_USER_AGENT=BROWSER)
    register(client, "typed@example.com", referral_code=code_of(typed_owner).upper())
    node = node_of("typed@example.com")
    assert (node.sponsor_id, node.bound_via) == (typed_owner.pk, "code")


def test_unknown_typed_code_is_a_form_error(client):
    response = register(client, "typo@example.com", referral_code="nosuchcode")
    assert response.status_code == 200
    assert not get_user_model().objects.filter(email="typo@example.com").exists()


def test_registration_without_a_sponsor_makes_a_source(client):
    register(client, "alone@example.com")
    node = node_of("alone@example.com")
    assert (node.sponsor_id, node.depth, node.bound_via) == (None, 1, "none")
    assert node.bound_at is not None


def test_second_account_of_the_same_person_cannot_use_its_own_link(client):
    amy = make_user(email="amy.chen@gmail.com")
    services.ensure_code(amy)
    client.get(f"/r/{code_of(amy)}", HTTP_USER_AGENT=BROWSER)
    register(client, "amychen+2@gmail.com")
    assert node_of("amychen+2@gmail.com").sponsor_id is None
    client.logout()
    response = register(client, "a.m.y.chen+3@gmail.com", referral_code=code_of(amy))
    assert response.status_code == 200  # typed: told why
    assert not get_user_model().objects.filter(email="a.m.y.chen+3@gmail.com").exists()


def test_guest_who_ordered_through_a_link_is_bound_on_registration(client):
    owner = make_user()
    services.ensure_code(owner)
    placed = order(
        attribution={"code": code_of(owner), "campaign": None, "click_id": None},
        email="buyer@example.com",
    )
    change_status(placed, "paid")  # only a paid guest order binds (issue 12)
    register(client, "Buyer@Example.com")
    node = node_of("buyer@example.com")
    assert (node.sponsor_id, node.bound_via) == (owner.pk, "guest_order")


def test_guest_order_matched_by_phone(client):
    owner = make_user()
    services.ensure_code(owner)
    placed = order(
        attribution={"code": code_of(owner)}, email="other@example.com", phone="0955666777"
    )
    change_status(placed, "paid")
    register(client, "phone-match@example.com", phone="0955-666-777")
    assert node_of("phone-match@example.com").sponsor_id == owner.pk


def test_campaign_sign_up_is_counted(client):
    sharer = make_user()
    services.ensure_code(sharer)
    now = timezone.now()
    live = Campaign.objects.create(
        slug="nov-live", title="直播", starts_at=now, ends_at=now + timezone.timedelta(hours=1)
    )
    client.get(f"/r/{code_of(sharer)}?c=nov-live", HTTP_USER_AGENT=BROWSER)
    register(client, "fan@example.com")
    assert node_of("fan@example.com").signup_campaign == live
    assert selectors.campaign_stats([live.pk])[live.pk].signups == 1
