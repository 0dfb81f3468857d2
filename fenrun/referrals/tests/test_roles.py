"""The default roles against referrals: campaigns, the tree, re-assignment, contact data."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fenrun.core.permissions import Capability
from fenrun.referrals import services
from fenrun.referrals.models import Campaign, ReferralSettings, SponsorChange

from .conftest import make_user, staff_in, staff_with

pytestmark = pytest.mark.django_db

BASE = "/api/v1/referrals"


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def campaign_data(slug="live-1"):
    now = timezone.now()
    return {
        "title": "直播",
        "slug": slug,
        "starts_at": now.isoformat(),
        "ends_at": (now + timezone.timedelta(hours=2)).isoformat(),
    }


def test_marketing_creates_shop_wide_campaigns_and_other_staff_do_not():
    created = post(logged_in(staff_in("行銷")), BASE + "/campaigns", campaign_data())
    assert created.status_code == 201 and created.json()["shop_wide"] is True
    # Being staff is not enough: a packer is refused like any member when members may not.
    refused = post(logged_in(staff_in("出貨")), BASE + "/campaigns", campaign_data("live-2"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "campaigns_not_allowed"
    assert Campaign.objects.count() == 1


def test_members_keep_creating_their_own_campaigns_when_the_shop_allows_it():
    ReferralSettings.objects.update_or_create(pk=1, defaults={"members_create_campaigns": True})
    services.forget_settings_cache()
    packer = staff_in("出貨")
    created = post(logged_in(packer), BASE + "/campaigns", campaign_data())
    assert created.status_code == 201 and created.json()["shop_wide"] is False
    assert Campaign.objects.get().owner == packer


def test_campaign_admin_needs_manage_campaigns():
    campaign = Campaign.objects.create(
        slug="x", title="x", starts_at=timezone.now(), ends_at=timezone.now()
    )
    url = reverse("admin:referrals_campaign_change", args=[campaign.pk])
    assert logged_in(staff_in("出貨")).get(url).status_code == 403
    assert logged_in(staff_in("財務")).post(url, {"title": "y"}).status_code == 403
    assert logged_in(staff_in("行銷")).get(url).status_code == 200


def test_overall_campaign_figures_are_for_report_readers(client):
    Campaign.objects.create(
        slug="x", title="x", starts_at=timezone.now(), ends_at=timezone.now().replace(year=2099)
    )
    page = logged_in(staff_in("出貨")).get(reverse("referrals:campaigns"))
    assert all(item["overall"] is None for item in page.context["items"])
    page = logged_in(staff_in("行銷")).get(reverse("referrals:campaigns"))
    assert all(item["overall"] is not None for item in page.context["items"])


def test_the_tree_is_for_report_readers_with_contact_data_masked():
    root = make_user(email="root@example.com", name="")
    child = make_user(email="child@example.com")
    services.bind_sponsor(child, root, via="link")
    assert logged_in(staff_in("出貨")).get(f"{BASE}/members/{child.pk}/tree").status_code == 403
    assert (
        logged_in(staff_in("出貨")).get(reverse("admin:referrals_tree", args=[child.pk]))
    ).status_code == 403

    marketing = logged_in(staff_in("行銷"))
    tree = marketing.get(f"{BASE}/members/{child.pk}/tree").json()
    assert tree["member"]["email"] == "c***@example.com"
    assert tree["sponsor"]["email"] == "r***@example.com"
    html = marketing.get(reverse("admin:referrals_tree", args=[child.pk])).content.decode()
    assert "root@example.com" not in html and "child@example.com" not in html
    assert 'name="reason"' not in html  # no re-assignment form without CHANGE_SPONSORS
    listing = marketing.get("/admin/referrals/referralnode/").content.decode()
    assert "root@example.com" not in listing

    finance = logged_in(staff_in("財務"))
    assert finance.get(f"{BASE}/members/{child.pk}/tree").json()["member"]["email"] == (
        "child@example.com"
    )


def test_reassigning_needs_change_sponsors_in_the_api_and_the_admin():
    root, child, other = make_user(), make_user(), make_user()
    services.bind_sponsor(child, root, via="link")
    body = {"sponsor_id": other.pk, "reason": "更正"}
    marketing = logged_in(staff_in("行銷"))
    assert post(marketing, f"{BASE}/members/{child.pk}/sponsor", body).status_code == 403
    page = reverse("admin:referrals_tree", args=[child.pk])
    marketing.post(page, {"member": other.email, "reason": "更正"})
    assert not SponsorChange.objects.exists()

    mover = logged_in(staff_with(Capability.CHANGE_SPONSORS))
    assert post(mover, f"{BASE}/members/{child.pk}/sponsor", body).status_code == 201
    cycle = post(
        mover, f"{BASE}/members/{other.pk}/sponsor", {"sponsor_id": child.pk, "reason": "x"}
    )
    assert cycle.status_code == 422
    assert cycle.json()["code"] == "sponsor_cycle" and "sponsor_id" in cycle.json()["errors"]


def test_referral_settings_are_changed_only_with_manage_plans():
    settings = ReferralSettings.load()
    url = reverse("admin:referrals_referralsettings_change", args=[settings.pk])
    assert logged_in(staff_in("行銷")).get(url).status_code == 200
    assert logged_in(staff_in("行銷")).post(url, {"attribution_window_days": 1}).status_code == 403
    assert logged_in(staff_in("出貨")).get(url).status_code == 403
    page = logged_in(staff_with(Capability.MANAGE_PLANS)).get(url)
    assert "attribution_window_days" in page.context["adminform"].form.fields


def test_the_openapi_document_says_who_may_call_each_referral_operation(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path, operations in paths.items():
        if path.startswith(BASE):
            for method, operation in operations.items():
                assert operation.get("x-access"), f"{method} {path}"
    sponsor = paths[BASE + "/members/{user_id}/sponsor"]["post"]
    assert sponsor["x-access"] == [str(Capability.CHANGE_SPONSORS)]
