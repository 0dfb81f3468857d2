"""Every member's figure for a metric (tags and leaderboards read the same numbers), and the
leaderboards: ``SalesMonth`` for the whole calendar months of a range, ``DownlineSalesDay`` for
the days at its edges; "downline new members" credit every upline of a joiner in SQL."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Sum

from fenrun.analytics.models import Metric
from fenrun.analytics.periods import DateRange, month_start
from fenrun.analytics.selectors.base import (
    User,
    _fetch,
    _tables,
    earned_commissions,
    money,
    olap,
    tags_of,
)
from fenrun.core.periods import next_month
from fenrun.referrals import signups
from fenrun.referrals.models import ReferralNode, SignupReview
from fenrun.referrals.tree_queries import ancestor_id_sql

LEADERBOARD_LIMIT = 20


_UPLINE_SQL_PG = """
WITH src(user_id, v1, v2) AS ({inner})
SELECT {upline} AS upline,
       SUM(src.v1), SUM(src.v2)
FROM src
JOIN {node} n ON n.user_id = src.user_id
CROSS JOIN LATERAL generate_series(1, n.depth - 1) AS k
GROUP BY 1
"""

# SQLite has no generate_series: a recursive CTE walks up from each buyer instead. Both give
# one row per (buyer, upline): the work is the sum of the buyers' depths, never a product.
_UPLINE_SQL_PORTABLE = """
WITH RECURSIVE src(user_id, v1, v2) AS ({inner}),
up(user_id, k, v1, v2) AS (
    SELECT src.user_id, n.depth - 1, src.v1, src.v2
    FROM src JOIN {node} n ON n.user_id = src.user_id
    WHERE n.depth > 1
    UNION ALL
    SELECT user_id, k - 1, v1, v2 FROM up WHERE k > 1
)
SELECT {upline} AS upline,
       SUM(up.v1), SUM(up.v2)
FROM up JOIN {node} n ON n.user_id = up.user_id
GROUP BY 1
"""


def _credit_uplines(inner_sql: str, params: list) -> dict[int, tuple]:
    """Sum (v1, v2) of every member of ``inner_sql`` (user_id, v1, v2) into each of their
    uplines: {upline id: (v1 total, v2 total)}."""
    if connection.vendor == "postgresql":
        template, upline = _UPLINE_SQL_PG, ancestor_id_sql("n", "k")
    else:
        template, upline = _UPLINE_SQL_PORTABLE, ancestor_id_sql("n", "up.k")
    sql = template.format(inner=inner_sql, node=_tables()["node"], upline=upline)
    return {row[0]: (row[1], row[2]) for row in _fetch(sql, params)}


def month_segments(period: DateRange) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """Split a range into its whole calendar months (first and last month's first days, or
    None) and the day ranges at its edges: SalesMonth answers the first, DownlineSalesDay
    the others."""
    first = period.start if period.start.day == 1 else next_month(period.start)
    after = period.end + timedelta(days=1)
    last_end = period.end if after.day == 1 else month_start(period.end) - timedelta(days=1)
    if first > last_end:
        return None, [(period.start, period.end)]
    edges = []
    if period.start < first:
        edges.append((period.start, first - timedelta(days=1)))
    if last_end < period.end:
        edges.append((last_end + timedelta(days=1), period.end))
    return (first, month_start(last_end)), edges


def _rollup_totals(
    period: DateRange, *, downline: bool, limit: int | None = None
) -> list[tuple[int, int, Decimal]]:
    """(member, orders, sales) of every member's downline (or own) sales in the period.

    With ``limit``: only the best members with sales above zero, highest first, ties by id
    (the ranking the leaderboards show), sorted and cut by the database.
    """
    t = _tables()
    months, edges = month_segments(period)
    adapt = connection.ops.adapt_datefield_value
    parts: list[str] = []
    params: list = []
    if months is not None:
        prefix = "downline" if downline else "own"
        parts.append(
            f"SELECT member_id, {prefix}_orders AS n, {prefix}_sales AS v FROM {t['month']} "
            "WHERE month >= %s AND month <= %s"
        )
        params += [adapt(months[0]), adapt(months[1])]
    level = "level >= 1" if downline else "level = 0"
    for start, end in edges:
        parts.append(
            f"SELECT member_id, orders AS n, sales AS v FROM {t['day']} "
            f"WHERE {level} AND day >= %s AND day <= %s"
        )
        params += [adapt(start), adapt(end)]
    if len(parts) == 1 and months is not None and months[0] == months[1]:
        # One calendar month: SalesMonth has one row per member, nothing to add up.
        sql = parts[0]
        if limit is not None:
            column = "downline_sales" if downline else "own_sales"
            sql += f" AND {column} > 0 ORDER BY {column} DESC, member_id LIMIT {int(limit)}"
    else:
        sql = f"SELECT member_id, SUM(n), SUM(v) FROM ({' UNION ALL '.join(parts)}) x "
        sql += "GROUP BY member_id"
        if limit is not None:
            sql += f" HAVING SUM(v) > 0 ORDER BY 3 DESC, 1 LIMIT {int(limit)}"
    rows = _fetch(sql, params)
    return [(uid, int(n or 0), money(v)) for uid, n, v in rows]


def _joiners_sql(period: DateRange) -> tuple[str, list]:
    """New members of the period, without sign-ups flagged as a burst and not approved."""
    t = _tables()
    reviews = connection.ops.quote_name(SignupReview._meta.db_table)
    sql = f"""
        SELECT u.id, 1, 1 FROM {t["user"]} u
        WHERE u.date_joined >= %s AND u.date_joined < %s
        AND u.id NOT IN (SELECT r.member_id FROM {reviews} r WHERE r.status <> %s)
    """
    return sql, [period.start_at, period.end_before, SignupReview.Status.APPROVED]


@olap
def downline_sales_by_member(period: DateRange) -> dict[int, tuple[Decimal, int]]:
    """{member: (sales, orders)} of each member's whole downline in the period."""
    return {uid: (v, n) for uid, n, v in _rollup_totals(period, downline=True)}


