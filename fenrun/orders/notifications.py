"""E-mails about orders: the buyer's confirmation and status news, the staff's new-order notice,
and a charge taken twice (the buyer told it comes back, staff told when they must refund it).

The order services call ``order_placed`` and ``status_changed`` inside their transaction; the mail
is a background job (``tasks.send_order_mail``) sent only once that transaction commits. An order
that rolls back is never announced, and a mail server that is down never undoes or slows an order
that went through: the failure is logged and the job retried, and each recipient gets each mail
once however often the job runs.
"""

import logging
import re

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from fenrun.core import once
from fenrun.orders.models import Order, Payment
from fenrun.orders.status import OrderStatus

logger = logging.getLogger(__name__)

# The statuses a buyer hears about. "Completed" and "returned" are things the buyer did (received
# the goods, sent them back); the refund that follows a return gets its own mail.
BUYER_STATUS_MAILS = frozenset(
    {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.CANCELLED, OrderStatus.REFUNDED}
)


def _subject(kind: str, order: Order) -> str:
    number = order.number
    subjects = {
        "placed": _("Order %(number)s received") % {"number": number},
        "staff_new_order": _("New order %(number)s") % {"number": number},
        OrderStatus.PAID: _("Payment received for order %(number)s") % {"number": number},
        OrderStatus.SHIPPED: _("Order %(number)s has shipped") % {"number": number},
        OrderStatus.CANCELLED: _("Order %(number)s is cancelled") % {"number": number},
        OrderStatus.REFUNDED: _("Order %(number)s is refunded") % {"number": number},
        "duplicate_charge": _("A second payment for order %(number)s will be refunded")
        % {"number": number},
        "duplicate_refunded": _("A second payment for order %(number)s was refunded")
        % {"number": number},
        "staff_duplicate_charge": _("Order %(number)s was charged twice: refund needed")
        % {"number": number},
        "instructions": _("How to pay for order %(number)s") % {"number": number},
    }
    return _("[%(shop)s] %(subject)s") % {
        "shop": settings.FENRUN_SHOP_NAME,
        "subject": subjects[kind],
    }


def _enqueue(kind: str, *args) -> None:
    from fenrun.orders.tasks import send_order_mail

    send_order_mail.delay_on_commit(kind, *args)


def order_placed(order_id: int) -> None:
    """Send the buyer's confirmation and the staff notice once the current transaction commits."""
    _enqueue("placed", order_id)


def status_changed(order_id: int, to_status: str) -> None:
    """Tell the buyer about ``to_status`` once the current transaction commits.

    The status is captured now: an order paid and shipped in one transaction gets both mails,
    each about its own step.
    """
    if to_status in BUYER_STATUS_MAILS:
        _enqueue("status", order_id, to_status)


def payment_instructions(payment_id: int) -> None:
    """Mail the buyer where to pay (the ATM account or store code the provider just issued)."""
    _enqueue("instructions", payment_id)


def duplicate_charge(payment_id: int, *, refunded: bool) -> None:
    """Tell the buyer their order was charged twice, and that (or when) the second comes back."""
    _enqueue("duplicate", payment_id, refunded)


def duplicate_charge_for_staff(payment_id: int) -> None:
    """Ask staff to refund a second charge the gateway could not refund by itself."""
    _enqueue("staff_duplicate", payment_id)


def buyer_language(order: Order) -> str:
    # Neither members nor guests have a stored language yet; the shop's own language is the one
    # its buyers and staff read.
    return settings.LANGUAGE_CODE


def staff_recipients() -> list[str]:
    raw = getattr(settings, "FENRUN_ORDER_NOTIFY_EMAIL", "")
    addresses = raw.split(",") if isinstance(raw, str) else list(raw)
    return [address.strip() for address in addresses if address.strip()]


def _is_demo(order: Order) -> bool:
    # seed_demo places dozens of orders; printing a mail for each would bury `make run`'s output.
    return order.source == "demo" or order.source.startswith("demo-")


def _load(order_id: int) -> Order | None:
    return (
        Order.objects.select_related("shipping_method", "user")
        .prefetch_related("lines", "payments")
        .filter(pk=order_id)
        .first()
    )


def _absolute(path: str) -> str:
    return settings.FENRUN_SITE_URL.rstrip("/") + path


def _order_url(order: Order) -> str:
    """The buyer's page for this order, or "" for a guest.

    A guest's order page is tied to the browser session that placed it, so a link opened from a
    mail program would usually answer 404; guests get the whole order in the mail instead.
    """
    if order.user_id is None:
        return ""
    return _absolute(reverse("storefront:member_order_detail", args=[order.number]))


