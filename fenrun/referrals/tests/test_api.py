import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core.permissions import Capability
from fenrun.referrals import services
from fenrun.referrals.models import Campaign, ReferralNode, SponsorChange

from .conftest import make_user, staff_in, staff_with

pytestmark = pytest.mark.django_db

BASE = "/api/v1/referrals"


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def staff():
    return staff_with(
        Capability.VIEW_REPORTS, Capability.CHANGE_SPONSORS, Capability.VIEW_CONTACT_DATA
    )


def test_member_endpoints_need_login(client):
    for url in ("/me", "/me/links", "/me/campaigns"):
        assert client.get(BASE + url).status_code == 401
    assert post(client, BASE + "/me/code", {"code": "abcd"}).status_code == 401


def test_me_and_links():
    member = make_user()
    ProductFactory(slug="tea", name="茶")
    client = logged_in(member)
    me = client.get(BASE + "/me").json()
    assert me["user_id"] == member.pk and me["tree_level"] == 1 and me["sponsor_id"] is None
    assert me["shop_link"]["url"] == f"http://testserver/r/{me['primary_code']}"
    assert me["totals"] == {"clicks": 0, "signups": 0, "orders": 0}
    links = client.get(BASE + "/me/links").json()
    assert links["count"] == 1
    assert links["items"][0]["url"].endswith(f"/r/{me['primary_code']}/tea")
    assert "stats" in links["items"][0]


def test_choose_code_through_the_api():
    client = logged_in(make_user())
    bad = post(client, BASE + "/me/code", {"code": "api"})
    assert bad.status_code == 422 and "code" in bad.json()["errors"]
    good = post(client, BASE + "/me/code", {"code": "Tea-Lover"})
    assert good.status_code == 201 and good.json()["code"] == "tea-lover"
    again = post(client, BASE + "/me/code", {"code": "tea-lover-2"})
    assert again.status_code == 422


def test_campaign_creation_permissions():
    now = timezone.now()
    data = {
        "title": "山嵐直播",
        "slug": "live-1",
        "starts_at": now.isoformat(),
        "ends_at": (now + timezone.timedelta(hours=2)).isoformat(),
    }
    member = make_user()
    assert post(logged_in(member), BASE + "/campaigns", data).status_code == 403
    member.user_permissions.add(Permission.objects.get(codename="add_campaign"))
    created = post(logged_in(member), BASE + "/campaigns", data)
    assert created.status_code == 201
    assert created.json()["shop_wide"] is False
    marketing = staff_in("行銷")
    duplicate = post(logged_in(marketing), BASE + "/campaigns", data)
    assert duplicate.status_code == 422 and "slug" in duplicate.json()["errors"]
    assert duplicate.json()["code"] == "campaign_code_taken"
    backwards = post(
        logged_in(marketing),
        BASE + "/campaigns",
        {**data, "slug": "b", "ends_at": now.isoformat()},
    )
    assert backwards.status_code == 422
    listing = logged_in(member).get(BASE + "/me/campaigns").json()["items"]
    assert [c["slug"] for c in listing] == ["live-1"]


def test_staff_endpoints_refuse_members():
    member = make_user()
    client = logged_in(member)
    assert client.get(f"{BASE}/members/{member.pk}/tree").status_code == 403
    assert client.get(f"{BASE}/members/{member.pk}/uplines").status_code == 403
    assert (
        post(
            client, f"{BASE}/members/{member.pk}/sponsor", {"sponsor_id": None, "reason": "x"}
        ).status_code
        == 403
    )


def test_staff_tree_and_reassign(staff):
    root, child, grandchild, other = (make_user() for _ in range(4))
    services.bind_sponsor(child, root, via="link")
    services.bind_sponsor(grandchild, child, via="link")
    client = logged_in(staff)
    tree = client.get(f"{BASE}/members/{child.pk}/tree").json()
    assert tree["sponsor"]["user_id"] == root.pk
    assert [d["user_id"] for d in tree["directs"]] == [grandchild.pk]
    assert tree["downline_by_level"] == {"1": 1}
    uplines = client.get(f"{BASE}/members/{grandchild.pk}/uplines").json()["items"]
    assert [u["user_id"] for u in uplines] == [child.pk, root.pk]
    cycle = post(
        client, f"{BASE}/members/{root.pk}/sponsor", {"sponsor_id": grandchild.pk, "reason": "x"}
    )
    assert cycle.status_code == 422 and "sponsor_id" in cycle.json()["errors"]
    no_reason = post(
        client, f"{BASE}/members/{child.pk}/sponsor", {"sponsor_id": other.pk, "reason": ""}
    )
    assert no_reason.status_code == 422
    missing = post(
        client, f"{BASE}/members/{child.pk}/sponsor", {"sponsor_id": 99999999, "reason": "x"}
    )
    assert missing.status_code == 422
    moved = post(
        client, f"{BASE}/members/{child.pk}/sponsor", {"sponsor_id": other.pk, "reason": "客服更正"}
    )
    assert moved.status_code == 201
    assert moved.json()["old_sponsor_id"] == root.pk and moved.json()["actor_id"] == staff.pk
    assert ReferralNode.objects.get(pk=grandchild.pk).depth == 3
    changes = client.get(f"{BASE}/members/{child.pk}/sponsor-changes").json()["items"]
    assert changes[0]["reason"] == "客服更正"
    assert client.get(f"{BASE}/members/99999999/tree").status_code == 404


def test_staff_without_the_capability_cannot_reassign():
    staff = staff_in("行銷")
    a, b = make_user(), make_user()
    response = post(
        logged_in(staff), f"{BASE}/members/{a.pk}/sponsor", {"sponsor_id": b.pk, "reason": "x"}
    )
    assert response.status_code == 403
    assert not SponsorChange.objects.exists()


def test_admin_tree_page_and_reassign(staff):
    root, child = make_user(name="源頭小林"), make_user(name="下線小王")
    other = make_user(email="new-sponsor@example.com")
    services.bind_sponsor(child, root, via="link")
    client = logged_in(staff)
    page = client.get(reverse("admin:referrals_tree", args=[root.pk]))
    assert page.status_code == 200
    assert "下線小王" in page.content.decode()
    lookup = client.get(reverse("admin:referrals_tree_lookup"), {"member": child.email})
    assert lookup["Location"] == reverse("admin:referrals_tree", args=[child.pk])
    bad = client.post(
        reverse("admin:referrals_tree", args=[root.pk]), {"member": child.email, "reason": "x"}
    )
    assert bad.status_code == 200 and not SponsorChange.objects.exists()
    good = client.post(
        reverse("admin:referrals_tree", args=[child.pk]),
        {"member": "new-sponsor@example.com", "reason": "更正"},
    )
    assert good.status_code == 302
    assert ReferralNode.objects.get(pk=child.pk).sponsor_id == other.pk


def test_campaign_page(client):
    member = make_user()
    now = timezone.now()
    Campaign.objects.create(
        slug="live-x",
        title="山嵐直播 11月場",
        starts_at=now,
        ends_at=now + timezone.timedelta(hours=1),
    )
    client.force_login(member)
    html = client.get(reverse("referrals:campaigns")).content.decode()
    assert "山嵐直播 11月場" in html and "?c=live-x" in html
    assert 'name="slug"' not in html  # not allowed to create
    response = client.post(reverse("referrals:campaigns"), {"title": "x"})
    assert response.status_code == 302 and Campaign.objects.count() == 1
