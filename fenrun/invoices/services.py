"""Invoices follow their orders: issued at the issue point, voided or allowed when cancelled.

The order's status change (in its transaction) only writes what is to be done — a pending
invoice, a void waiting — and queues a job after commit. The job calls the provider outside any
transaction, holding a short lease on the row (``claimed_until``) so two workers never make the
same call; what the provider answered is saved with the attempt. A failure keeps the work with
its error and a due time (1, 2, 4 … minutes, at most an hour apart); ``retry_due`` runs it then,
and staff can run it at once. A retried issue first asks the provider for the invoice under its
reference, so an issue whose answer was lost is found, not issued twice.
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from fenrun.core.errors import ConflictError, DomainError
from fenrun.core.money import ZERO, round_money
from fenrun.invoices import conf, rules
from fenrun.invoices.models import Allowance, Invoice, InvoiceAttempt, InvoiceChoice, Operation
from fenrun.invoices.providers import get_provider
from fenrun.invoices.providers.base import (
    AllowanceRequest,
    Buyer,
    IssueRequest,
    Line,
    ProviderError,
)
from fenrun.orders.models import Order
from fenrun.orders.status import OrderStatus

logger = logging.getLogger(__name__)

# How far along an order is; it is invoiced once it reaches the configured point.
PROGRESS = {OrderStatus.PAID: 1, OrderStatus.SHIPPED: 2, OrderStatus.COMPLETED: 3}
CANCELLING = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
VOID_REASON = "訂單取消"


class InvoiceError(DomainError):
    code = "invoice_refused"


def backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


# --- what the order's events decide (inside the order's transaction) -------------------------


def record_choice(order_id: int, raw: dict) -> InvoiceChoice | None:
    """Store the buyer's choice made at checkout (already checked by the form)."""
    choice = rules.normalise(
        raw.get("kind", ""),
        carrier_number=raw.get("carrier_number", ""),
        love_code=raw.get("love_code", ""),
        ban=raw.get("ban", ""),
        company_name=raw.get("company_name", ""),
    )
    if rules.choice_errors(choice):
        raise InvoiceError(_("The invoice details are not valid."), code="invoice_choice_invalid")
    return InvoiceChoice.objects.create(
        order_id=order_id,
        kind=choice.kind,
        carrier_number=choice.carrier_number,
        love_code=choice.love_code,
        ban=choice.ban,
        company_name=choice.company_name,
    )


def _issue_point_reached(order: Order, to_status: str) -> bool:
    point = conf.issue_at()
    if PROGRESS.get(to_status, 0) < PROGRESS[point]:
        return False
    # Cash on delivery ships unpaid: invoiced "at paid", it waits for the money (completion).
    return point != OrderStatus.PAID or order.paid_at is not None


def order_progressed(order_id: int, to_status: str) -> Invoice | None:
    order = Order.objects.filter(pk=order_id).first()
    if order is None or not _issue_point_reached(order, to_status):
        return None
    if order.grand_total <= 0 or Invoice.objects.filter(order=order).exists():
        return None  # nothing was charged (all shopping credit), or invoiced already
    now = timezone.now()
    invoice = Invoice.objects.create(
        order=order,
        provider=conf.provider_code(),
        relate_number=order.number,
        amount=order.grand_total,
        # A safety net: should the job's message be lost, the sweep issues it after the lease.
        next_attempt_at=now + LEASE,
    )
    _queue_invoice(invoice.pk)
    return invoice


def order_cancelled(order_id: int) -> Invoice | None:
    """The order was cancelled or refunded: its invoice is not issued, voided, or allowed."""
    invoice = Invoice.objects.select_for_update().filter(order_id=order_id).first()
    if invoice is None or invoice.status in (Invoice.Status.VOIDED, Invoice.Status.CANCELLED):
        return invoice
    now = timezone.now()
    if invoice.status != Invoice.Status.ISSUED:
        not_in_flight = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        if Invoice.objects.filter(not_in_flight, pk=invoice.pk).update(
            status=Invoice.Status.CANCELLED, next_attempt_at=None, last_error="", updated_at=now
        ):
            return invoice
    # Issued, or being issued right now: the correction runs after the issue.
    Invoice.objects.filter(pk=invoice.pk).update(
        operation=Operation.VOID, next_attempt_at=now + LEASE, updated_at=now
    )
    _queue_invoice(invoice.pk)
    return invoice


