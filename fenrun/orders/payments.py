"""Payment gateways behind one small interface, and the test gateway used in the demo shop.

A real gateway (ECPay, NewebPay, LINE Pay...) implements ``start`` (where to send the buyer)
and ``verify`` (is this server callback genuine, and what does it say). The test gateway
simulates both: a page that stands in for the gateway's, and an HMAC-signed callback.
"""

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal
from http import HTTPStatus

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from fenrun.core.errors import DomainError
from fenrun.core.money import to_decimal
from fenrun.orders.models import Order, Payment
from fenrun.orders.status import OrderStatus


@dataclass(frozen=True)
class CallbackResult:
    reference: str
    succeeded: bool
    amount: Decimal


class CallbackError(DomainError):
    """A gateway callback that is not genuine or does not match its payment; answered with 400."""

    code = "callback_refused"
    status = HTTPStatus.BAD_REQUEST


class TestGateway:
    __test__ = False  # a payment gateway, not a pytest class
    code = "test"

    def __init__(self, secret: str | None = None):
        self.secret = (secret or settings.FENRUN_TEST_GATEWAY_SECRET).encode()

    def start(self, order: Order) -> Payment:
        return Payment.objects.create(
            order=order,
            gateway=self.code,
            reference="T" + secrets.token_hex(10).upper(),
            amount=order.grand_total,
        )

    def redirect_url(self, payment: Payment) -> str:
        return reverse("orders:test_gateway", args=[payment.reference])

    def sign(self, payload: dict) -> str:
        body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return hmac.new(self.secret, body, hashlib.sha256).hexdigest()

    def verify(self, payload: dict, signature: str) -> CallbackResult:
        if not signature or not hmac.compare_digest(self.sign(payload), signature):
            raise CallbackError("bad signature")
        try:
            return CallbackResult(
                reference=str(payload["reference"]),
                succeeded=payload["result"] == "success",
                amount=to_decimal(payload["amount"]),
            )
        except (KeyError, ValueError, ArithmeticError) as exc:
            raise CallbackError("malformed payload") from exc


GATEWAYS = {TestGateway.code: TestGateway}


def get_gateway(code: str):
    try:
        return GATEWAYS[code]()
    except KeyError as exc:
        raise CallbackError("unknown gateway") from exc


def record_callback(gateway, payload: dict, signature: str) -> Payment:
    """Apply a gateway's server callback once: repeats of the same callback change nothing."""
    from fenrun.orders.services import change_status

    result = gateway.verify(payload, signature)
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .select_related("order")
            .filter(reference=result.reference, gateway=gateway.code)
            .first()
        )
        if payment is None:
            raise CallbackError("unknown payment")
        if payment.status != Payment.Status.STARTED:
            return payment
        if result.amount != payment.amount:
            raise CallbackError("amount mismatch")
        payment.status = Payment.Status.SUCCEEDED if result.succeeded else Payment.Status.FAILED
        payment.payload = payload
        payment.save(update_fields=["status", "payload", "updated_at"])
        if result.succeeded and payment.order.status == OrderStatus.PENDING:
            change_status(
                payment.order, OrderStatus.PAID, note=f"{gateway.code} {payment.reference}"
            )
    return payment
