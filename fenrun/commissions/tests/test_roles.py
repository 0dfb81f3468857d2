"""Who may do what with plans and commissions: each default role, by page, API and admin."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.commissions.models import Commission, CommissionPlan
from fenrun.commissions.services import update_settings

from .conftest import complete, make_chain, place, role_user, seed_plan
from .test_plans import form_data

pytestmark = pytest.mark.django_db
BASE = "/api/v1/commissions"

PLAN_POST = form_data(name="兩層")
PLAN_PAYLOAD = {"name": "兩層", "rates": ["10", "5"]}


def api(client, method, url, payload=None):
    kwargs = {"data": json.dumps(payload), "content_type": "application/json"} if payload else {}
    return getattr(client, method)(url, **kwargs)


def as_role(client, role):
    user = role_user(role)
    client.force_login(user)
    return user


@pytest.fixture
def completed_order():
    """A completed order without commissions (manual mode) under the seed's plan."""
    plan = seed_plan()
    update_settings(automatic=False, hold_days=7)
    source, l1, buyer = make_chain(3)
    return plan, source, complete(place(buyer))


# -- plans -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["出貨", "行銷"])
def test_roles_without_manage_plans_get_403_on_plan_pages(client, role):
    plan = seed_plan()
    as_role(client, role)
    assert client.get(reverse("commissions:plan_list")).status_code == 403
    assert client.get(reverse("commissions:plan_create")).status_code == 403
    assert client.post(reverse("commissions:plan_create"), PLAN_POST).status_code == 403
    edit = reverse("commissions:plan_edit", args=[plan.pk])
    assert client.get(edit).status_code == 403
    assert client.post(edit, dict(PLAN_POST, name="seed")).status_code == 403
    assert client.post(reverse("commissions:plan_delete", args=[plan.pk])).status_code == 403
    assert client.post(reverse("commissions:plan_preview"), PLAN_POST).status_code == 403
    assert CommissionPlan.objects.count() == 1 and plan.versions.count() == 1


@pytest.mark.parametrize("role", ["出貨", "行銷"])
def test_roles_without_manage_plans_get_403_on_the_plan_api(client, role):
    plan = seed_plan()
    as_role(client, role)
    assert api(client, "post", f"{BASE}/plans", PLAN_PAYLOAD).status_code == 403
    assert api(client, "put", f"{BASE}/plans/{plan.pk}", PLAN_PAYLOAD).status_code == 403
    assert api(client, "delete", f"{BASE}/plans/{plan.pk}").status_code == 403
    assert api(client, "get", f"{BASE}/plans").status_code == 403
    body = api(client, "put", f"{BASE}/settings", {"automatic": False, "hold_days": 0})
    assert body.status_code == 403 and body.json()["code"] == "forbidden"
    assert CommissionPlan.objects.count() == 1 and plan.versions.count() == 1


@pytest.mark.parametrize("role", ["店長", "財務"])
def test_owner_and_finance_edit_plans_by_page_and_api(client, role):
    plan = seed_plan()
    as_role(client, role)
    assert client.post(reverse("commissions:plan_create"), PLAN_POST).status_code == 302
    response = api(client, "put", f"{BASE}/plans/{plan.pk}", dict(PLAN_PAYLOAD, name="seed"))
    assert response.status_code == 200 and response.json()["version"] == 2
    assert CommissionPlan.objects.count() == 2


# -- settling -----------------------------------------------------------------------------------


