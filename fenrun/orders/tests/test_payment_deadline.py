"""An unpaid order expires at its payment deadline: cancelled, stock and credit back, buyer told."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.models import Product
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.orders.models import Order
from fenrun.orders.services import change_status, place_order
from fenrun.orders.status import OrderStatus, TransitionError
from fenrun.orders.tasks import expire_unpaid_orders
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient
from fenrun.wallet import services as wallet
from fenrun.wallet.selectors import credit_balance

pytestmark = pytest.mark.django_db


def place(payment_method="atm", *, source="web", stock=5, quantity=2, **kwargs):
    product = ProductFactory(price=Decimal("500"), stock=stock)
    order = place_order(
        items=[(product.pk, quantity)],
        recipient=home_recipient(),
        shipping_method=ShippingMethodFactory(fee=Decimal(0), free_threshold=None),
        payment_method=payment_method,
        source=source,
        **kwargs,
    )
    return order, product


@pytest.mark.parametrize(
    ("method", "source", "hours"),
    [("atm", "web", 72), ("gateway", "web", 1), ("cod", "web", None), ("atm", "pos-1", None)],
)
def test_each_payment_method_gets_its_deadline(method, source, hours):
    before = timezone.now()
    order, _product = place(method, source=source)
    if hours is None:
        assert order.pay_by is None
    else:
        assert (
            before + timedelta(hours=hours)
            <= order.pay_by
            <= timezone.now() + timedelta(hours=hours)
        )


def test_an_atm_order_unpaid_after_three_days_is_cancelled_and_the_buyer_told(
    django_capture_on_commit_callbacks,
):
    order, product = place("atm", stock=5, quantity=2)
    assert Product.objects.get(pk=product.pk).stock == 3
    with time_machine.travel(order.pay_by - timedelta(minutes=1)):
        assert expire_unpaid_orders.delay().get() == 0
    mail.outbox.clear()
    with time_machine.travel(order.pay_by + timedelta(minutes=1)):
        with django_capture_on_commit_callbacks(execute=True):
            assert expire_unpaid_orders.delay().get() == 1
        assert expire_unpaid_orders.delay().get() == 0  # twice is harmless
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert Product.objects.get(pk=product.pk).stock == 5
    assert [m.to for m in mail.outbox] == [[order.email]]
    assert order.number in mail.outbox[0].subject
    assert order.status_changes.last().note


def test_reserved_shopping_credit_comes_back():
    buyer = UserFactory()
    staff = UserFactory(is_staff=True, is_superuser=True)
    wallet.adjust_balance(
        buyer, account_kind="credit", amount=300, reason="t", actor=staff, idempotency_key="k"
    )
    order, _product = place("atm", user=buyer, credit_to_use=Decimal("200"))
    assert order.credit_used == Decimal("200")
    assert credit_balance(buyer) == Decimal("100")
    with time_machine.travel(order.pay_by + timedelta(seconds=1)):
        assert expire_unpaid_orders.delay().get() == 1
    assert credit_balance(buyer) == Decimal("300")


def test_a_paid_order_is_never_expired():
    order, product = place("atm")
    change_status(order, OrderStatus.PAID)
    with time_machine.travel(order.pay_by + timedelta(days=1)):
        assert expire_unpaid_orders.delay().get() == 0
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_the_expiry_does_not_cancel_an_order_paid_after_it_was_listed():
    """The status is checked again under the order's lock."""
    order, _product = place("atm")
    change_status(order, OrderStatus.PAID)
    with pytest.raises(TransitionError):
        change_status(order, OrderStatus.CANCELLED, only_from=OrderStatus.PENDING)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_the_member_order_page_shows_the_deadline(client):
    buyer = UserFactory()
    order, _product = place("atm", user=buyer)
    client.force_login(buyer)
    response = client.get(f"/member/orders/{order.number}/")
    assert response.status_code == 200
    local = timezone.localtime(order.pay_by).strftime("%Y-%m-%d %H:%M")
    page = response.content.decode()
    assert 'id="pay-by"' in page and local in page
