"""The test gateway: a page of the shop's own that stands in for a provider's (demo and tests).

It signs its callback with an HMAC of the JSON payload, and its refunds always go through.
"""

import hashlib
import hmac
import json
import secrets

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fenrun.core.money import to_decimal
from fenrun.orders.gateways.base import (
    CallbackError,
    CallbackResult,
    Gateway,
    PaymentMethodOption,
    Redirect,
)
from fenrun.orders.models import Order, Payment


class TestGateway(Gateway):
    __test__ = False  # a payment gateway, not a pytest class
    code = "test"
    label = _("Test payment gateway")
    can_refund = True

    def __init__(self, secret: str | None = None):
        self.secret = (secret or settings.FENRUN_TEST_GATEWAY_SECRET).encode()

    def methods(self) -> list[PaymentMethodOption]:
        return [
            PaymentMethodOption(
                "card",
                _("Credit card (test gateway)"),
                _("A test page stands in for the card provider: no real money moves."),
            )
        ]

    def start(self, order: Order, method: str = "card") -> Payment:
        return Payment.objects.create(
            order=order,
            gateway=self.code,
            method=method or "card",
            reference="T" + secrets.token_hex(10).upper(),
            amount=order.grand_total,
        )

    def checkout_step(self, payment: Payment) -> Redirect:
        return Redirect(reverse("orders:test_gateway", args=[payment.reference]))

    def sign(self, payload: dict) -> str:
        body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return hmac.new(self.secret, body, hashlib.sha256).hexdigest()

    def verify(self, payload: dict, signature: str = "") -> CallbackResult:
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

    def refund(self, payment: Payment) -> str:
        # Derived from the payment, as a merchant refund id would be: a retry is the same refund.
        return "R" + payment.reference