@olap
def downline_new_members_by_member(period: DateRange) -> dict[int, int]:
    sql, params = _joiners_sql(period)
    return {k: int(v[0]) for k, v in _credit_uplines(sql, params).items()}


@olap
def metric_values(metric: str, period: DateRange) -> dict[int, Decimal]:
    """Every member's figure for a tag or leaderboard metric; members at zero are left out."""
    if metric == Metric.PERSONAL_SALES:
        values = {uid: v for uid, _n, v in _rollup_totals(period, downline=False)}
    elif metric == Metric.DOWNLINE_SALES:
        values = {uid: v[0] for uid, v in downline_sales_by_member(period).items()}
    elif metric == Metric.NEW_MEMBERS:
        rows = (
            ReferralNode.objects.filter(
                sponsor__isnull=False,
                user__date_joined__gte=period.start_at,
                user__date_joined__lt=period.end_before,
            )
            .exclude(
                user_id__in=SignupReview.objects.filter(signups.uncounted()).values("member_id")
            )
            .values("sponsor_id")
            .annotate(v=Count("pk"))
            .order_by()
            .values_list("sponsor_id", "v")
        )
        values = {uid: Decimal(v) for uid, v in rows}
    elif metric == Metric.DOWNLINE_NEW_MEMBERS:
        values = {uid: Decimal(v) for uid, v in downline_new_members_by_member(period).items()}
    elif metric == Metric.COMMISSIONS:
        rows = (
            earned_commissions(period)
            .values("payee_id")
            .annotate(v=Sum("amount"))
            .order_by()
            .values_list("payee_id", "v")
        )
        values = {uid: money(v) for uid, v in rows}
    else:
        raise ValueError(f"unknown metric {metric!r}")
    # A flagged sign-up gets no tag and no place on a leaderboard until staff approve it.
    flagged = signups.uncounted_member_ids()
    return {uid: v for uid, v in values.items() if v > 0 and uid not in flagged}


@dataclass
class LeaderRow:
    rank: int
    user_id: int
    name: str
    email: str
    value: Decimal
    orders: int | None = None  # downline sales: the orders behind the figure
    tags: list = field(default_factory=list)


def ranked(values: dict[int, Decimal]) -> list[tuple[int, Decimal]]:
    """Highest first; ties in id order so that a ranking is the same on every run."""
    return sorted(values.items(), key=lambda item: (-item[1], item[0]))


@olap
def leaderboard_size(metric: str, period: DateRange) -> int:
    """How many members a leaderboard ranks in all: everyone with a figure above zero."""
    return len(metric_values(metric, period))


@olap
def leaderboard(
    metric: str, period: DateRange, limit: int = LEADERBOARD_LIMIT, offset: int = 0
) -> list[LeaderRow]:
    """The ``limit`` members ranked after the first ``offset``; ranks count from the top."""
    extra: dict[int, int] = {}
    if metric in (Metric.DOWNLINE_SALES, Metric.PERSONAL_SALES):
        # The database cuts the ranking before flagged members are dropped: it fetches as many
        # more as there are flagged, or a page would start (and end) too early.
        flagged = signups.uncounted_member_ids()
        best = _rollup_totals(
            period,
            downline=metric == Metric.DOWNLINE_SALES,
            limit=offset + limit + len(flagged),
        )
        values = {uid: v for uid, _n, v in best if uid not in flagged}
        if metric == Metric.DOWNLINE_SALES:  # the pages show the orders behind downline sales
            extra = {uid: n for uid, n, _v in best}
    else:
        values = metric_values(metric, period)
    top = ranked(values)[offset : offset + limit]
    ids = [uid for uid, _v in top]
    users = User.objects.in_bulk(ids)
    tags = tags_of(ids)
    rows = []
    for rank, (uid, value) in enumerate(top, start=offset + 1):
        user = users.get(uid)
        rows.append(
            LeaderRow(
                rank=rank,
                user_id=uid,
                name=user.name if user else "",
                email=user.email if user else "",
                value=value,
                orders=extra.get(uid),
                tags=tags.get(uid, []),
            )
        )
    return rows
