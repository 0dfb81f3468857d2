"""Issue 12, item 2: a guest order binds a new member only when it was paid, and never over the
link or code the member really used."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from fenrun.catalog.tests.factories import ProductFactory
from fenrun.orders.services import change_status, place_order
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient
from fenrun.referrals import services
from fenrun.referrals.models import ReferralNode

from .conftest import make_user
from .test_attribution import register
from .test_links import BROWSER, code_of

pytestmark = pytest.mark.django_db

VICTIM = "victim@example.com"


def guest_order(owner, *, email=VICTIM, phone="0911222333", status=None):
    placed = place_order(
        items=[(ProductFactory(stock=5).pk, 1)],
        recipient=home_recipient(email=email, phone=phone),
        shipping_method=ShippingMethodFactory(),
        payment_method="atm",
        context={"attribution": {"code": code_of(owner), "campaign": None, "click_id": None}},
    )
    for step in status or ():
        change_status(placed, step)
    return placed


def member_with_code():
    member = make_user()
    services.ensure_code(member)
    return member


def node_of(email):
    return ReferralNode.objects.get(user=get_user_model().objects.get(email=email))


def test_a_cancelled_guest_order_does_not_steal_the_link_the_victim_used(client):
    attacker, honest = member_with_code(), member_with_code()
    # X, logged out, through their own link, places an ATM order with the victim's e-mail.
    guest_order(attacker, status=["cancelled"])
    # The victim later arrives through Y's link and registers.
    client.get(f"/r/{code_of(honest)}", HTTP_USER_AGENT=BROWSER)
    register(client, VICTIM)
    node = node_of(VICTIM)
    assert (node.sponsor_id, node.bound_via) == (honest.pk, "link")


def test_even_a_paid_guest_order_does_not_outrank_the_link_used():
    earlier, linked = member_with_code(), member_with_code()
    guest_order(earlier, status=["paid"])
    visitor = Client()
    visitor.get(f"/r/{code_of(linked)}", HTTP_USER_AGENT=BROWSER)
    register(visitor, VICTIM)
    assert node_of(VICTIM).sponsor_id == linked.pk


def test_a_typed_code_outranks_a_paid_guest_order(client):
    earlier, typed = member_with_code(), member_with_code()
    guest_order(earlier, status=["paid"])
    register(client, VICTIM, referral_code=code_of(typed))
    assert node_of(VICTIM).sponsor_id == typed.pk


@pytest.mark.parametrize("steps", [[], ["cancelled"], ["paid", "refunded"]])
def test_an_unpaid_or_undone_guest_order_never_binds(client, steps):
    owner = member_with_code()
    guest_order(owner, status=steps)
    register(client, VICTIM)
    node = node_of(VICTIM)
    assert (node.sponsor_id, node.bound_via) == (None, "none")


@pytest.mark.parametrize("steps", [["paid"], ["paid", "shipped"], ["paid", "shipped", "completed"]])
def test_a_paid_guest_order_still_binds_when_no_link_or_code_was_used(client, steps):
    owner = member_with_code()
    guest_order(owner, status=steps)
    register(client, VICTIM)
    node = node_of(VICTIM)
    assert (node.sponsor_id, node.bound_via) == (owner.pk, "guest_order")


def test_the_earliest_paid_order_counts_not_an_earlier_cancelled_one(client):
    attacker, real = member_with_code(), member_with_code()
    guest_order(attacker, status=["cancelled"])
    guest_order(real, status=["paid"])
    register(client, VICTIM)
    assert node_of(VICTIM).sponsor_id == real.pk
