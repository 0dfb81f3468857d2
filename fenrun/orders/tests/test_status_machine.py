from decimal import Decimal

import pytest

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.models import Product
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core import events
from fenrun.orders.events import OrderStatusChanged
from fenrun.orders.models import Order, OrderStatusChange
from fenrun.orders.services import change_status, place_order
from fenrun.orders.status import (
    RESTOCKING,
    TRANSITIONS,
    OrderStatus,
    TransitionError,
    allowed_targets,
    check_transition,
)
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

ALL = list(OrderStatus.values)
PAIRS = [(a, b) for a in ALL for b in ALL]


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_every_pair_is_allowed_exactly_when_the_table_says(current, target):
    allowed = target in TRANSITIONS[current] and not (
        current == OrderStatus.PENDING and target == OrderStatus.SHIPPED
    )
    if allowed:
        check_transition(current, target, payment_method="atm")
    else:
        with pytest.raises(TransitionError):
            check_transition(current, target, payment_method="atm")


def test_cash_on_delivery_may_ship_before_payment():
    check_transition(OrderStatus.PENDING, OrderStatus.SHIPPED, payment_method="cod")
    assert OrderStatus.SHIPPED in allowed_targets(OrderStatus.PENDING, payment_method="cod")
    assert OrderStatus.SHIPPED not in allowed_targets(OrderStatus.PENDING, payment_method="atm")


def test_terminal_states_have_no_way_out():
    for status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
        assert allowed_targets(status, payment_method="atm") == []


def test_unknown_target_is_refused():
    with pytest.raises(TransitionError):
        check_transition(OrderStatus.PENDING, "teleported", payment_method="atm")


def _order(stock=5, quantity=2, payment="atm"):
    product = ProductFactory(stock=stock, price=Decimal("300"))
    order = place_order(
        items=[(product.pk, quantity)],
        recipient=home_recipient(),
        shipping_method=ShippingMethodFactory(),
        payment_method=payment,
        user=UserFactory(),
    )
    return order, product


@pytest.mark.django_db
def test_walk_to_completed_records_every_change_and_publishes_events():
    staff = UserFactory(is_staff=True)
    order, _ = _order()
    seen = []
    handler = seen.append
    events.subscribe(OrderStatusChanged, handler)
    try:
        for target in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED):
            change_status(order, target, actor=staff, note=f"to {target}")
    finally:
        events.unsubscribe(OrderStatusChanged, handler)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.paid_at is not None and order.completed_at is not None
    history = list(
        OrderStatusChange.objects.filter(order=order).values_list(
            "from_status", "to_status", "actor_id", "note"
        )
    )
    assert history == [
        ("", "pending", order.user_id, "web"),
        ("pending", "paid", staff.pk, "to paid"),
        ("paid", "shipped", staff.pk, "to shipped"),
        ("shipped", "completed", staff.pk, "to completed"),
    ]
    assert [(e.from_status, e.to_status) for e in seen] == [
        ("pending", "paid"),
        ("paid", "shipped"),
        ("shipped", "completed"),
    ]
    assert all(e.order_id == order.pk and e.actor_id == staff.pk for e in seen)


@pytest.mark.django_db
def test_forbidden_change_writes_nothing_and_publishes_nothing():
    order, _ = _order()
    seen = []
    events.subscribe(OrderStatusChanged, seen.append)
    try:
        with pytest.raises(TransitionError):
            change_status(order, OrderStatus.COMPLETED)
    finally:
        events.unsubscribe(OrderStatusChanged, seen.append)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING
    assert OrderStatusChange.objects.filter(order=order).count() == 1
    assert seen == []


@pytest.mark.django_db
def test_completing_twice_fails_the_second_time():
    order, _ = _order()
    for target in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED):
        change_status(order, target)
    with pytest.raises(TransitionError):
        change_status(order, OrderStatus.COMPLETED)
    assert OrderStatusChange.objects.filter(order=order, to_status="completed").count() == 1


@pytest.mark.django_db
def test_a_failing_subscriber_rolls_the_change_back():
    order, _ = _order()

    def explode(event):
        raise RuntimeError("subscriber failed")

    events.subscribe(OrderStatusChanged, explode)
    try:
        with pytest.raises(RuntimeError):
            change_status(order, OrderStatus.PAID)
    finally:
        events.unsubscribe(OrderStatusChanged, explode)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert not OrderStatusChange.objects.filter(order=order, to_status="paid").exists()


RESTOCK_PATHS = {
    (OrderStatus.PENDING, OrderStatus.CANCELLED): [OrderStatus.CANCELLED],
    (OrderStatus.PAID, OrderStatus.CANCELLED): [OrderStatus.PAID, OrderStatus.CANCELLED],
    (OrderStatus.PAID, OrderStatus.REFUNDED): [OrderStatus.PAID, OrderStatus.REFUNDED],
    (OrderStatus.SHIPPED, OrderStatus.RETURNED): [
        OrderStatus.PAID,
        OrderStatus.SHIPPED,
        OrderStatus.RETURNED,
    ],
    (OrderStatus.COMPLETED, OrderStatus.RETURNED): [
        OrderStatus.PAID,
        OrderStatus.SHIPPED,
        OrderStatus.COMPLETED,
        OrderStatus.RETURNED,
    ],
}


@pytest.mark.django_db
@pytest.mark.parametrize("pair", sorted(RESTOCKING))
def test_stock_comes_back_when_goods_never_left_or_came_back(pair):
    order, product = _order(stock=5, quantity=2)
    assert Product.objects.get(pk=product.pk).stock == 3
    for target in RESTOCK_PATHS[pair]:
        change_status(order, target)
    assert Product.objects.get(pk=product.pk).stock == 5


@pytest.mark.django_db
def test_refund_after_return_does_not_restock_twice():
    order, product = _order(stock=5, quantity=2)
    for target in (
        OrderStatus.PAID,
        OrderStatus.SHIPPED,
        OrderStatus.RETURNED,
        OrderStatus.REFUNDED,
    ):
        change_status(order, target)
    assert Product.objects.get(pk=product.pk).stock == 5
