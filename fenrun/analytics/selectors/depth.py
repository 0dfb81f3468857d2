"""組織深度分析: which level of the organisation brings in the sales, and which commission level
pays out the most."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from fenrun.analytics.periods import DateRange
from fenrun.analytics.selectors.base import (
    MAX_LEVEL,
    ZERO,
    _bucket,
    _fetch,
    _tables,
    earned_commissions,
    money,
    olap,
)
from fenrun.orders.status import SALE_STATUSES
from fenrun.referrals.models import ReferralNode


@dataclass
class DepthRow:
    level: int | None
    members: int = 0
    orders: int = 0
    sales: Decimal = ZERO
    commissions: Decimal = ZERO
    commission_count: int = 0


@dataclass
class DepthReport:
    period: DateRange
    tree_levels: list[DepthRow]  # sales by the buyer's absolute tree level (sources = 1)
    commission_levels: list[DepthRow]  # commissions by level paid (1 = buyer's sponsor)

    @property
    def top_tree_level(self):
        best = max(self.tree_levels, key=lambda r: r.sales, default=None)
        return best if best and best.sales > 0 else None

    @property
    def top_commission_level(self):
        best = max(self.commission_levels, key=lambda r: r.commissions, default=None)
        return best if best and best.commissions > 0 else None


@olap
def depth_analysis(period: DateRange) -> DepthReport:
    """組織深度分析: which level of the organisation brings in the sales, and which commission
    level pays out the most."""
    tree = {level: DepthRow(level) for level in range(1, MAX_LEVEL + 1)}
    tree[None] = DepthRow(None)
    for row in ReferralNode.objects.values("depth").annotate(n=Count("pk")).order_by():
        tree[_bucket(row["depth"])].members += row["n"]
    t = _tables()
    statuses = ", ".join(["%s"] * len(SALE_STATUSES))
    sql = f"""
        SELECT n.depth, COUNT(*), SUM(o.goods_total - o.discount_total)
        FROM {t["orders"]} o JOIN {t["node"]} n ON n.user_id = o.user_id
        WHERE o.status IN ({statuses}) AND o.placed_at >= %s AND o.placed_at < %s
        GROUP BY n.depth
    """
    for depth, orders, sales in _fetch(sql, [*SALE_STATUSES, period.start_at, period.end_before]):
        target = tree[_bucket(depth)]
        target.orders += orders
        target.sales += money(sales)
    paid = {level: DepthRow(level) for level in range(0, MAX_LEVEL + 1)}
    paid[None] = DepthRow(None)
    rows = earned_commissions(period).values("level").annotate(v=Sum("amount"), n=Count("pk"))
    for row in rows.order_by():
        target = paid[_bucket(row["level"])]
        target.commissions += money(row["v"])
        target.commission_count += row["n"]
    commission_levels = [paid[level] for level in range(0, MAX_LEVEL + 1)] + [paid[None]]
    if not paid[0].commissions:
        commission_levels = commission_levels[1:]
    return DepthReport(
        period=period,
        tree_levels=[tree[level] for level in range(1, MAX_LEVEL + 1)] + [tree[None]],
        commission_levels=commission_levels,
    )
