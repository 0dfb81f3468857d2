"""A POS (an integrator key) sells in a shop: names the buyer, pays, completes, reads bonuses.

The first test is the issue's "done when": a key pushes an order with a member's e-mail, the
member's upline earns, the key completes the order and reads its commissions by order number.
The others hold each rule of a push: a guest with a referral code, the buyer found by phone, an
e-mail that is no member's, a code that is unknown or the buyer's own, and the scopes.
"""

import importlib
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import Client

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.models import Product
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.commissions.models import Commission
from fenrun.commissions.tests.conftest import make_chain, seed_plan
from fenrun.core.admin import IntegratorTokenForm
from fenrun.core.auth import issue_integrator_token
from fenrun.core.models import IntegratorToken
from fenrun.core.scopes import BEFORE_SCOPES, Scope
from fenrun.orders.models import Order, Payment
from fenrun.orders.tests.factories import ShippingMethodFactory, api_order
from fenrun.referrals.models import OrderAttribution, ReferralCode
from fenrun.referrals.services import ensure_code

pytestmark = pytest.mark.django_db
D = Decimal
API = "/api/v1"
POS_SCOPES = [Scope.ORDERS_READ, Scope.ORDERS_WRITE, Scope.ORDERS_STATUS, Scope.COMMISSIONS_READ]


@pytest.fixture
def product():
    ShippingMethodFactory()
    return ProductFactory(slug="oolong", price=D("1000"), stock=10)


def pos_client(name="pos-taipei", scopes=POS_SCOPES):
    _token, key = issue_integrator_token(name, scopes)
    return Client(headers={"Authorization": f"Bearer {key}"})


sale = api_order


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def move(client, number, status):
    response = post(client, f"{API}/orders/{number}/status", {"status": status})
    assert response.status_code == 200, response.content
    return response.json()


def test_pos_pushes_a_members_paid_sale_completes_it_and_reads_its_commissions_by_number(product):
    seed_plan()  # 2 uplines: 3% to the sponsor, 4% to theirs
    source, sponsor, buyer = make_chain(3)
    pos = pos_client()

    pushed = post(pos, f"{API}/orders", sale(buyer_email=buyer.email.upper(), paid=True))

    assert pushed.status_code == 201, pushed.content
    order = pushed.json()
    assert order["status"] == "paid" and order["source"] == "pos-taipei"
    assert order["id"] == Order.objects.get(number=order["number"]).pk
    assert Order.objects.get(pk=order["id"]).user == buyer
    payment = Payment.objects.get(order_id=order["id"])
    assert (payment.gateway, payment.status, payment.amount) == (
        "integrator",
        "succeeded",
        D(order["grand_total"]),
    )
    assert payment.payload == {"source": "pos-taipei"}
    assert Product.objects.get(pk=product.pk).stock == 9

    assert move(pos, order["number"], "shipped")["status"] == "shipped"
    assert move(pos, order["number"], "completed")["status"] == "completed"

    read = pos.get(f"{API}/commissions/orders/by-number/{order['number']}")
    assert read.status_code == 200, read.content
    body = read.json()
    assert (body["order_id"], body["order_number"]) == (order["id"], order["number"])
    earned = {c["payee_id"]: D(c["amount"]) for c in body["commissions"]}
    assert earned == {sponsor.pk: D(30), source.pk: D(40)}
    assert Commission.objects.filter(order_id=order["id"]).count() == 2


def test_an_unpaid_push_is_paid_shipped_and_completed_through_the_status_machine(product):
    pos = pos_client()
    number = post(pos, f"{API}/orders", sale(payment_method="atm")).json()["number"]
    refused = post(pos, f"{API}/orders/{number}/status", {"status": "completed"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "transition_refused"
    for status in ("paid", "shipped", "completed"):
        assert move(pos, number, status)["status"] == status
    history = Order.objects.get(number=number).status_changes.order_by("id")
    assert [h.note for h in history][1:] == ["pos-taipei"] * 3


def test_a_key_moves_only_the_orders_of_its_own_source(product):
    mine = pos_client("pos-a")
    other = pos_client("pos-b")
    number = post(mine, f"{API}/orders", sale()).json()["number"]
    response = post(other, f"{API}/orders/{number}/status", {"status": "cancelled"})
    assert response.status_code == 404
    assert other.get(f"{API}/commissions/orders/by-number/{number}").status_code == 404
    assert Order.objects.get(number=number).status == "pending"


def test_a_guest_with_a_referral_code_is_attributed_to_the_codes_owner(product):
    owner = UserFactory(email="kol@example.com")
    code = ensure_code(owner).code
    pos = pos_client()
    response = post(pos, f"{API}/orders", sale(referral_code=code.lower(), paid=True))
    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["id"])
    assert order.user is None
    assert OrderAttribution.objects.get(order=order).referrer == owner


def test_the_buyer_is_found_by_mobile_number(product):
    buyer = UserFactory(phone="0911222333")
    pos = pos_client()
    response = post(pos, f"{API}/orders", sale(buyer_phone="+886 911-222-333"))
    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["id"])
    assert order.user == buyer and order.email == buyer.email


def test_an_email_that_is_no_members_makes_a_guest_order_with_it(product):
    UserFactory(email="member@example.com")
    pos = pos_client()
    response = post(pos, f"{API}/orders", sale(buyer_email="walk-in@example.com"))
    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["id"])
    assert (order.user, order.email) == (None, "walk-in@example.com")