def _queue_invoice(invoice_id: int) -> None:
    from fenrun.invoices.tasks import process_invoice

    process_invoice.delay_on_commit(invoice_id)


def _queue_allowance(allowance_id: int) -> None:
    from fenrun.invoices.tasks import process_allowance

    process_allowance.delay_on_commit(allowance_id)


# --- allowances -------------------------------------------------------------------------------


def allowed_remainder(invoice: Invoice) -> Decimal:
    """What may still be given back on ``invoice``: its amount less live allowances."""
    given = invoice.allowances.exclude(status=Allowance.Status.VOIDED).aggregate(
        total=Sum("amount")
    )["total"]
    return invoice.amount - (given or ZERO)


def _clean_lines(lines, amount: Decimal) -> list[dict]:
    cleaned = []
    for line in lines:
        name = str(line.get("name", "")).strip()
        quantity = int(line.get("quantity", 0))
        unit_price = round_money(Decimal(str(line.get("unit_price", 0))), places=2)
        if not name or quantity <= 0 or unit_price <= 0:
            raise InvoiceError(_("Each allowance line needs a name, a quantity and a price."))
        cleaned.append(
            {
                "name": name[:100],
                "quantity": quantity,
                "unit_price": str(unit_price),
                "amount": str(unit_price * quantity),
            }
        )
    total = sum((Decimal(line["amount"]) for line in cleaned), ZERO)
    if not cleaned or total != amount:
        raise InvoiceError(_("The allowance lines must add up to the allowance amount."))
    return cleaned


def issue_allowance(order: Order, amount, lines, *, reference: str = "") -> Allowance:
    """A 折讓 of ``amount`` on the order's issued invoice, for ``lines`` (dicts with name,
    quantity, unit_price) adding up to it; the refund flow calls this for a partial refund.

    The same ``reference`` (e.g. the refund's id) asked twice is the same allowance.
    """
    amount = round_money(Decimal(str(amount)), places=2)
    if amount <= 0:
        raise InvoiceError(_("An allowance must be more than zero."), "amount")
    cleaned = _clean_lines(lines, amount)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().filter(order=order).first()
        if invoice is None or invoice.status != Invoice.Status.ISSUED:
            raise ConflictError(_("This order has no issued invoice to give an allowance on."))
        reference = reference or f"allowance-{invoice.allowances.count() + 1}"
        existing = invoice.allowances.filter(reference=reference).first()
        if existing is not None:
            return existing
        if amount > allowed_remainder(invoice):
            raise InvoiceError(
                _("At most %(amount)s can still be given back on this invoice.")
                % {"amount": allowed_remainder(invoice)},
                "amount",
            )
        allowance = Allowance.objects.create(
            invoice=invoice,
            reference=reference[:64],
            amount=amount,
            lines=cleaned,
            next_attempt_at=timezone.now() + LEASE,
        )
        _queue_allowance(allowance.pk)
    return allowance


# --- the jobs (outside transactions: they call the provider) --------------------------------


def _claim(model, pk: int) -> bool:
    now = timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    return model.objects.filter(free, pk=pk).update(claimed_until=now + LEASE) == 1


def _log(invoice: Invoice, provider, *, ok: bool, error: str = "", allowance=None) -> None:
    exchanges = provider.exchanges or [{"operation": "", "request": {}, "response": {}}]
    for index, exchange in enumerate(exchanges):
        last = index == len(exchanges) - 1
        InvoiceAttempt.objects.create(
            invoice=invoice,
            allowance=allowance,
            operation=_operation_name(exchange.get("operation", "")),
            ok=ok or not last,
            error="" if (ok or not last) else error[:300],
            request=exchange.get("request", {}),
            response=exchange.get("response", {}),
        )
    provider.exchanges.clear()


def _operation_name(provider_operation: str) -> str:
    return {
        "Issue": Operation.ISSUE,
        "GetIssue": Operation.QUERY,
        "Invalid": Operation.VOID,
        "Allowance": Operation.ALLOWANCE,
        "AllowanceInvalid": Operation.VOID_ALLOWANCE,
    }.get(provider_operation, Operation.ISSUE)


def _buyer(order: Order) -> Buyer:
    return Buyer(
        name=order.recipient_name,
        email=order.email,
        phone=order.recipient_phone,
        address=order.address_line.strip(),
    )


