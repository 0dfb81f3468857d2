"""Idempotency-Key on PostgreSQL: the same key sent twice at once makes one order."""

import json
from decimal import Decimal

import pytest
from django.test import Client

from fenrun.catalog.models import Product
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core import testing
from fenrun.core.auth import issue_integrator_token
from fenrun.core.idempotency import HEADER, REPLAYED_HEADER
from fenrun.core.models import IdempotencyKey
from fenrun.orders.models import Order
from fenrun.orders.tests.factories import ShippingMethodFactory, api_order

pytestmark = [*testing.POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]


def test_the_same_key_sent_twice_at_once_places_one_order():
    ShippingMethodFactory()
    product = ProductFactory(slug="oolong", price=Decimal("500"), stock=10)
    _token, key = issue_integrator_token("pos-race")
    body = json.dumps(api_order(paid=True))

    def send(i):
        client = Client(headers={"Authorization": f"Bearer {key}"})
        response = client.post(
            "/api/v1/orders", body, content_type="application/json", headers={HEADER: "till-7"}
        )
        return response.status_code, response.json(), response.has_header(REPLAYED_HEADER)

    results = testing.run_at_once(2, send)
    assert [status for status, _body, _replayed in results] == [201, 201], results
    assert len({body["number"] for _status, body, _replayed in results}) == 1
    # One ran, the other waited on the key's unique index and got its answer.
    assert sorted(replayed for *_rest, replayed in results) == [False, True]
    assert Order.objects.count() == 1
    assert Product.objects.get(pk=product.pk).stock == 9
    assert IdempotencyKey.objects.count() == 1
