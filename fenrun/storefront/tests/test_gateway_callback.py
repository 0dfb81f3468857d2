import json
from decimal import Decimal

import pytest
from django.urls import reverse

from fenrun.catalog.tests.factories import ProductFactory
from fenrun.orders.models import Payment
from fenrun.orders.payments import TestGateway
from fenrun.orders.services import place_order
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

pytestmark = pytest.mark.django_db

CALLBACK = "/pay/test/callback/"


@pytest.fixture
def payment():
    product = ProductFactory(price=Decimal("800"), stock=3)
    order = place_order(
        items=[(product.pk, 1)],
        recipient=home_recipient(),
        shipping_method=ShippingMethodFactory(),
        payment_method="gateway",
    )
    return TestGateway().start(order)


def body(payment, result="success", amount=None, signature=None):
    payload = {
        "reference": payment.reference,
        "result": result,
        "amount": amount or str(payment.amount),
    }
    return {"payload": payload, "signature": signature or TestGateway().sign(payload)}


def post_json(client, data):
    return client.post(CALLBACK, json.dumps(data), content_type="application/json")


def test_url_is_the_documented_one():
    assert reverse("orders:test_gateway_callback") == CALLBACK


def test_good_signature_marks_the_order_paid(client, payment):
    response = post_json(client, body(payment))
    assert response.status_code == 200
    assert response.content == b"OK"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.order.status == "paid"


def test_form_encoded_callback_works_too(client, payment):
    data = body(payment)
    response = client.post(
        CALLBACK, {"payload": json.dumps(data["payload"]), "signature": data["signature"]}
    )
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.order.status == "paid"


def test_failed_payment_leaves_the_order_pending(client, payment):
    assert post_json(client, body(payment, result="fail")).status_code == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    assert payment.order.status == "pending"


def test_bad_signature_is_400_and_changes_nothing(client, payment):
    response = post_json(client, body(payment, signature="0" * 64))
    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == Payment.Status.STARTED
    assert payment.order.status == "pending"


def test_repeated_callback_is_idempotent(client, payment):
    data = body(payment)
    assert post_json(client, data).status_code == 200
    assert post_json(client, data).status_code == 200
    payment.refresh_from_db()
    assert payment.order.status_changes.filter(to_status="paid").count() == 1


def test_tampered_amount_is_refused(client, payment):
    # Changed after signing: the signature no longer matches.
    data = body(payment)
    data["payload"]["amount"] = "1.00"
    assert post_json(client, data).status_code == 400
    # Signed, but not what the order costs.
    assert post_json(client, body(payment, amount="1.00")).status_code == 400
    payment.refresh_from_db()
    assert payment.status == Payment.Status.STARTED
    assert payment.order.status == "pending"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b'{"payload": "x", "signature": "y"}',
        b'{"payload": {}, "signature": 5}',
    ],
)
def test_malformed_bodies_are_400(client, payment, raw):
    response = client.post(CALLBACK, raw, content_type="application/json")
    assert response.status_code == 400


def test_unknown_reference_is_400(client, payment):
    payload = {"reference": "TUNKNOWN", "result": "success", "amount": "900.00"}
    data = {"payload": payload, "signature": TestGateway().sign(payload)}
    assert post_json(client, data).status_code == 400


def test_callback_needs_no_csrf_token_but_only_post(payment):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post_json(strict, body(payment)).status_code == 200
    assert strict.get(CALLBACK).status_code == 405


def test_the_test_gateway_can_be_switched_off(client, payment, settings):
    settings.FENRUN_TEST_GATEWAY_ENABLED = False
    assert post_json(client, body(payment)).status_code == 404
    assert client.get(reverse("orders:test_gateway", args=[payment.reference])).status_code == 404


@pytest.mark.parametrize(
    "raw", [b"[" * 50_000, b'{"payload": ' * 20_000, b'{"payload": "' + b"x" * 70_000 + b'"}']
)
def test_deeply_nested_or_huge_bodies_are_refused_not_a_crash(client, payment, raw):
    response = client.post(CALLBACK, raw, content_type="application/json")
    assert response.status_code == 400
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.STARTED
