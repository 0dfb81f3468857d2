"""Payment gateways behind one small interface, and the test gateway used in the demo shop.

A real gateway (ECPay, NewebPay, LINE Pay...) implements ``start`` (where to send the buyer),
``verify`` (is this server callback genuine, and what does it say) and, when it can, ``refund``
(give back a charge). The test gateway simulates all three: a page that stands in for the
gateway's, an HMAC-signed callback and a refund that always goes through.

An order is paid once. A success for an order that no longer needs paying (a second payment
of it, or it was paid or cancelled meanwhile) is a charge the buyer must get back: the payment
becomes a duplicate, refunded through the gateway at once when the gateway can refund, else
left to staff (the order's admin page has the refund button), and the buyer is told either way.
"""

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from fenrun.core.errors import DomainError
from fenrun.core.money import to_decimal
from fenrun.orders import notifications
from fenrun.orders.models import Order, Payment, PaymentMethod
from fenrun.orders.status import OrderStatus

# A payment started this recently, and not yet answered, is where a buyer who asks to pay
# again is sent back to, rather than a second charge being opened beside it. Older ones are
# taken as abandoned (a real gateway's payment page expires); a late success of one of them
# is then a duplicate, refunded.
OPEN_PAYMENT_REUSE = timedelta(minutes=30)

# Why a success became a duplicate (kept in English in the record; shown to staff translated).
NOTE_ALREADY_PAID = gettext_noop("The order was already paid when this payment succeeded.")
NOTE_NOT_PENDING = gettext_noop("The order no longer waited for payment when this succeeded.")
NOTE_NO_REFUND = gettext_noop("This gateway cannot refund automatically: refund it by hand.")


@dataclass(frozen=True)
class CallbackResult:
    reference: str
    succeeded: bool
    amount: Decimal


class CallbackError(DomainError):
    """A gateway callback that is not genuine or does not match its payment; answered with 400."""

    code = "callback_refused"
    status = HTTPStatus.BAD_REQUEST


class PaymentError(DomainError):
    """A payment that cannot be started for this order."""

    code = "payment_refused"
    status = HTTPStatus.CONFLICT


class RefundError(DomainError):
    """The gateway did not (or cannot) give the money back; staff take over."""

    code = "refund_failed"
    status = HTTPStatus.BAD_GATEWAY


class Gateway:
    """What the shop asks of a payment gateway.

    ``refund`` must be safe to call twice for one payment (real gateways take a merchant refund
    id: send the payment's reference), since a refund that went through at the gateway but
    could not be recorded here is retried by staff.
    """

    code = ""
    can_refund = False

    def start(self, order: Order) -> Payment:
        raise NotImplementedError

    def redirect_url(self, payment: Payment) -> str:
        raise NotImplementedError

    def verify(self, payload: dict, signature: str) -> CallbackResult:
        raise NotImplementedError

    def refund(self, payment: Payment) -> str:
        """Give ``payment.amount`` back to the buyer; return the gateway's refund reference."""
        raise RefundError(NOTE_NO_REFUND)


class TestGateway(Gateway):
    __test__ = False  # a payment gateway, not a pytest class
    code = "test"
    can_refund = True

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

    def refund(self, payment: Payment) -> str:
        # Derived from the payment, as a merchant refund id would be: a retry is the same refund.
        return "R" + payment.reference


GATEWAYS = {TestGateway.code: TestGateway}


def get_gateway(code: str):
    try:
        return GATEWAYS[code]()
    except KeyError as exc:
        raise CallbackError("unknown gateway") from exc


def start_payment(gateway, order: Order) -> Payment:
    """The payment the buyer is sent to pay ``order`` with: the open one if there is one.

    Under the order's lock, so two clicks of "pay" (or a double-submitted checkout) open one
    payment, not two charges.
    """
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if (
            locked.payment_method != PaymentMethod.GATEWAY
            or locked.status != OrderStatus.PENDING
            or locked.grand_total <= 0
        ):
            raise PaymentError(_("This order does not need an online payment."))
        open_payment = (
            locked.payments.filter(
                gateway=gateway.code,
                status=Payment.Status.STARTED,
                amount=locked.grand_total,
                created_at__gte=timezone.now() - OPEN_PAYMENT_REUSE,
            )
            .order_by("-created_at", "-id")
            .first()
        )
        return open_payment or gateway.start(locked)


