"""Per-level figures of one member: counts from the tree's index, orders and sales from the
member's roll-up rows, commissions earned; levels 1 to 20 and "deeper"."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from fenrun.analytics.models import DEEPER_LEVEL, DownlineSalesDay
from fenrun.analytics.periods import DateRange
from fenrun.analytics.selectors.base import (
    MAX_LEVEL,
    ZERO,
    _bucket,
    earned_commissions,
    money,
    olap,
    subtree,
)
from fenrun.referrals.models import ReferralNode


@dataclass
class LevelRow:
    level: int | None  # None: deeper than MAX_LEVEL
    members: int = 0
    new_members: int = 0
    orders: int = 0
    sales: Decimal = ZERO
    commissions: Decimal = ZERO
    commission_count: int = 0

    @property
    def is_deeper(self) -> bool:
        return self.level is None

    def add(self, other: "LevelRow") -> None:
        self.members += other.members
        self.new_members += other.new_members
        self.orders += other.orders
        self.sales += other.sales
        self.commissions += other.commissions
        self.commission_count += other.commission_count


@dataclass
class LevelReport:
    member_id: int
    period: DateRange
    rows: list[LevelRow]  # levels 1..20, then "deeper"
    total: LevelRow
    own_commissions: Decimal = ZERO  # level 0: paid to the member for their own orders
    deepest_level: int = 0

    def _top(self, attr: str) -> LevelRow | None:
        best = max(self.rows, key=lambda r: getattr(r, attr), default=None)
        return best if best is not None and getattr(best, attr) > 0 else None

    @property
    def top_sales_level(self) -> LevelRow | None:
        return self._top("sales")

    @property
    def top_commission_level(self) -> LevelRow | None:
        return self._top("commissions")

    @property
    def top_recruiting_level(self) -> LevelRow | None:
        return self._top("new_members")

    def visible_rows(self, minimum: int = 3) -> list[LevelRow]:
        """Levels up to the deepest one with anything to show (at least ``minimum``), then
        "deeper" if it has anything: a page need not list twenty rows of zeros."""
        last = minimum
        for row in self.rows:
            if row.level and (row.members or row.orders or row.commissions):
                last = max(last, row.level)
        shown = [r for r in self.rows if r.level is not None and r.level <= last]
        deeper = self.rows[-1]
        if deeper.members or deeper.orders or deeper.commissions:
            shown.append(deeper)
        return shown


@olap
def level_figures(member_id: int, node: ReferralNode | None, period: DateRange) -> LevelReport:
    """Downline count, new members, orders, sales and commissions earned per level below the
    member, levels 1 to 20 and "deeper", for the period. Three grouped queries: counts from the
    tree's index, orders and sales from the member's roll-up rows, commissions."""
    rows = {level: LevelRow(level) for level in range(1, MAX_LEVEL + 1)}
    rows[None] = LevelRow(None)
    deepest = 0
    if node is not None:
        base = node.depth
        counts = (
            subtree(node)
            .values("depth")
            .annotate(
                members=Count("pk"),
                new=Count(
                    "pk",
                    filter=Q(
                        user__date_joined__gte=period.start_at,
                        user__date_joined__lt=period.end_before,
                    ),
                ),
            )
            .order_by()
        )
        for row in counts:
            rel = row["depth"] - base
            deepest = max(deepest, rel)
            target = rows[_bucket(rel)]
            target.members += row["members"]
            target.new_members += row["new"]
        sales_rows = (
            DownlineSalesDay.objects.filter(
                member_id=node.pk, level__gte=1, day__gte=period.start, day__lte=period.end
            )
            .values("level")
            .annotate(n=Sum("orders"), v=Sum("sales"))
            .order_by()
        )
        for row in sales_rows:
            target = rows[None if row["level"] == DEEPER_LEVEL else row["level"]]
            target.orders += row["n"]
            target.sales += money(row["v"])
    own = ZERO
    commission_rows = (
        earned_commissions(period)
        .filter(payee_id=member_id)
        .values("level")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .order_by()
    )
    for row in commission_rows:
        if row["level"] == 0:
            own += money(row["total"])
            continue
        target = rows[_bucket(row["level"])]
        target.commissions += money(row["total"])
        target.commission_count += row["n"]
    ordered = [rows[level] for level in range(1, MAX_LEVEL + 1)] + [rows[None]]
    total = LevelRow(None)
    for row in ordered:
        total.add(row)
    return LevelReport(
        member_id=member_id,
        period=period,
        rows=ordered,
        total=total,
        own_commissions=own,
        deepest_level=deepest,
    )
