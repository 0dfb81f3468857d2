"""The staff dashboard: today, this week and this month at a glance."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, F, Sum

from fenrun.analytics.periods import DateRange, month_start, today
from fenrun.analytics.selectors.base import (
    ZERO,
    User,
    earned_commissions,
    money,
    olap,
)
from fenrun.analytics.selectors.campaigns import PromoterRow
from fenrun.commissions.models import Commission
from fenrun.orders.selectors import period_figures
from fenrun.orders.status import SALE_STATUSES
from fenrun.referrals.models import OrderAttribution


@dataclass
class DashboardColumn:
    """One period of the dashboard. ``orders`` counts the sales, ``revenue`` is their grand
    total (營收); ``top_promoters`` rank members by the goods after discounts (業績) of the
    orders attributed to them."""

    key: str
    period: DateRange
    orders: int = 0
    revenue: Decimal = ZERO
    commissions: Decimal = ZERO
    new_members: int = 0
    top_promoters: list = field(default_factory=list)


@dataclass
class Dashboard:
    columns: list[DashboardColumn]
    coins_outstanding: Decimal
    commissions_pending: Decimal


def coins_outstanding() -> Decimal:
    """Site coins the shop owes its members now: spendable plus reserved for open requests."""
    from fenrun.wallet.models import Account, AccountKind

    total = Account.objects.filter(
        kind__in=[AccountKind.COINS, AccountKind.COINS_RESERVED]
    ).aggregate(v=Sum("balance"))["v"]
    return money(total)


def top_promoters(period: DateRange, limit: int = 5) -> list[PromoterRow]:
    """Members who brought in the most revenue (orders attributed to them)."""
    rows = (
        OrderAttribution.objects.filter(
            referrer__isnull=False,
            order__status__in=SALE_STATUSES,
            order__placed_at__gte=period.start_at,
            order__placed_at__lt=period.end_before,
        )
        .values("referrer_id")
        .annotate(n=Count("pk"), v=Sum(F("order__goods_total") - F("order__discount_total")))
        .order_by("-v", "referrer_id")[:limit]
    )
    rows = list(rows)
    users = User.objects.in_bulk([r["referrer_id"] for r in rows])
    result = []
    for r in rows:
        user = users.get(r["referrer_id"])
        result.append(
            PromoterRow(
                user_id=r["referrer_id"],
                name=user.name if user else "",
                email=user.email if user else "",
                orders=r["n"],
                revenue=money(r["v"]),
            )
        )
    return result


@olap
def dashboard(on=None) -> Dashboard:
    on = on or today()
    periods = [
        ("today", DateRange(on, on)),
        ("week", DateRange(on - timedelta(days=on.weekday()), on)),
        ("month", DateRange(month_start(on), on)),
    ]
    columns = []
    for key, period in periods:
        # The back office's front page reads the same function: one 營收 for the shop.
        sales = period_figures(period.start_at, period.end_before)
        columns.append(
            DashboardColumn(
                key=key,
                period=period,
                orders=sales.sales,
                revenue=money(sales.revenue),
                commissions=money(earned_commissions(period).aggregate(v=Sum("amount"))["v"]),
                new_members=User.objects.filter(
                    is_staff=False,
                    date_joined__gte=period.start_at,
                    date_joined__lt=period.end_before,
                ).count(),
                top_promoters=top_promoters(period),
            )
        )
    pending = Commission.objects.filter(status=Commission.Status.PENDING).aggregate(
        v=Sum("amount")
    )["v"]
    return Dashboard(
        columns=columns, coins_outstanding=coins_outstanding(), commissions_pending=money(pending)
    )