def _context(order: Order, **extra) -> dict:
    buyer = order.user
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "buyer_name": (buyer.name if buyer else "") or order.recipient_name,
        "shop_name": settings.FENRUN_SHOP_NAME,
        "site_url": settings.FENRUN_SITE_URL.rstrip("/"),
        "order_url": _order_url(order),
        "bank": settings.FENRUN_BANK_TRANSFER,
        **extra,
    }


def send(kind: str, *args) -> None:
    """What the mail job runs: the mail of ``kind`` about ``args``, each recipient's once."""
    senders = {
        "placed": _send_placed,
        "status": _send_status,
        "duplicate": _send_duplicate,
        "staff_duplicate": _send_duplicate_to_staff,
        "instructions": _send_instructions,
    }
    senders[kind](*args)


def _deliver(kind: str, template: str, order: Order, to: list[str], language: str, **extra) -> None:
    """Render and send one mail, once: a job run twice (a retry, a redelivered message) finds
    the mail's key taken and sends nothing. A failure gives the key back and is raised, so the
    job retries it later."""
    key = (
        f"mail:{kind}:{order.pk}:{extra.get('payment').pk if extra.get('payment') else ''}:{to[0]}"
    )
    if not once.claim(key):
        return
    try:
        with translation.override(language):
            context = _context(order, **extra)
            subject = " ".join(_subject(kind, order).split())
            context["subject"] = subject
            text = render_to_string(f"orders/email/{template}.txt", context)
            html = render_to_string(f"orders/email/{template}.html", context)
        message = EmailMultiAlternatives(
            subject=subject,
            body=re.sub(r"\n{3,}", "\n\n", text).strip() + "\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=to,
        )
        message.attach_alternative(html, "text/html")
        message.send()
    except Exception:
        once.release(key)
        logger.exception("order %s: the %s e-mail could not be sent", order.number, kind)
        raise


def _send_placed(order_id: int) -> None:
    order = _load(order_id)
    if order is None or _is_demo(order):
        return
    failure = None
    if order.email:
        try:
            _deliver("placed", "order_placed", order, [order.email], buyer_language(order))
        except Exception as exc:
            failure = exc  # the staff notice is still tried; the job retries the buyer's mail
    staff = staff_recipients()
    if staff:
        _deliver(
            "staff_new_order",
            "staff_new_order",
            order,
            staff,
            settings.LANGUAGE_CODE,
            admin_url=_absolute(reverse("admin:orders_order_change", args=[order.pk])),
        )
    if failure is not None:
        raise failure


def _send_status(order_id: int, to_status: str) -> None:
    order = _load(order_id)
    if order is None or _is_demo(order) or not order.email:
        return
    _deliver(
        to_status,
        "status_changed",
        order,
        [order.email],
        buyer_language(order),
        status=to_status,
        status_label=OrderStatus(to_status).label,
    )


def _load_payment(payment_id: int) -> Payment | None:
    return Payment.objects.filter(pk=payment_id).first()


def _send_duplicate(payment_id: int, refunded: bool) -> None:
    payment = _load_payment(payment_id)
    order = payment and _load(payment.order_id)
    if order is None or _is_demo(order) or not order.email:
        return
    kind = "duplicate_refunded" if refunded else "duplicate_charge"
    _deliver(
        kind,
        "duplicate_charge",
        order,
        [order.email],
        buyer_language(order),
        payment=payment,
        refunded=refunded,
    )


def _send_instructions(payment_id: int) -> None:
    payment = _load_payment(payment_id)
    order = payment and _load(payment.order_id)
    if order is None or _is_demo(order) or not order.email:
        return
    if payment.status != Payment.Status.STARTED or order.status != OrderStatus.PENDING:
        return  # paid (or cancelled) before the mail went: nothing left to pay
    _deliver(
        "instructions",
        "payment_instructions",
        order,
        [order.email],
        buyer_language(order),
        payment=payment,
    )


def _send_duplicate_to_staff(payment_id: int) -> None:
    payment = _load_payment(payment_id)
    order = payment and _load(payment.order_id)
    staff = staff_recipients()
    if order is None or not staff:
        return
    _deliver(
        "staff_duplicate_charge",
        "staff_duplicate_charge",
        order,
        staff,
        settings.LANGUAGE_CODE,
        payment=payment,
        refund_note=_(payment.refund_note) if payment.refund_note else "",
        admin_url=_absolute(reverse("admin:orders_order_change", args=[order.pk])),
    )