def test_a_buyers_own_referral_code_is_refused_and_nothing_is_placed(product):
    buyer = UserFactory(email="self@example.com")
    code = ensure_code(buyer).code
    pos = pos_client()
    as_member = post(pos, f"{API}/orders", sale(buyer_email=buyer.email, referral_code=code))
    # A guest giving the owner's own e-mail is the owner too, as for a share link on the web.
    as_guest = post(pos, f"{API}/orders", sale(email=buyer.email, referral_code=code))
    for response in (as_member, as_guest):
        assert response.status_code == 422, response.content
        assert response.json()["code"] == "own_referral_code"
        assert "referral_code" in response.json()["errors"]
    assert not Order.objects.exists()
    assert Product.objects.get(pk=product.pk).stock == 10


def test_an_unknown_code_and_two_different_members_are_refused(product):
    UserFactory(email="a@example.com")
    UserFactory(phone="0911000111")
    pos = pos_client()
    unknown = post(pos, f"{API}/orders", sale(referral_code="NOSUCHCODE"))
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_referral_code")
    both = post(pos, f"{API}/orders", sale(buyer_email="a@example.com", buyer_phone="0911000111"))
    assert (both.status_code, both.json()["code"]) == (422, "member_ambiguous")
    assert set(both.json()["errors"]) == {"buyer_email", "buyer_phone"}
    assert not Order.objects.exists()


def test_members_may_not_send_the_integrators_fields(product, client):
    client.force_login(UserFactory())
    response = post(client, f"{API}/orders", sale(buyer_email="x@example.com", paid=True))
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"buyer_email", "paid"}


def test_a_key_without_the_scope_is_refused_403_naming_it(product):
    reader = pos_client("pos-reader", [Scope.ORDERS_READ])
    response = post(reader, f"{API}/orders", sale())
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"
    assert response.json()["errors"] == {"scope": ["orders.write"]}
    assert not Order.objects.exists()
    assert reader.get(f"{API}/orders").status_code == 200


def test_members_are_looked_up_with_members_read(product):
    member = UserFactory(phone="0933444555", name="林美玲")
    ReferralCode.objects.filter(user=member).delete()
    lookup = pos_client("pos-lookup", [Scope.MEMBERS_READ])
    found = lookup.get(f"{API}/referrals/members/lookup", {"phone": "0933-444-555"})
    assert found.status_code == 200, found.content
    assert found.json()["user_id"] == member.pk and found.json()["name"] != "林美玲"
    missing = lookup.get(f"{API}/referrals/members/lookup", {"email": "none@example.com"})
    assert (missing.status_code, missing.json()["code"]) == (404, "member_not_found")
    assert lookup.get(f"{API}/referrals/members/lookup").status_code == 422


def test_the_command_issues_a_key_with_the_scopes_asked_for():
    out = StringIO()
    call_command(
        "create_integrator_token", "pos-cmd", "--scope", "orders.read,orders.status", stdout=out
    )
    assert IntegratorToken.objects.get(name="pos-cmd").scopes == ["orders.read", "orders.status"]
    call_command("create_integrator_token", "pos-default", stdout=out)
    assert IntegratorToken.objects.get(name="pos-default").scopes == ["orders.read", "orders.write"]
    with pytest.raises(CommandError, match="orders.delete"):
        call_command("create_integrator_token", "pos-typo", "--scope", "orders.delete", stdout=out)
    assert not IntegratorToken.objects.filter(name="pos-typo").exists()


def test_the_admin_form_stores_the_scopes_chosen():
    form = IntegratorTokenForm(
        data={"name": "pos-admin", "is_active": "on", "scopes": ["members.read", "orders.read"]}
    )
    assert form.is_valid(), form.errors
    token = form.save(commit=False)
    assert token.scopes == ["orders.read", "members.read"]
    assert not IntegratorTokenForm(data={"name": "x", "scopes": ["nope"]}).is_valid()


def test_keys_issued_before_scopes_keep_what_they_could_call():
    migration = importlib.import_module("fenrun.core.migrations.0006_integrator_scopes")
    assert migration.BEFORE_SCOPES == [str(s) for s in BEFORE_SCOPES]
    token, _key = issue_integrator_token("pos-old", [])
    migration.grant_previous_rights(apps, None)
    token.refresh_from_db()
    assert token.scopes == ["orders.read", "orders.write", "commissions.read"]


def test_shipping_and_payment_methods_are_listed_in_the_requests_language(client):
    ShippingMethodFactory()
    ShippingMethodFactory(code="711", name="7-ELEVEN 取貨", kind="cvs", fee=D("60"))
    shipping = client.get(f"{API}/methods/shipping", HTTP_ACCEPT_LANGUAGE="en").json()
    assert shipping["count"] == 2
    by_code = {m["code"]: m for m in shipping["items"]}
    assert (by_code["home"]["needs_address"], by_code["home"]["needs_store"]) == (True, False)
    assert by_code["711"]["needs_store"] and by_code["711"]["fee"] == "60.00"
    assert by_code["711"]["kind_label"] == "Convenience-store pickup"
    payment = client.get(f"{API}/methods/payment", HTTP_ACCEPT_LANGUAGE="zh-hant").json()
    names = {m["code"]: m["name"] for m in payment["items"]}
    assert set(names) == {"atm", "cod", "gateway"} and names["cod"] == "貨到付款"
