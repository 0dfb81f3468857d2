"""The order status machine: which transitions are allowed, and nothing else."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fenrun.core.errors import ConflictError


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


class TransitionError(ConflictError):
    """A move the status machine refuses; ``errors["allowed"]`` lists where the order may go."""

    code = "transition_refused"

    def __init__(self, message, *, allowed: list[str] | None = None):
        self.allowed = list(allowed or [])
        super().__init__(message, "status", {"status": [message], "allowed": self.allowed})


def _refusal(current: str, target: str, *, payment_method: str) -> str | None:
    """Why ``current`` → ``target`` is refused, or None when the machine allows it."""
    if target not in TRANSITIONS.get(current, ()):
        return _("An order cannot go from “%(from)s” to “%(to)s”.") % {
            "from": S(current).label,
            "to": S(target).label if target in S.values else target,
        }
    # Only cash on delivery may ship before it is paid: it is paid at the door.
    if current == S.PENDING and target == S.SHIPPED and payment_method != "cod":
        return _("Only cash-on-delivery orders can ship before payment.")
    return None


def check_transition(current: str, target: str, *, payment_method: str) -> None:
    reason = _refusal(current, target, payment_method=payment_method)
    if reason is not None:
        raise TransitionError(
            reason, allowed=allowed_targets(current, payment_method=payment_method)
        )


def allowed_targets(current: str, *, payment_method: str) -> list[str]:
    targets = [
        target
        for target in TRANSITIONS.get(current, ())
        if _refusal(current, target, payment_method=payment_method) is None
    ]
    order = list(S.values)
    return sorted(targets, key=order.index)
