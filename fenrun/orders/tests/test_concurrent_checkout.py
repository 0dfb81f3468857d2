"""Many buyers, few items, at the same moment: stock never oversells (real PostgreSQL)."""

from decimal import Decimal

import pytest
from django.db import connection

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.models import Product
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core import testing
from fenrun.orders.models import Order, OrderLine
from fenrun.orders.services import CheckoutError, place_order
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

pytestmark = testing.POSTGRES_ONLY

BUYERS = 20


@pytest.mark.django_db(transaction=True)
def test_last_items_are_sold_once():
    assert connection.vendor == "postgresql"
    product = ProductFactory(stock=3, price=Decimal("990"))
    method = ShippingMethodFactory()
    buyers = [UserFactory() for _ in range(BUYERS)]

    def buy(i):
        return place_order(
            items=[(product.pk, 1)],
            recipient=home_recipient(email=buyers[i].email),
            shipping_method=method,
            payment_method="atm",
            user=buyers[i],
        )

    results = testing.run_at_once(BUYERS, buy)
    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, CheckoutError)]
    assert len(orders) == 3
    assert len(refused) == BUYERS - 3, [
        r for r in results if not isinstance(r, (Order, CheckoutError))
    ]
    assert Product.objects.get(pk=product.pk).stock == 0
    assert OrderLine.objects.filter(product=product).count() == 3


@pytest.mark.django_db(transaction=True)
def test_overlapping_carts_neither_deadlock_nor_oversell():
    a = ProductFactory(stock=5)
    b = ProductFactory(stock=5)
    method = ShippingMethodFactory()
    users = [UserFactory() for _ in range(10)]

    def buy(i):
        # Half the buyers list the products in the opposite order.
        items = [(a.pk, 1), (b.pk, 1)] if i % 2 else [(b.pk, 1), (a.pk, 1)]
        return place_order(
            items=items,
            recipient=home_recipient(),
            shipping_method=method,
            payment_method="cod",
            user=users[i],
        )

    results = testing.run_at_once(10, buy)
    assert sum(isinstance(r, Order) for r in results) == 5
    assert all(isinstance(r, (Order, CheckoutError)) for r in results), results
    assert Product.objects.get(pk=a.pk).stock == 0
    assert Product.objects.get(pk=b.pk).stock == 0
