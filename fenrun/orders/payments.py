"""Paying orders through the payment providers: one payment open at a time, each provider
message applied once, duplicates refunded, an order's refund given back through its provider.

The providers themselves sit behind one interface in ``fenrun.orders.gateways`` (ECPay, LINE
Pay, the test gateway); this module is what the shop does with what they say.

An order is paid once. A success for an order that no longer needs paying (a second payment
of it, or it was paid or cancelled meanwhile) is a charge the buyer must get back: the payment
becomes a duplicate, refunded through the gateway at once when the gateway can refund, else
left to staff (the order's admin page has the refund button), and the buyer is told either way.

A provider message that is not genuine (forged checksum, another merchant), names a payment we
do not have, or disagrees with the payment's amount changes nothing: it is refused and logged.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from fenrun.core import once
from fenrun.core.alerts import alert_staff
from fenrun.orders import notifications
from fenrun.orders.gateways import REGISTRY as GATEWAYS
from fenrun.orders.gateways import split_option
from fenrun.orders.gateways.base import (
    CallbackError,
    CallbackResult,
    Gateway,
    PaymentError,
    ProviderUnavailable,
    RefundError,
)
from fenrun.orders.gateways.simulated import TestGateway
from fenrun.orders.models import Order, Payment, PaymentMethod
from fenrun.orders.status import OrderStatus

logger = logging.getLogger(__name__)

# A payment started this recently, and not yet answered, is where a buyer who asks to pay
# again is sent back to, rather than a second charge being opened beside it. Older ones are
# taken as abandoned (a real gateway's payment page expires); a late success of one of them
# is then a duplicate, refunded.
OPEN_PAYMENT_REUSE = timedelta(minutes=30)

# Why a success became a duplicate (kept in English in the record; shown to staff translated).
NOTE_ALREADY_PAID = gettext_noop("The order was already paid when this payment succeeded.")
NOTE_NOT_PENDING = gettext_noop("The order no longer waited for payment when this succeeded.")
NOTE_NO_REFUND = gettext_noop("This gateway cannot refund automatically: refund it by hand.")

__all__ = [
    "CallbackError",
    "CallbackResult",
    "GATEWAYS",
    "Gateway",
    "PaymentError",
    "RefundError",
    "TestGateway",
    "get_gateway",
    "record_callback",
    "refund_duplicate",
    "start_payment",
]


def get_gateway(code: str) -> Gateway:
    try:
        return GATEWAYS[code]()
    except KeyError as exc:
        raise CallbackError("unknown gateway") from exc


def gateway_for(order: Order) -> tuple[Gateway, str]:
    """The provider and method the buyer chose for this order at checkout."""
    provider, method = split_option(order.payment_option)
    return get_gateway(provider), method


def start_payment(gateway, order: Order, method: str = "") -> Payment:
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
                method__in=[method, ""] if method else [m.code for m in gateway.methods()] + [""],
                status=Payment.Status.STARTED,
                amount=locked.grand_total,
                created_at__gte=timezone.now() - OPEN_PAYMENT_REUSE,
            )
            .order_by("-created_at", "-id")
            .first()
        )
        if open_payment is not None and gateway.reuse_open_payment:
            return open_payment
        return gateway.start(locked, method) if method else gateway.start(locked)


def _refused(gateway, reason: str, payload: dict) -> None:
    logger.warning(
        "payment message refused: %s",
        reason,
        extra={
            "gateway": getattr(gateway, "code", "?"),
            "reason": reason,
            # What the message claimed, to trace it; never its checksum or card data.
            "claimed_reference": str(
                payload.get("MerchantTradeNo")
                or payload.get("orderId")
                or payload.get("reference")
                or ""
            )[:64],
            "claimed_amount": str(payload.get("TradeAmt") or payload.get("amount") or "")[:20],
        },
    )


def record_callback(gateway, payload: dict, signature: str = "") -> Payment:
    """Apply a gateway's server callback once: repeats of the same callback change nothing.

    The order is locked before the payment, so the callbacks of two payments of one order are
    taken one after the other: the first success pays the order, a later one is a duplicate.
    A refused message (CallbackError) is logged here, for every provider alike.
    """
    try:
        result = gateway.verify(payload, signature)
    except CallbackError as exc:
        _refused(gateway, str(exc.message), payload)
        raise
    return apply_result(gateway, result, payload)


def apply_result(gateway, result: CallbackResult, payload: dict) -> Payment:
    """Apply what a genuine provider message (or a query) says about one of our payments."""
    from fenrun.orders.services import change_status

    found = (
        Payment.objects.filter(reference=result.reference, gateway=gateway.code)
        .values_list("pk", "order_id")
        .first()
    )
    if found is None:
        _refused(gateway, "unknown payment", payload)
        raise CallbackError("unknown payment")
    payment_id, order_id = found
    issued = False
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status != Payment.Status.STARTED:
            # A retry, a duplicate delivery, or a number-issued message arriving after the
            # payment itself: what it says was applied already or is superseded.
            return payment
        if result.amount != payment.amount:
            _refused(gateway, "amount mismatch", payload)
            raise CallbackError("amount mismatch")
        if result.provider_reference:
            payment.provider_reference = result.provider_reference
        if result.is_issue:
            if payment.instructions:
                return payment
            payment.instructions = result.issued
            payment.expires_at = result.expires_at
            payment.save(
                update_fields=["instructions", "expires_at", "provider_reference", "updated_at"]
            )
            if result.expires_at and order.status == OrderStatus.PENDING:
                # The provider's deadline for this ATM account or store code is the order's.
                Order.objects.filter(pk=order.pk).update(pay_by=result.expires_at)
            issued = True
        else:
            payment.payload = payload
            if not result.succeeded:
                payment.status = Payment.Status.FAILED
            elif order.status == OrderStatus.PENDING:
                payment.status = Payment.Status.SUCCEEDED
            else:
                payment.status = Payment.Status.DUPLICATE
                paid_by_another = order.payments.filter(status=Payment.Status.SUCCEEDED).exists()
                payment.refund_note = NOTE_ALREADY_PAID if paid_by_another else NOTE_NOT_PENDING
            payment.save(
                update_fields=[
                    "status",
                    "payload",
                    "refund_note",
                    "provider_reference",
                    "updated_at",
                ]
            )
            if payment.status == Payment.Status.SUCCEEDED:
                change_status(order, OrderStatus.PAID, note=f"{gateway.code} {payment.reference}")
        if issued:
            notifications.payment_instructions(payment.pk)
    if payment.status == Payment.Status.DUPLICATE:
        return _settle_duplicate(gateway, payment)
    return payment


def _settle_duplicate(gateway, payment: Payment) -> Payment:
    """Refund a duplicate that was just recorded, or flag it to staff; tell the buyer either way.

    Runs after the callback's transaction: the duplicate is on record before the gateway is
    asked for the money back, so a refund call that fails or hangs loses nothing.
    """
    if gateway.refundable(payment):
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


# Reconciliation: payments whose provider message never came ---------------------------------

# A payment younger than this may still get its message; older than RECONCILE_WITHIN, any ATM
# account or store code it had has expired and the order was cancelled.
RECONCILE_AFTER = timedelta(minutes=10)
RECONCILE_WITHIN = timedelta(days=8)


def reconcile_open_payments(*, now=None, batch_size: int = 100) -> int:
    """Ask the providers about open payments that heard nothing; apply what they say was paid.

    Goes through the same ``apply_result`` as a provider's message, so a message arriving at
    the same time is applied once; a provider that cannot be reached is asked again next run.
    """
    now = now or timezone.now()
    open_payments = (
        Payment.objects.filter(
            status=Payment.Status.STARTED,
            created_at__lte=now - RECONCILE_AFTER,
            created_at__gte=now - RECONCILE_WITHIN,
            gateway__in=[code for code, cls in GATEWAYS.items() if cls.can_query],
        )
        .order_by("created_at", "pk")
        .only("pk", "gateway", "reference", "provider_reference", "amount", "method")[:batch_size]
    )
    applied = 0
    for payment in open_payments:
        gateway = get_gateway(payment.gateway)
        try:
            result = gateway.query(payment)
            if result is not None:
                apply_result(gateway, result, {"source": "query", "reference": payment.reference})
                applied += 1
        except (ProviderUnavailable, CallbackError) as exc:
            logger.warning("payment query failed for %s: %s", payment.reference, exc.message)
    return applied


# An order's refund: its payment goes back through its provider ------------------------------

NOTE_REFUND_BY_HAND = gettext_noop("The order was refunded: give this payment back by hand.")
REFUND_STATUSES = frozenset({OrderStatus.REFUNDED, OrderStatus.CANCELLED})


def on_order_status_changed(event) -> None:
    """An order that was paid and is now refunded or cancelled gets its payment given back.

    The provider is called by a background job once the status change has committed: a slow or
    failing provider never holds up or undoes the order's refund, and staff hear of a failure.
    """
    if event.to_status not in REFUND_STATUSES or event.from_status == OrderStatus.PENDING:
        return
    if not Payment.objects.filter(
        order_id=event.order_id, status=Payment.Status.SUCCEEDED, refunded_at__isnull=True
    ).exists():
        return
    from fenrun.orders.tasks import refund_order_payment

    refund_order_payment.delay_on_commit(event.order_id)


def refund_order_payment(order_id: int) -> Payment | None:
    """Give back the payment that paid ``order_id``, once; a refusal is kept and staff alerted."""
    payment = Payment.objects.filter(
        order_id=order_id, status=Payment.Status.SUCCEEDED, refunded_at__isnull=True
    ).first()
    if payment is None:
        return None
    if payment.gateway == INTEGRATOR_GATEWAY:
        # The integrator took the money at its till and gives it back there.
        return payment
    gateway = get_gateway(payment.gateway)
    key = f"order-refund:{payment.pk}"
    if not gateway.refundable(payment):
        Payment.objects.filter(pk=payment.pk).update(refund_note=NOTE_REFUND_BY_HAND)
        if once.claim(key):
            alert_staff(
                f"Order {payment.order.number}: refund payment {payment.reference} by hand",
                [f"{payment.gateway} {payment.method} {payment.amount}", NOTE_REFUND_BY_HAND],
            )
        return payment
    if not once.claim(key):
        return payment  # refunded, or being refunded, by another run
    try:
        reference = gateway.refund(payment)
    except RefundError as exc:
        once.release(key)
        Payment.objects.filter(pk=payment.pk).update(refund_note=str(exc.message)[:300])
        alert_staff(
            f"Order {payment.order.number}: the refund of {payment.reference} failed",
            [f"{payment.gateway} {payment.amount}", str(exc.message)],
        )
        return payment
    Payment.objects.filter(pk=payment.pk).update(
        refund_reference=reference[:64], refunded_at=timezone.now(), refund_note=""
    )
    payment.refresh_from_db()
    return payment


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
