from decimal import Decimal

import pytest

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.orders.models import Payment
from fenrun.orders.payments import CallbackError, TestGateway, record_callback
from fenrun.orders.services import place_order
from fenrun.orders.status import OrderStatus
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient

pytestmark = pytest.mark.django_db


def _gateway_order():
    product = ProductFactory(stock=3, price=Decimal("800"))
    return place_order(
        items=[(product.pk, 1)],
        recipient=home_recipient(),
        shipping_method=ShippingMethodFactory(),
        payment_method="gateway",
        user=UserFactory(),
    )


def _payload(payment, result="success", amount=None):
    return {
        "reference": payment.reference,
        "result": result,
        "amount": str(amount or payment.amount),
    }


def test_signed_success_callback_marks_the_order_paid_once():
    gateway = TestGateway(secret="s3cret")
    order = _gateway_order()
    payment = gateway.start(order)
    payload = _payload(payment)
    record_callback(gateway, payload, gateway.sign(payload))
    record_callback(gateway, payload, gateway.sign(payload))  # the gateway retries
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.status_changes.filter(to_status="paid").count() == 1
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.SUCCEEDED


def test_bad_signature_changes_nothing():
    gateway = TestGateway(secret="s3cret")
    order = _gateway_order()
    payment = gateway.start(order)
    payload = _payload(payment)
    with pytest.raises(CallbackError):
        record_callback(gateway, payload, TestGateway(secret="other").sign(payload))
    with pytest.raises(CallbackError):
        record_callback(gateway, payload, "")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_tampered_amount_is_refused_even_when_signed():
    gateway = TestGateway(secret="s3cret")
    order = _gateway_order()
    payment = gateway.start(order)
    payload = _payload(payment, amount=Decimal("1"))
    with pytest.raises(CallbackError):
        record_callback(gateway, payload, gateway.sign(payload))
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.STARTED


def test_failed_payment_leaves_the_order_pending():
    gateway = TestGateway(secret="s3cret")
    order = _gateway_order()
    payment = gateway.start(order)
    payload = _payload(payment, result="failure")
    record_callback(gateway, payload, gateway.sign(payload))
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.FAILED


@pytest.mark.parametrize("amount", ["sNaN", "NaN", "Infinity", "1e999999999", "abc"])
def test_a_signed_callback_with_a_non_amount_is_refused_not_a_crash(amount):
    gateway = TestGateway(secret="s3cret")
    order = _gateway_order()
    payment = gateway.start(order)
    payload = dict(_payload(payment), amount=amount)
    with pytest.raises(CallbackError):
        record_callback(gateway, payload, gateway.sign(payload))
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.STARTED
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
