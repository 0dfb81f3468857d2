"""The commissions API: plans CRUD for staff, an order's commissions, a member's own."""

import json
from decimal import Decimal

import pytest

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.commissions.models import Commission, CommissionPlan, PlanVersion
from fenrun.core.auth import issue_integrator_token

from .conftest import complete, make_chain, place, role_user, seed_plan

pytestmark = pytest.mark.django_db
D = Decimal
BASE = "/api/v1/commissions"


@pytest.fixture
def staff_client(client):
    client.force_login(role_user("店長"))
    return client


def post(client, url, payload, method="post"):
    return getattr(client, method)(url, data=json.dumps(payload), content_type="application/json")


SEED_PAYLOAD = {
    "name": "推薦獎金（兩層）",
    "is_default": True,
    "mode": "matrix",
    "matrix": [["5"], ["3", "4"]],
    "cap": "7",
}


def test_staff_create_read_update_delete_a_plan(staff_client):
    response = post(staff_client, f"{BASE}/plans", SEED_PAYLOAD)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["version"] == 1 and body["levels"] == 2 and body["is_default"]
    assert [[D(r) for r in row] for row in body["matrix"]] == [[D(5)], [D(3), D(4)]]
    plan_id = body["id"]

    assert staff_client.get(f"{BASE}/plans/{plan_id}").json()["name"] == "推薦獎金（兩層）"
    assert [p["id"] for p in staff_client.get(f"{BASE}/plans").json()["items"]] == [plan_id]

    changed = dict(SEED_PAYLOAD, matrix=[["6"], ["3", "4"]])
    response = post(staff_client, f"{BASE}/plans/{plan_id}", changed, method="put")
    assert response.status_code == 200 and response.json()["version"] == 2

    other = post(staff_client, f"{BASE}/plans", {"name": "x", "rates": ["1"]}).json()
    response = staff_client.delete(f"{BASE}/plans/{plan_id}")
    assert response.status_code == 409  # the default
    assert staff_client.delete(f"{BASE}/plans/{other['id']}").status_code == 204


@pytest.mark.parametrize(
    ("payload", "key"),
    [
        ({"name": "a", "rates": ["101"]}, "rates.0"),
        ({"name": "a", "rates": ["1", "1.234"]}, "rates.1"),
        ({"name": "a", "rates": ["1"] * 21}, "rates"),
        ({"name": "a", "rates": []}, "rates"),
        ({"name": "a", "mode": "matrix", "matrix": [["5"], ["3"]]}, "matrix.1"),
        ({"name": "a", "mode": "matrix", "matrix": [["5"], ["3", "4", "1"]]}, "matrix.1"),
        ({"name": "a", "rates": ["5", "5"], "cap": "8"}, "cap"),
        (
            {"name": "a", "rates": ["1"], "guaranteed": [{"tree_level": 0, "rate": "1"}]},
            "guaranteed.0.tree_level",
        ),
        (
            {"name": "a", "rates": ["1"], "guaranteed": [{"tree_level": 1.5, "rate": "1"}]},
            "guaranteed.0.tree_level",
        ),
        (
            {
                "name": "a",
                "rates": ["1"],
                "cap": "2",
                "guaranteed": [{"tree_level": 1, "rate": "3"}],
            },
            "cap",
        ),
        ({"name": "a", "rates": ["1", "1", "1"]}, "legal_acknowledged"),
        ({"name": "a", "rates": ["abc"]}, "rates.0"),
    ],
)
def test_bad_plans_answer_422_with_field_errors_and_save_nothing(staff_client, payload, key):
    response = post(staff_client, f"{BASE}/plans", payload)
    assert response.status_code == 422, response.content
    assert key in response.json()["errors"], response.json()
    assert not CommissionPlan.objects.exists() and not PlanVersion.objects.exists()


def test_members_cannot_write_plans(client):
    client.force_login(UserFactory())
    assert post(client, f"{BASE}/plans", SEED_PAYLOAD).status_code == 403
    assert client.get(f"{BASE}/plans").status_code == 403


def test_anonymous_gets_401(client):
    assert client.get(f"{BASE}/mine").status_code == 401


def test_preview_endpoint(staff_client):
    payload = dict(SEED_PAYLOAD, amount="1000", buyer_level=2)
    response = post(staff_client, f"{BASE}/plans/preview", payload)
    assert response.status_code == 200, response.content
    body = response.json()
    assert D(body["total"]) == D(70)
    assert [(r["tree_level"], D(r["amount"])) for r in body["rows"]] == [(2, D(30)), (1, D(40))]
    assert not CommissionPlan.objects.exists()