def invoice_lines(order: Order) -> tuple[Line, ...]:
    """The order as invoice lines: its goods, its shipping, and what discounts and shopping
    credit took off, so that the lines add up to the amount charged."""
    lines = [
        Line(line.product_name, line.quantity, line.unit_price, line.line_total)
        for line in order.lines.all()
    ]
    # The invoice is a tax document in Chinese, whatever language the job runs in.
    if order.shipping_fee > 0:
        lines.append(Line("運費", 1, order.shipping_fee, order.shipping_fee))
    taken_off = sum((line.amount for line in lines), ZERO) - order.grand_total
    if taken_off:
        lines.append(Line("折扣", 1, -taken_off, -taken_off))
    return tuple(lines)


def _choice(order: Order) -> rules.Choice:
    stored = InvoiceChoice.objects.filter(order=order).first()
    if stored is None:
        return rules.Choice(rules.Kind.MEMBER_CARRIER)
    return rules.Choice(
        stored.kind, stored.carrier_number, stored.love_code, stored.ban, stored.company_name
    )


def _failed(model, pk: int, attempts: int, error: str, **fields) -> None:
    now = timezone.now()
    model.objects.filter(pk=pk).update(
        attempts=attempts + 1,
        last_error=error[:300],
        next_attempt_at=now + backoff(attempts + 1),
        claimed_until=None,
        **fields,
    )
    logger.warning("%s %s: %s (attempt %s)", model.__name__, pk, error, attempts + 1)


def process_invoice(invoice_id: int) -> str:
    """Do what the invoice is waiting for: its issue, or its correction after a cancellation."""
    if not _claim(Invoice, invoice_id):
        return "busy"
    invoice = Invoice.objects.select_related("order").get(pk=invoice_id)
    try:
        if invoice.status in (Invoice.Status.PENDING, Invoice.Status.FAILED):
            outcome = _issue(invoice)
        elif invoice.status == Invoice.Status.ISSUED and invoice.operation == Operation.VOID:
            outcome = _correct(invoice)
        else:
            outcome = "nothing to do"
    finally:
        Invoice.objects.filter(pk=invoice_id).update(claimed_until=None)
    if (
        outcome == "issued"
        and Invoice.objects.filter(pk=invoice_id, operation=Operation.VOID).exists()
    ):
        # Cancelled while it was being issued: its correction follows, now the lease is free.
        _queue_invoice(invoice_id)
    return outcome


def _issue(invoice: Invoice) -> str:
    order = invoice.order
    provider = get_provider()
    try:
        issued = provider.find(invoice.relate_number) if invoice.attempts else None
        if issued is None:
            issued = provider.issue(
                IssueRequest(
                    relate_number=invoice.relate_number,
                    amount=invoice.amount,
                    lines=invoice_lines(order),
                    choice=_choice(order),
                    buyer=_buyer(order),
                )
            )
    except ProviderError as exc:
        with transaction.atomic():
            _log(invoice, provider, ok=False, error=exc.message)
            _failed(
                Invoice, invoice.pk, invoice.attempts, exc.message, status=Invoice.Status.FAILED
            )
        return "failed"
    with transaction.atomic():
        _log(invoice, provider, ok=True)
        Invoice.objects.filter(pk=invoice.pk).update(
            status=Invoice.Status.ISSUED,
            number=issued.number,
            random_code=issued.random_code,
            issued_at=issued.issued_at,
            response=issued.raw,
            attempts=0,
            last_error="",
            next_attempt_at=None,
            updated_at=timezone.now(),
        )
    return "issued"