def test_a_settler_settles_by_page_and_api_but_sees_no_plan_links(client, completed_order):
    plan, _source, order = completed_order
    settler = UserFactory(is_staff=True)
    settler.user_permissions.add(
        Permission.objects.get(content_type__app_label="core", codename="settle_commissions")
    )
    client.force_login(settler)
    page = client.get(reverse("commissions:order_commissions", args=[order.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "新增推薦獎金" in html
    assert reverse("commissions:plan_edit", args=[plan.pk]) not in html
    assert client.get(reverse("commissions:unsettled_orders")).status_code == 200
    response = api(client, "post", f"{BASE}/orders/{order.pk}/create")
    assert response.status_code == 201
    assert Commission.objects.filter(order=order).count() == 2


def test_finance_settles_many_orders_from_the_unsettled_page(client, completed_order):
    _plan, _source, order = completed_order
    as_role(client, "財務")
    response = client.post(reverse("commissions:unsettled_orders"), {"order": [order.pk]})
    assert response.status_code == 302 and Commission.objects.filter(order=order).exists()


@pytest.mark.parametrize("role", ["出貨", "行銷"])
def test_roles_without_settle_commissions_cannot_settle(client, completed_order, role):
    _plan, _source, order = completed_order
    as_role(client, role)
    assert client.post(reverse("commissions:create_for_order", args=[order.pk])).status_code == 403
    assert client.get(reverse("commissions:unsettled_orders")).status_code == 403
    assert (
        client.post(reverse("commissions:unsettled_orders"), {"order": [order.pk]}).status_code
        == 403
    )
    assert api(client, "post", f"{BASE}/orders/{order.pk}/create").status_code == 403
    assert not Commission.objects.filter(order=order).exists()


def test_marketing_reads_an_orders_commissions_without_contact_data_or_the_button(
    client, completed_order
):
    _plan, source, order = completed_order
    as_role(client, "財務")
    api(client, "post", f"{BASE}/orders/{order.pk}/create")
    as_role(client, "行銷")
    page = client.get(reverse("commissions:order_commissions", args=[order.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "NT$40" in html
    assert source.email not in html and f"{source.email[0]}***@example.com" in html
    assert api(client, "get", f"{BASE}/orders/{order.pk}").status_code == 200


def test_fulfilment_cannot_read_commissions(client, completed_order):
    _plan, _source, order = completed_order
    as_role(client, "出貨")
    assert client.get(reverse("commissions:order_commissions", args=[order.pk])).status_code == 403
    assert api(client, "get", f"{BASE}/orders/{order.pk}").status_code == 403


def test_finance_sees_contact_data(client, completed_order):
    _plan, source, order = completed_order
    as_role(client, "財務")
    api(client, "post", f"{BASE}/orders/{order.pk}/create")
    html = client.get(reverse("commissions:order_commissions", args=[order.pk])).content.decode()
    assert source.email in html


def test_the_owner_settles_and_sees_plan_links(client, completed_order):
    plan, _source, order = completed_order
    as_role(client, "店長")
    html = client.get(reverse("commissions:order_commissions", args=[order.pk])).content.decode()
    assert reverse("commissions:plan_edit", args=[plan.pk]) in html and "新增推薦獎金" in html
    response = client.post(reverse("commissions:create_for_order", args=[order.pk]))
    assert response.status_code == 302 and Commission.objects.filter(order=order).count() == 2


# -- outsiders ----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_login_page_and_gets_401_from_the_api(client, completed_order):
    plan, _source, order = completed_order
    for url in (
        reverse("commissions:plan_list"),
        reverse("commissions:plan_edit", args=[plan.pk]),
        reverse("commissions:unsettled_orders"),
        reverse("commissions:order_commissions", args=[order.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    assert client.post(reverse("commissions:plan_create"), PLAN_POST).status_code == 302
    assert api(client, "post", f"{BASE}/plans", PLAN_PAYLOAD).status_code == 401
    assert api(client, "get", f"{BASE}/plans").status_code == 401
    assert api(client, "post", f"{BASE}/orders/{order.pk}/create").status_code == 401
    assert api(client, "get", f"{BASE}/mine").status_code == 401
    assert CommissionPlan.objects.count() == 1


def test_a_member_is_redirected_from_staff_pages_and_refused_by_the_api(client, completed_order):
    plan, _source, order = completed_order
    client.force_login(UserFactory())
    response = client.post(reverse("commissions:plan_create"), PLAN_POST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.post(reverse("commissions:create_for_order", args=[order.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert api(client, "post", f"{BASE}/plans", PLAN_PAYLOAD).status_code == 403
    assert api(client, "post", f"{BASE}/orders/{order.pk}/create").status_code == 403
    assert api(client, "get", f"{BASE}/mine").status_code == 200
    assert client.get(reverse("commissions:my_commissions")).status_code == 200
    assert CommissionPlan.objects.count() == 1 and not Commission.objects.exists()


def test_a_staff_user_without_a_role_gets_403(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("commissions:plan_list")).status_code == 403
    assert api(client, "get", f"{BASE}/plans").status_code == 403


# -- the back office ----------------------------------------------------------------------------


def test_admin_screens_follow_the_capabilities(client, completed_order):
    plan, source, order = completed_order
    as_role(client, "財務")
    api(client, "post", f"{BASE}/orders/{order.pk}/create")
    commission = Commission.objects.filter(payee=source).get()
    assert client.get("/admin/commissions/commissionplan/").status_code == 200
    assert client.get("/admin/commissions/commission/").status_code == 200
    change = client.get(f"/admin/commissions/commission/{commission.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()

    as_role(client, "行銷")
    html = client.get("/admin/commissions/commission/").content.decode()
    assert source.email not in html
    html = client.get(f"/admin/commissions/commission/{commission.pk}/change/").content.decode()
    assert source.email not in html and f"{source.email[0]}***@example.com" in html
    assert client.get("/admin/commissions/ordersettlement/").status_code == 200

    as_role(client, "出貨")
    assert client.get("/admin/commissions/commissionplan/").status_code == 403
    assert client.get("/admin/commissions/commissionsettings/").status_code == 403
    assert client.get("/admin/commissions/commission/").status_code == 403
    assert (
        client.get(f"/admin/commissions/planversion/{plan.current_version.pk}/change/").status_code
        == 403
    )

    as_role(client, "店長")
    assert client.get("/admin/commissions/commissionplan/").status_code == 200
    version = client.get(f"/admin/commissions/planversion/{plan.current_version.pk}/change/")
    assert version.status_code == 200 and 'name="_save"' not in version.content.decode()
