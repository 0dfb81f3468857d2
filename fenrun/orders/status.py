"""The order status machine: which transitions are allowed, and nothing else."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrderStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("order status", "Pending")
    PAID = "paid", pgettext_lazy("order status", "Paid")
    SHIPPED = "shipped", _("Shipped")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNED = "returned", _("Returned")
    REFUNDED = "refunded", _("Refunded")


S = OrderStatus

# The statuses in which an order counts as a sale: paid, or goods on their way (cash on
# delivery) or received, and not given back. Revenue (營收) everywhere in the shop is the grand
# total of orders in these statuses.
SALE_STATUSES: tuple[str, ...] = (S.PAID, S.SHIPPED, S.COMPLETED)

TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.PAID, S.SHIPPED, S.CANCELLED}),
    S.PAID: frozenset({S.SHIPPED, S.CANCELLED, S.REFUNDED}),
    S.SHIPPED: frozenset({S.COMPLETED, S.RETURNED}),
    S.COMPLETED: frozenset({S.RETURNED, S.REFUNDED}),
    S.RETURNED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}

# Goods come back to stock when they never left, or when they were sent back.
RESTOCKING = {
    (S.PENDING, S.CANCELLED),
    (S.PAID, S.CANCELLED),
    (S.PAID, S.REFUNDED),
    (S.SHIPPED, S.RETURNED),
    (S.COMPLETED, S.RETURNED),
}


class TransitionError(ValueError):
    pass


def check_transition(current: str, target: str, *, payment_method: str) -> None:
    if target not in TRANSITIONS.get(current, ()):
        raise TransitionError(
            _("An order cannot go from “%(from)s” to “%(to)s”.")
            % {"from": S(current).label, "to": S(target).label if target in S.values else target}
        )
    # Only cash on delivery may ship before it is paid: it is paid at the door.
    if current == S.PENDING and target == S.SHIPPED and payment_method != "cod":
        raise TransitionError(_("Only cash-on-delivery orders can ship before payment."))


def allowed_targets(current: str, *, payment_method: str) -> list[str]:
    targets = []
    for target in TRANSITIONS.get(current, ()):
        try:
            check_transition(current, target, payment_method=payment_method)
        except TransitionError:
            continue
        targets.append(target)
    order = list(S.values)
    return sorted(targets, key=order.index)
