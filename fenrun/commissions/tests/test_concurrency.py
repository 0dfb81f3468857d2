"""Completing one order from 20 threads at once creates one set of commissions (PostgreSQL)."""

from decimal import Decimal

import pytest

from fenrun.commissions import services
from fenrun.commissions.models import Commission, OrderSettlement
from fenrun.core import testing
from fenrun.orders.models import Order
from fenrun.orders.services import TransitionError, change_status
from fenrun.orders.status import OrderStatus

from .conftest import make_chain, place, seed_plan

pytestmark = testing.POSTGRES_ONLY
THREADS = 20


def run_at_once(work) -> list:
    return testing.run_at_once(THREADS, lambda _i: work())


def shipped_order():
    seed_plan()
    source, level1, buyer = make_chain(3)
    order = place(buyer, price=Decimal(1000))
    order = change_status(order, OrderStatus.PAID)
    return change_status(order, OrderStatus.SHIPPED), source, level1


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_completions_create_one_set():
    order, source, level1 = shipped_order()

    def complete():
        return change_status(Order.objects.get(pk=order.pk), OrderStatus.COMPLETED)

    outcomes = run_at_once(complete)
    assert len(outcomes) == THREADS
    succeeded = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if isinstance(o, TransitionError)]
    assert len(succeeded) == 1 and len(refused) == THREADS - 1, outcomes
    rows = Commission.objects.filter(order_id=order.pk)
    assert sorted((c.payee_id, c.amount) for c in rows) == sorted(
        [(source.pk, Decimal(40)), (level1.pk, Decimal(30))]
    )
    assert OrderSettlement.objects.filter(order_id=order.pk).count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_manual_creations_create_one_set():
    services.update_settings(automatic=False, hold_days=7)
    order, _source, _level1 = shipped_order()
    change_status(order, OrderStatus.COMPLETED)

    outcomes = run_at_once(lambda: services.create_commissions_for_order(order.pk))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(1 for o in outcomes if o.created) == 1
    assert Commission.objects.filter(order_id=order.pk).count() == 2
    assert OrderSettlement.objects.filter(order_id=order.pk).count() == 1


@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_settle_each_order_once_without_deadlock():
    services.update_settings(automatic=False, hold_days=7)
    seed_plan()
    source, level1, buyer = make_chain(3)
    orders = []
    for _ in range(12):
        order = change_status(place(buyer, price=Decimal(1000)), OrderStatus.PAID)
        order = change_status(order, OrderStatus.SHIPPED)
        orders.append(change_status(order, OrderStatus.COMPLETED))
    ids = [o.pk for o in orders]

    # Every thread asks for its own rotation of the same orders: the locks are taken in id
    # order whatever the request's order, so nobody waits in a cycle.
    def settle(k):
        rotated = ids[k % len(ids) :] + ids[: k % len(ids)]
        return services.settle_orders(rotated[::-1] if k % 2 else rotated)

    outcomes = testing.run_at_once(THREADS, settle)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(len(o.created) for o in outcomes) == len(ids)
    assert OrderSettlement.objects.filter(order_id__in=ids).count() == len(ids)
    for order_id in ids:
        assert sorted(
            Commission.objects.filter(order_id=order_id).values_list("payee_id", "amount")
        ) == sorted([(source.pk, Decimal(40)), (level1.pk, Decimal(30))])
