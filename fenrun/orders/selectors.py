"""Order reads shared by the API, the back office and its dashboard."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from fenrun.core.money import ZERO
from fenrun.orders.models import Order
from fenrun.orders.status import OrderStatus

# Money the shop did not keep is not revenue.
NOT_REVENUE = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)


def orders_with_details() -> QuerySet[Order]:
    return Order.objects.select_related("shipping_method", "user").prefetch_related(
        "lines", "status_changes"
    )


def orders_visible_to(
    *, user=None, source: str | None = None, everything: bool = False
) -> QuerySet[Order]:
    """Orders a caller may read: every order (staff), one source's (an integrator) or a member's own."""
    orders = Order.objects.select_related("shipping_method")
    if everything:
        return orders
    if source is not None:
        return orders.filter(source=source)
    if user is not None and user.is_authenticated:
        return orders.filter(user=user)
    return orders.none()


@dataclass(frozen=True)
class PeriodFigures:
    orders: int
    revenue: Decimal


def period_figures(start: datetime, end: datetime) -> PeriodFigures:
    """Orders placed in [start, end) and their revenue (cancelled and refunded orders excluded)."""
    row = Order.objects.filter(placed_at__gte=start, placed_at__lt=end).aggregate(
        orders=Count("id"),
        revenue=Sum("grand_total", filter=~Q(status__in=NOT_REVENUE)),
    )
    return PeriodFigures(orders=row["orders"], revenue=row["revenue"] or ZERO)


def local_day_and_month(now: datetime | None = None) -> dict[str, tuple[datetime, datetime]]:
    """Today and this month as [start, end) in the shop's time zone (Asia/Taipei)."""
    local = timezone.localtime(now or timezone.now())
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    # Arithmetic on zoneinfo datetimes is wall-clock arithmetic: these are local midnights.
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    return {
        "today": (day_start, day_start + timedelta(days=1)),
        "month": (month_start, next_month),
    }


def orders_by_status() -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, in the machine's order, zeros included."""
    counts = dict(Order.objects.values_list("status").annotate(n=Count("id")).order_by())
    return [(value, str(label), counts.get(value, 0)) for value, label in OrderStatus.choices]


def latest_orders(limit: int = 10) -> list[Order]:
    return list(Order.objects.select_related("user").order_by("-placed_at", "-id")[:limit])