def _correct(invoice: Invoice) -> str:
    """Void the invoice within its own two-month period (and with no allowance on it);
    otherwise give back what remains as an allowance."""
    today = timezone.localdate()
    issued_on = timezone.localdate(invoice.issued_at)
    has_allowances = invoice.allowances.exclude(status=Allowance.Status.VOIDED).exists()
    if rules.same_period(issued_on, today) and not has_allowances:
        provider = get_provider()
        try:
            provider.void(invoice.number, issued_on, VOID_REASON)
        except ProviderError as exc:
            with transaction.atomic():
                _log(invoice, provider, ok=False, error=exc.message)
                _failed(Invoice, invoice.pk, invoice.attempts, exc.message)
            return "failed"
        with transaction.atomic():
            _log(invoice, provider, ok=True)
            now = timezone.now()
            Invoice.objects.filter(pk=invoice.pk).update(
                status=Invoice.Status.VOIDED,
                operation="",
                voided_at=now,
                attempts=0,
                last_error="",
                next_attempt_at=None,
                updated_at=now,
            )
        return "voided"
    with transaction.atomic():
        remainder = allowed_remainder(invoice)
        if remainder > 0:
            allowance, created = Allowance.objects.get_or_create(
                invoice=invoice,
                reference="order-cancelled",
                defaults={
                    "amount": remainder,
                    "lines": [
                        {
                            # Chinese whatever the job's language: it is printed on the 折讓單.
                            "name": f"訂單 {invoice.order.number} 取消",
                            "quantity": 1,
                            "unit_price": str(remainder),
                            "amount": str(remainder),
                        }
                    ],
                    "next_attempt_at": timezone.now() + LEASE,
                },
            )
            if created:
                _queue_allowance(allowance.pk)
        Invoice.objects.filter(pk=invoice.pk).update(
            operation="", attempts=0, last_error="", next_attempt_at=None
        )
    return "allowance"


def process_allowance(allowance_id: int) -> str:
    if not _claim(Allowance, allowance_id):
        return "busy"
    allowance = Allowance.objects.select_related("invoice__order").get(pk=allowance_id)
    try:
        if allowance.status not in (Allowance.Status.PENDING, Allowance.Status.FAILED):
            return "nothing to do"
        invoice = allowance.invoice
        provider = get_provider()
        request = AllowanceRequest(
            invoice_number=invoice.number,
            invoice_date=timezone.localdate(invoice.issued_at),
            amount=allowance.amount,
            lines=tuple(
                Line(
                    line["name"],
                    int(line["quantity"]),
                    Decimal(line["unit_price"]),
                    Decimal(line["amount"]),
                )
                for line in allowance.lines
            ),
            buyer=_buyer(invoice.order),
        )
        try:
            issued = provider.allowance(request)
        except ProviderError as exc:
            with transaction.atomic():
                _log(invoice, provider, ok=False, error=exc.message, allowance=allowance)
                _failed(
                    Allowance,
                    allowance.pk,
                    allowance.attempts,
                    exc.message,
                    status=Allowance.Status.FAILED,
                )
            return "failed"
        with transaction.atomic():
            _log(invoice, provider, ok=True, allowance=allowance)
            Allowance.objects.filter(pk=allowance.pk).update(
                status=Allowance.Status.ISSUED,
                number=issued.number,
                issued_at=issued.issued_at,
                response=issued.raw,
                attempts=0,
                last_error="",
                next_attempt_at=None,
            )
        return "issued"
    finally:
        Allowance.objects.filter(pk=allowance_id).update(claimed_until=None)


# --- retries ----------------------------------------------------------------------------------


def due(now=None) -> tuple[list[int], list[int]]:
    """Invoices and allowances whose work is due: failed ones at their retry time, and pending
    ones whose job never ran."""
    now = now or timezone.now()
    invoices = Invoice.objects.filter(next_attempt_at__lte=now).filter(
        Q(status__in=[Invoice.Status.PENDING, Invoice.Status.FAILED]) | ~Q(operation="")
    )
    allowances = Allowance.objects.filter(
        next_attempt_at__lte=now,
        status__in=[Allowance.Status.PENDING, Allowance.Status.FAILED],
    )
    return (
        list(invoices.values_list("pk", flat=True)[:200]),
        list(allowances.values_list("pk", flat=True)[:200]),
    )


def retry_now(invoice: Invoice) -> None:
    """Staff's "retry now": the waiting work of this invoice and its allowances, queued now."""
    now = timezone.now()
    with transaction.atomic():
        if invoice.status in (Invoice.Status.PENDING, Invoice.Status.FAILED) or invoice.operation:
            Invoice.objects.filter(pk=invoice.pk).update(next_attempt_at=now)
            _queue_invoice(invoice.pk)
        for allowance in invoice.allowances.filter(
            status__in=[Allowance.Status.PENDING, Allowance.Status.FAILED]
        ):
            Allowance.objects.filter(pk=allowance.pk).update(next_attempt_at=now)
            _queue_allowance(allowance.pk)


def failing() -> "tuple":
    """Invoices with a failed call waiting for its retry, and failed allowances (staff lists)."""
    return (
        Invoice.objects.exclude(last_error="").select_related("order"),
        Allowance.objects.filter(status=Allowance.Status.FAILED).select_related("invoice"),
    )