@pytest.mark.parametrize(("covers_shipping", "base"), [(False, "440"), (True, "477.97")])
def test_preview_takes_the_credit_off_what_the_wallet_let_it_pay(
    staff_client, covers_shipping, base
):
    payload = dict(
        SEED_PAYLOAD,
        amount="640",
        buyer_level=1,
        shipping="150",
        credit="200",
        credit_covers_shipping=covers_shipping,
    )
    response = post(staff_client, f"{BASE}/plans/preview", payload)
    assert response.status_code == 200, response.content
    assert D(response.json()["base"]) == D(base)


def test_assignments_api(staff_client):
    plan = post(staff_client, f"{BASE}/plans", SEED_PAYLOAD).json()
    product = ProductFactory()
    response = post(
        staff_client,
        f"{BASE}/plans/{plan['id']}/assignments",
        {"target": "product", "id": product.pk},
    )
    assert response.status_code == 201
    bad = post(
        staff_client, f"{BASE}/plans/{plan['id']}/assignments", {"target": "product", "id": 999999}
    )
    assert bad.status_code == 422 and "id" in bad.json()["errors"]
    assert staff_client.delete(f"{BASE}/assignments/{response.json()['id']}").status_code == 204


def test_order_commissions_for_staff_and_manual_creation(staff_client):
    seed_plan()
    staff_client.put(
        f"{BASE}/settings",
        data=json.dumps({"automatic": False, "hold_days": 7}),
        content_type="application/json",
    )
    source, l1, buyer = make_chain(3)
    order = complete(place(buyer))
    body = staff_client.get(f"{BASE}/orders/{order.pk}").json()
    assert body["settlement"] is None and body["commissions"] == []
    response = staff_client.post(f"{BASE}/orders/{order.pk}/create")
    assert response.status_code == 201
    rows = response.json()["commissions"]
    assert {(r["payee_id"], D(r["amount"]), r["level"]) for r in rows} == {
        (l1.pk, D(30), 1),
        (source.pk, D(40), 2),
    }
    assert all(r["rule_text"] and r["order_number"] == order.number for r in rows)
    assert staff_client.post(f"{BASE}/orders/{order.pk}/create").status_code == 200
    assert Commission.objects.filter(order=order).count() == 2


def test_integrator_reads_commissions_of_its_own_orders_only(client):
    seed_plan()
    _source, buyer = make_chain(2)
    order = complete(place(buyer))
    _token, key = issue_integrator_token("pos-1", ["commissions.read"])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get(f"{BASE}/orders/{order.pk}", **headers).status_code == 404
    from fenrun.orders.models import Order

    Order.objects.filter(pk=order.pk).update(source="pos-1")
    assert client.get(f"{BASE}/orders/{order.pk}", **headers).status_code == 200
    # An integrator has no commissions of its own: /mine takes a member's session only; the key
    # is known, so the answer is "not you" (403), not "who are you" (401).
    assert client.get(f"{BASE}/mine", **headers).status_code == 403


def test_my_commissions_with_filters(client):
    seed_plan()
    source, l1, buyer = make_chain(3)
    complete(place(buyer))
    client.force_login(l1)
    body = client.get(f"{BASE}/mine").json()
    assert body["count"] == 1 and D(body["items"][0]["amount"]) == D(30)
    assert D(client.get(f"{BASE}/mine/totals").json()["totals"]["pending"]) == D(30)
    assert client.get(f"{BASE}/mine", {"status": "available"}).json()["count"] == 0
    assert client.get(f"{BASE}/mine", {"date_from": "2000-01-01"}).json()["count"] == 1
    assert client.get(f"{BASE}/mine", {"date_to": "2000-01-01"}).json()["count"] == 0
    bad = client.get(f"{BASE}/mine", {"date_from": "2000-01-02", "date_to": "2000-01-01"})
    assert bad.status_code == 422 and "date_to" in bad.json()["errors"]
    assert client.get(f"{BASE}/mine", {"status": "nonsense"}).status_code == 422


def test_settings_api_validates(staff_client):
    response = staff_client.put(
        f"{BASE}/settings",
        data=json.dumps({"automatic": True, "hold_days": -1}),
        content_type="application/json",
    )
    assert response.status_code == 422