def record_callback(gateway, payload: dict, signature: str) -> Payment:
    """Apply a gateway's server callback once: repeats of the same callback change nothing.

    The order is locked before the payment, so the callbacks of two payments of one order are
    taken one after the other: the first success pays the order, a later one is a duplicate.
    """
    from fenrun.orders.services import change_status

    result = gateway.verify(payload, signature)
    found = (
        Payment.objects.filter(reference=result.reference, gateway=gateway.code)
        .values_list("pk", "order_id")
        .first()
    )
    if found is None:
        raise CallbackError("unknown payment")
    payment_id, order_id = found
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status != Payment.Status.STARTED:
            return payment
        if result.amount != payment.amount:
            raise CallbackError("amount mismatch")
        payment.payload = payload
        if not result.succeeded:
            payment.status = Payment.Status.FAILED
        elif order.status == OrderStatus.PENDING:
            payment.status = Payment.Status.SUCCEEDED
        else:
            payment.status = Payment.Status.DUPLICATE
            paid_by_another = order.payments.filter(status=Payment.Status.SUCCEEDED).exists()
            payment.refund_note = NOTE_ALREADY_PAID if paid_by_another else NOTE_NOT_PENDING
        payment.save(update_fields=["status", "payload", "refund_note", "updated_at"])
        if payment.status == Payment.Status.SUCCEEDED:
            change_status(order, OrderStatus.PAID, note=f"{gateway.code} {payment.reference}")
    if payment.status == Payment.Status.DUPLICATE:
        return _settle_duplicate(gateway, payment)
    return payment


def _settle_duplicate(gateway, payment: Payment) -> Payment:
    """Refund a duplicate that was just recorded, or flag it to staff; tell the buyer either way.

    Runs after the callback's transaction: the duplicate is on record before the gateway is
    asked for the money back, so a refund call that fails or hangs loses nothing.
    """
    if gateway.can_refund:
        payment = refund_duplicate(payment, gateway=gateway)
    else:
        Payment.objects.filter(pk=payment.pk).update(refund_note=NOTE_NO_REFUND)
        payment.refund_note = NOTE_NO_REFUND
    if payment.status == Payment.Status.DUPLICATE:
        # Not refunded: staff must act, and the buyer hears that the money will come back.
        notifications.duplicate_charge(payment.pk, refunded=False)
        notifications.duplicate_charge_for_staff(payment.pk)
    return payment


def refund_duplicate(payment: Payment, *, gateway=None, refunded_elsewhere: str = "") -> Payment:
    """Give a duplicate charge back once; the buyer is told when the money is on its way back.

    Through the gateway, or, with ``refunded_elsewhere`` (the refund's reference or a note),
    record that staff gave it back by other means (the gateway's merchant console, a transfer).
    The payment row is locked around the gateway's call, so a staff click and an automatic
    refund cannot both refund; a payment no longer a duplicate is returned as it is. A gateway
    refusal is kept in ``refund_note`` for staff and raised no further.
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != Payment.Status.DUPLICATE:
            return locked
        if refunded_elsewhere:
            reference, note = refunded_elsewhere.strip()[:64], _("Refunded by staff.")
        else:
            gateway = gateway or get_gateway(locked.gateway)
            try:
                reference, note = gateway.refund(locked), ""
            except RefundError as exc:
                locked.refund_note = str(exc.message)[:300]
                locked.save(update_fields=["refund_note", "updated_at"])
                return locked
        locked.status = Payment.Status.REFUNDED
        locked.refund_reference = reference
        locked.refunded_at = timezone.now()
        locked.refund_note = note or locked.refund_note
        locked.save(
            update_fields=["status", "refund_reference", "refunded_at", "refund_note", "updated_at"]
        )
        notifications.duplicate_charge(locked.pk, refunded=True)
    return locked


# The gateway code of a payment an integrator took itself (a POS's till, another shop's
# checkout): the money never passed through a gateway of ours, so there is nothing to refund here.
INTEGRATOR_GATEWAY = "integrator"


def record_integrator_payment(order: Order, *, source: str) -> Payment:
    """Record that the integrator ``source`` was paid for ``order`` and move the order to paid.

    The payment is a succeeded one (gateway ``integrator``, reference ``<source>:<number>``,
    the integrator in its payload), so the order is paid once like any other; the move goes
    through ``change_status``, so stock, wallet, webhooks and mails follow as for a web payment.
    """
    from fenrun.orders.services import change_status

    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != OrderStatus.PENDING:
            raise PaymentError(_("This order does not wait for a payment."))
        payment = Payment.objects.create(
            order=locked,
            gateway=INTEGRATOR_GATEWAY,
            reference=f"{source}:{locked.number}"[:64],
            amount=locked.grand_total,
            status=Payment.Status.SUCCEEDED,
            payload={"source": source},
        )
        change_status(locked, OrderStatus.PAID, note=source)
    return payment
