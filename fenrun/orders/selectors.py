"""Order reads shared by the API, the back office and its dashboard."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from fenrun.core.money import ZERO
from fenrun.core.periods import day_and_month
from fenrun.orders.models import Order
from fenrun.orders.status import SALE_STATUSES, OrderStatus


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
    orders: int  # every order placed
    sales: int  # the orders among them that count as a sale
    revenue: Decimal  # 營收: the grand total of those sales


def period_figures(start: datetime, end: datetime) -> PeriodFigures:
    """Orders placed in [start, end), and the shop's revenue over them: the grand total of the
    orders in ``SALE_STATUSES``. Every page that shows 營收 reads it here."""
    is_sale = Q(status__in=SALE_STATUSES)
    row = Order.objects.filter(placed_at__gte=start, placed_at__lt=end).aggregate(
        orders=Count("id"),
        sales=Count("id", filter=is_sale),
        revenue=Sum("grand_total", filter=is_sale),
    )
    return PeriodFigures(orders=row["orders"], sales=row["sales"], revenue=row["revenue"] or ZERO)


def local_day_and_month(now: datetime | None = None) -> dict[str, tuple[datetime, datetime]]:
    """Today and this month as [start, end) in the shop's time zone (Asia/Taipei)."""
    return day_and_month(now)


def orders_by_status() -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, in the machine's order, zeros included."""
    counts = dict(Order.objects.values_list("status").annotate(n=Count("id")).order_by())
    return [(value, str(label), counts.get(value, 0)) for value, label in OrderStatus.choices]


def latest_orders(limit: int = 10) -> list[Order]:
    return list(Order.objects.select_related("user").order_by("-placed_at", "-id")[:limit])
