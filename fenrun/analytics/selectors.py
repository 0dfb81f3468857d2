"""Read queries behind the organisation chart, the per-level figures and the reports.

Member counts come from the referral tree's materialized path, sales from the roll-ups the
order events keep (``fenrun.analytics.rollups``); see docs/analytics.md:

- the descendants of X are one range of the path-head index (``fenrun.referrals.tree``);
- per-level member counts are that range GROUP BY depth; per-level orders and sales are X's
  ``DownlineSalesDay`` rows of the period GROUP BY level;
- figures per direct referral (the chart's children): counts from the same range grouped by
  the child's path prefix, sales from the children's own roll-up rows (one query);
- leaderboards and tags read ``SalesMonth`` for the whole calendar months of a range and
  ``DownlineSalesDay`` for the days at its edges;
- "downline new members" credit every upline of a joiner by reading the upline ids out of the
  joiner's path (one row per joiner and upline), then GROUP BY upline.

Definitions shared by every report:

- a *sale* is an order in status paid, shipped or completed, dated by ``placed_at``; its
  amount is goods after discounts (``goods_total - discount_total``), shipping excluded;
- a *new member* is one whose account was created (``date_joined``) within the range;
- *commissions* are Commission rows created within the range and not reversed.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import wraps

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDay, TruncHour, TruncMinute
from django.utils import timezone

from fenrun.analytics.models import (
    DEEPER_LEVEL,
    DownlineSalesDay,
    MemberTag,
    Metric,
    SalesMonth,
    TagRule,
)
from fenrun.analytics.periods import DateRange, month_start, today
from fenrun.analytics.rollups import SALE_STATUSES
from fenrun.commissions.models import Commission
from fenrun.core.money import round_money
from fenrun.orders.models import Order
from fenrun.referrals.models import Campaign, Click, OrderAttribution, ReferralCode, ReferralNode
from fenrun.referrals.tree import (
    PATH_HEAD_LENGTH,
    SEGMENT_WIDTH,
    path_ids,
    subtree_lookup,
    successor,
)

User = get_user_model()

MAX_LEVEL = 20
ZERO = Decimal("0")
CHILDREN_PAGE = 50
SEARCH_LIMIT = 20
LEADERBOARD_LIMIT = 20


def money(value) -> Decimal:
    """A SQL sum as Decimal with cents (SQLite hands back floats for raw SUMs)."""
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return round_money(value, places=2)


def sales_amount():
    return F("goods_total") - F("discount_total")


def sales_orders(period: DateRange | None = None):
    qs = Order.objects.filter(status__in=SALE_STATUSES)
    if period is not None:
        qs = qs.filter(placed_at__gte=period.start_at, placed_at__lt=period.end_before)
    return qs


def earned_commissions(period: DateRange | None = None):
    qs = Commission.objects.exclude(status=Commission.Status.REVERSED)
    if period is not None:
        qs = qs.filter(created_at__gte=period.start_at, created_at__lt=period.end_before)
    return qs


def olap(fn):
    """Run a report query without PostgreSQL's JIT compiler.

    These queries aggregate many rows but finish in well under a second; the planner's row
    estimates (generate_series, recursive CTEs) still push their cost over jit_above_cost, and
    compiling took longer than running (8 s of JIT for a 0.3 s leaderboard in the benchmark).
    The same transaction gives the sorts and hash aggregates of a report more memory than
    the default 4 MB, which otherwise spill to disk at a few hundred thousand rows. SET LOCAL
    keeps both changes inside this transaction.
    """

    @wraps(fn)
    def wrapper(*args, **kwargs):
        if connection.vendor != "postgresql":
            return fn(*args, **kwargs)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '64MB'")
            return fn(*args, **kwargs)

    return wrapper


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _tables() -> dict[str, str]:
    return {
        "node": _q(ReferralNode._meta.db_table),
        "orders": _q(Order._meta.db_table),
        "user": _q(User._meta.db_table),
        "day": _q(DownlineSalesDay._meta.db_table),
        "month": _q(SalesMonth._meta.db_table),
    }


def _fetch(sql: str, params: list) -> list[tuple]:
    # Raw SQL skips the ORM's value adaptation: datetimes must be written the way the backend
    # stores them (naive UTC text on SQLite), or comparisons go wrong by the time-zone offset.
    params = [
        connection.ops.adapt_datetimefield_value(p) if isinstance(p, datetime) else p
        for p in params
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def subtree(node: ReferralNode, *, include_self: bool = False):
    return ReferralNode.objects.filter(
        **subtree_lookup(node.path, node.depth, include_self=include_self)
    )


# ---------------------------------------------------------------- per-level figures


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


def _bucket(relative_level: int) -> int | None:
    return relative_level if relative_level <= MAX_LEVEL else None


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


# ---------------------------------------------------------------- the organisation chart


@dataclass
class NodeFigures:
    user_id: int
    name: str
    email: str
    phone: str
    joined: datetime
    depth: int | None
    sponsor_id: int | None
    direct_referrals: int = 0
    downline: int = 0
    personal_orders: int = 0
    personal_sales: Decimal = ZERO
    downline_orders: int = 0
    downline_sales: Decimal = ZERO
    tags: list = field(default_factory=list)
    code: str = ""
    has_sales: bool = True


def tags_of(user_ids) -> dict[int, list[dict]]:
    result: dict[int, list[dict]] = defaultdict(list)
    rows = (
        MemberTag.objects.filter(member_id__in=list(user_ids), rule__is_active=True)
        .select_related("rule")
        .order_by("rule__name")
    )
    for tag in rows:
        result[tag.member_id].append({"name": tag.rule.name, "color": tag.rule.color})
    return result


def codes_of(user_ids) -> dict[int, str]:
    """Each member's code for links: the chosen (vanity) one if any, else the generated one."""
    result: dict[int, str] = {}
    rows = ReferralCode.objects.filter(user_id__in=list(user_ids)).order_by("user_id", "kind")
    for code in rows:
        if code.user_id not in result or code.kind == ReferralCode.Kind.VANITY:
            result[code.user_id] = code.code
    return result


def _rollup_sums(user_ids: list[int], period: DateRange) -> dict[int, tuple]:
    """{member: (own orders, own sales, downline orders, downline sales)} in the period, from
    the members' own roll-up rows: one query over the (member, day, level) index."""
    rows = (
        DownlineSalesDay.objects.filter(
            member_id__in=user_ids, day__gte=period.start, day__lte=period.end
        )
        .values("member_id")
        .annotate(
            own_n=Sum("orders", filter=Q(level=0)),
            own_v=Sum("sales", filter=Q(level=0)),
            down_n=Sum("orders", filter=Q(level__gte=1)),
            down_v=Sum("sales", filter=Q(level__gte=1)),
        )
        .order_by()
    )
    return {
        r["member_id"]: (r["own_n"] or 0, money(r["own_v"]), r["down_n"] or 0, money(r["down_v"]))
        for r in rows
    }


def _personal_sales(user_ids: list[int], period: DateRange) -> dict[int, tuple[int, Decimal]]:
    rows = (
        DownlineSalesDay.objects.filter(
            member_id__in=user_ids, level=0, day__gte=period.start, day__lte=period.end
        )
        .values("member_id")
        .annotate(n=Sum("orders"), total=Sum("sales"))
        .order_by()
    )
    return {row["member_id"]: (row["n"], money(row["total"])) for row in rows}


def _subtree_totals(nodes: list[ReferralNode]) -> dict[int, dict]:
    """Downline size of each node (all at one depth, sorted by path) in one grouped query over
    the range their subtrees cover."""
    if not nodes:
        return {}
    depth = nodes[0].depth
    assert all(n.depth == depth for n in nodes)
    prefix_len = depth * SEGMENT_WIDTH
    by_prefix = {n.path: n.pk for n in nodes}
    first, last = nodes[0].path, nodes[-1].path
    upper = successor(last)
    t = _tables()
    head = "n.path_head"
    if len(last) <= PATH_HEAD_LENGTH:
        where = [f"{head} >= %s"]
        params: list = [first]
        if upper is not None:
            where.append(f"{head} < %s")
            params.append(upper)
    else:
        where = [f"{head} >= %s", f"{head} <= %s", "n.path >= %s"]
        params = [first[:PATH_HEAD_LENGTH], last[:PATH_HEAD_LENGTH], first]
        if upper is not None:
            where.append("n.path < %s")
            params.append(upper)
    where.append("n.depth > %s")
    params.append(depth)
    where_sql = " AND ".join(where)
    result = {n.pk: {"downline": 0} for n in nodes}
    column = "n.path_head" if prefix_len <= PATH_HEAD_LENGTH else "n.path"
    group = f"SUBSTR({column}, 1, {prefix_len})"
    for prefix, count in _fetch(
        f"SELECT {group}, COUNT(*) FROM {t['node']} n WHERE {where_sql} GROUP BY {group}", params
    ):
        if prefix in by_prefix:
            result[by_prefix[prefix]]["downline"] = count
    return result


@olap
def figures_for_nodes(
    nodes: list[ReferralNode], period: DateRange, *, with_sales: bool = True
) -> list[NodeFigures]:
    """The chart's figures for siblings (or one node): a fixed number of queries per call.

    ``with_sales=False`` leaves out the roll-up query (sales are zero, ``has_sales`` False):
    what is left reads only the tree's index, so a huge downline's structure draws at once and
    its sales follow in a second request.
    """
    if not nodes:
        return []
    nodes = sorted(nodes, key=lambda n: n.path)
    ids = [n.pk for n in nodes]
    users = User.objects.in_bulk(ids)
    directs = dict(
        ReferralNode.objects.filter(sponsor_id__in=ids)
        .values("sponsor_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("sponsor_id", "n")
    )
    sums = _rollup_sums(ids, period) if with_sales else {}
    totals = _subtree_totals(nodes)
    tags = tags_of(ids)
    codes = codes_of(ids)
    result = []
    for node in nodes:
        user = users[node.pk]
        own_orders, own_sales, down_orders, down_sales = sums.get(node.pk, (0, ZERO, 0, ZERO))
        total = totals[node.pk]
        result.append(
            NodeFigures(
                user_id=node.pk,
                name=user.name,
                email=user.email,
                phone=user.phone,
                joined=user.date_joined,
                depth=node.depth,
                sponsor_id=node.sponsor_id,
                direct_referrals=directs.get(node.pk, 0),
                downline=total["downline"],
                personal_orders=own_orders,
                personal_sales=own_sales,
                downline_orders=down_orders,
                downline_sales=down_sales,
                tags=tags.get(node.pk, []),
                code=codes.get(node.pk, ""),
                has_sales=with_sales,
            )
        )
    return result


@olap
def member_figures(
    member, node: ReferralNode | None, period: DateRange, *, with_sales: bool = True
) -> NodeFigures:
    """One member's chart node; a member outside the tree is a node without a downline."""
    if node is not None:
        return figures_for_nodes([node], period, with_sales=with_sales)[0]
    own_orders, own_sales = _personal_sales([member.pk], period).get(member.pk, (0, ZERO))
    return NodeFigures(
        user_id=member.pk,
        name=member.name,
        email=member.email,
        phone=member.phone,
        joined=member.date_joined,
        depth=None,
        sponsor_id=None,
        personal_orders=own_orders,
        personal_sales=own_sales,
        tags=tags_of([member.pk]).get(member.pk, []),
        code=codes_of([member.pk]).get(member.pk, ""),
    )


@dataclass
class ChildrenPage:
    children: list[NodeFigures]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        following = self.offset + len(self.children)
        return following if following < self.total else None


def children_page(
    node: ReferralNode | None,
    period: DateRange,
    *,
    offset: int = 0,
    limit: int = CHILDREN_PAGE,
    with_sales: bool = True,
) -> ChildrenPage:
    """A page of the member's direct referrals with their figures, in path (= id) order."""
    if node is None:
        return ChildrenPage([], 0, offset, limit)
    qs = ReferralNode.objects.filter(sponsor_id=node.pk).order_by("pk")
    total = qs.count()
    page = list(qs[offset : offset + limit]) if offset < total else []
    return ChildrenPage(
        figures_for_nodes(page, period, with_sales=with_sales), total, offset, limit
    )


def sources_page(
    period: DateRange, *, offset: int = 0, limit: int = CHILDREN_PAGE, with_sales: bool = True
) -> ChildrenPage:
    """A page of the organisation's sources (members without a sponsor), for the staff chart."""
    qs = ReferralNode.objects.filter(depth=1).order_by("pk")
    total = qs.count()
    page = list(qs[offset : offset + limit]) if offset < total else []
    return ChildrenPage(
        figures_for_nodes(page, period, with_sales=with_sales), total, offset, limit
    )


def upline_ids_within(node: ReferralNode | None, top: ReferralNode | None) -> list[int]:
    """Ids from ``top`` (included) down to the node's sponsor; everything above the node when
    ``top`` is None. For the chart's breadcrumb."""
    if node is None:
        return []
    ids = path_ids(node.path)[:-1]
    if top is not None:
        ids = ids[top.depth - 1 :]
    return ids


def search_members(query: str, *, within: ReferralNode | None, staff: bool, limit=SEARCH_LIMIT):
    """Members matching a name, a referral code, or (staff only) a phone number or e-mail.

    A member searches their own downline only, and not by phone or e-mail: a hit would tell
    them a number they typed belongs to someone in it.
    """
    query = (query or "").strip()[:60]
    if len(query) < 1:
        return []
    condition = Q(name__icontains=query) | Q(referral_codes__code=query.lower())
    if staff:
        digits = "".join(ch for ch in query if ch.isdigit())
        if len(digits) >= 4:
            condition |= Q(phone__contains=digits)
        if "@" in query or len(query) >= 3:
            condition |= Q(email__icontains=query)
        if query.isdigit() and len(query) <= 12:
            condition |= Q(pk=int(query))
    users = User.objects.filter(condition)
    if not staff:
        if within is None:
            return []
        users = users.filter(pk__in=subtree(within).values("pk"))
    ids = list(users.order_by("pk").values_list("pk", flat=True).distinct()[:limit])
    found = User.objects.in_bulk(ids)
    nodes = ReferralNode.objects.in_bulk(ids)
    codes = codes_of(ids)
    return [(found[i], nodes.get(i), codes.get(i, "")) for i in ids]


# ---------------------------------------------------------------- member metrics, leaderboards

_UPLINE_SQL_PG = """
WITH src(user_id, v1, v2) AS ({inner})
SELECT CAST(SUBSTR(n.path, (k - 1) * {w} + 1, {w}) AS BIGINT) AS upline,
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
SELECT CAST(SUBSTR(n.path, (up.k - 1) * {w} + 1, {w}) AS BIGINT) AS upline,
       SUM(up.v1), SUM(up.v2)
FROM up JOIN {node} n ON n.user_id = up.user_id
GROUP BY 1
"""


def _credit_uplines(inner_sql: str, params: list) -> dict[int, tuple]:
    """Sum (v1, v2) of every member of ``inner_sql`` (user_id, v1, v2) into each of their
    uplines: {upline id: (v1 total, v2 total)}."""
    template = _UPLINE_SQL_PG if connection.vendor == "postgresql" else _UPLINE_SQL_PORTABLE
    sql = template.format(inner=inner_sql, node=_tables()["node"], w=SEGMENT_WIDTH)
    return {row[0]: (row[1], row[2]) for row in _fetch(sql, params)}


def month_segments(period: DateRange) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """Split a range into its whole calendar months (first and last month's first days, or
    None) and the day ranges at its edges: SalesMonth answers the first, DownlineSalesDay
    the others."""
    first = period.start if period.start.day == 1 else _next_month(period.start)
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


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


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
    t = _tables()
    sql = f"""
        SELECT u.id, 1, 1 FROM {t["user"]} u
        WHERE u.date_joined >= %s AND u.date_joined < %s
    """
    return sql, [period.start_at, period.end_before]


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
    return {uid: v for uid, v in values.items() if v > 0}


@dataclass
class LeaderRow:
    rank: int
    user_id: int
    name: str
    email: str
    value: Decimal
    extra: int = 0  # orders behind a sales figure
    tags: list = field(default_factory=list)


def ranked(values: dict[int, Decimal]) -> list[tuple[int, Decimal]]:
    """Highest first; ties in id order so that a ranking is the same on every run."""
    return sorted(values.items(), key=lambda item: (-item[1], item[0]))


@olap
def leaderboard(metric: str, period: DateRange, limit: int = LEADERBOARD_LIMIT) -> list[LeaderRow]:
    extra: dict[int, int] = {}
    if metric in (Metric.DOWNLINE_SALES, Metric.PERSONAL_SALES):
        best = _rollup_totals(period, downline=metric == Metric.DOWNLINE_SALES, limit=limit)
        values = {uid: v for uid, _n, v in best}
        if metric == Metric.DOWNLINE_SALES:  # the pages show the orders behind downline sales
            extra = {uid: n for uid, n, _v in best}
    else:
        values = metric_values(metric, period)
    top = ranked(values)[:limit]
    ids = [uid for uid, _v in top]
    users = User.objects.in_bulk(ids)
    tags = tags_of(ids)
    rows = []
    for rank, (uid, value) in enumerate(top, start=1):
        user = users.get(uid)
        rows.append(
            LeaderRow(
                rank=rank,
                user_id=uid,
                name=user.name if user else "",
                email=user.email if user else "",
                value=value,
                extra=extra.get(uid, 0),
                tags=tags.get(uid, []),
            )
        )
    return rows


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


# ---------------------------------------------------------------- downline list (exports)


@dataclass
class DownlineRow:
    user_id: int
    level: int
    name: str
    email: str
    phone: str
    joined: datetime
    sponsor_id: int | None
    direct_referrals: int
    orders: int
    sales: Decimal
    tags: list


DOWNLINE_CHUNK = 2000


def _downline_rows(nodes: list[ReferralNode], base_depth: int, period: DateRange):
    ids = [n.pk for n in nodes]
    users = User.objects.in_bulk(ids)
    directs = dict(
        ReferralNode.objects.filter(sponsor_id__in=ids)
        .values("sponsor_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("sponsor_id", "n")
    )
    personal = _personal_sales(ids, period)
    tags = tags_of(ids)
    for n in nodes:
        user = users[n.pk]
        orders, sales = personal.get(n.pk, (0, ZERO))
        yield DownlineRow(
            user_id=n.pk,
            level=n.depth - base_depth,
            name=user.name,
            email=user.email,
            phone=user.phone,
            joined=user.date_joined,
            sponsor_id=n.sponsor_id,
            direct_referrals=directs.get(n.pk, 0),
            orders=orders,
            sales=sales,
            tags=tags.get(n.pk, []),
        )


def iter_downline(node: ReferralNode | None, period: DateRange, *, chunk: int | None = None):
    """Every member below ``node`` in tree order, with personal figures for the period.

    Keyset pagination over the path keeps memory flat for any size of downline: exports stream
    this without building the table first.
    """
    if node is None:
        return
    chunk = chunk or DOWNLINE_CHUNK
    base = subtree(node).order_by("path").only("pk", "depth", "path", "sponsor_id")
    last_path = None
    while True:
        qs = base if last_path is None else base.filter(path__gt=last_path)
        nodes = list(qs[:chunk])
        if not nodes:
            return
        yield from _downline_rows(nodes, node.depth, period)
        if len(nodes) < chunk:
            return
        last_path = nodes[-1].path


def downline_page(node: ReferralNode | None, period: DateRange, *, page: int, size: int = 50):
    """One page of the downline in tree order, and the downline's size."""
    if node is None:
        return [], 0
    total = subtree(node).count()
    offset = (page - 1) * size
    if offset >= total:
        return [], total
    nodes = list(
        subtree(node)
        .order_by("path")
        .only("pk", "depth", "path", "sponsor_id")[offset : offset + size]
    )
    return list(_downline_rows(nodes, node.depth, period)), total


# ---------------------------------------------------------------- campaigns


@dataclass
class FunnelRow:
    """Clicks and what followed. ``signups`` and ``orders`` count everything credited to the
    row; the rates are the share of its clicks that led to at least one sign-up
    (``signup_clicks``) or one sale (``order_clicks``). A visitor who clicks once and orders
    twice, or an order credited without a recorded click, adds orders but no converted click,
    so a rate never passes 100%."""

    clicks: int = 0
    signups: int = 0
    orders: int = 0
    revenue: Decimal = ZERO
    commissions: Decimal = ZERO
    signup_clicks: int = 0
    order_clicks: int = 0

    def add(self, other: "FunnelRow") -> None:
        self.clicks += other.clicks
        self.signups += other.signups
        self.orders += other.orders
        self.revenue += other.revenue
        self.commissions += other.commissions
        self.signup_clicks += other.signup_clicks
        self.order_clicks += other.order_clicks

    @property
    def signup_rate(self) -> Decimal | None:
        return _rate(self.signup_clicks, self.clicks)

    @property
    def order_rate(self) -> Decimal | None:
        return _rate(self.order_clicks, self.clicks)

    @property
    def revenue_per_click(self) -> Decimal | None:
        return round_money(self.revenue / self.clicks, places=2) if self.clicks else None


def _rate(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal; None when there is nothing to divide by."""
    if not whole:
        return None
    return round_money(Decimal(part) * 100 / Decimal(whole), places=1)


@dataclass
class PromoterRow(FunnelRow):
    user_id: int | None = None
    name: str = ""
    email: str = ""


@dataclass
class SeriesPoint:
    at: datetime
    clicks: int = 0
    signups: int = 0
    orders: int = 0
    revenue: Decimal = ZERO


@dataclass
class CampaignReport:
    campaign: Campaign
    total: FunnelRow
    promoters: list[PromoterRow]
    series: list[SeriesPoint]
    bucket: str  # minute, hour or day
    commissions_total: Decimal = ZERO


MAX_BUCKETS = 24 * 60


def campaign_bucket(campaign: Campaign) -> str:
    span = campaign.ends_at - campaign.starts_at
    if span <= timedelta(hours=12):
        return "minute"
    if span <= timedelta(days=31):
        return "hour"
    return "day"


def _trunc(bucket: str, field_name: str):
    tz = timezone.get_current_timezone()
    cls = {"minute": TruncMinute, "hour": TruncHour, "day": TruncDay}[bucket]
    return cls(field_name, tzinfo=tz)


def _step(bucket: str) -> timedelta:
    return {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}[
        bucket
    ]


def _floor(moment: datetime, bucket: str) -> datetime:
    local = timezone.localtime(moment)
    if bucket == "minute":
        local = local.replace(second=0, microsecond=0)
    elif bucket == "hour":
        local = local.replace(minute=0, second=0, microsecond=0)
    else:
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local


@olap
def campaign_report(campaign: Campaign) -> CampaignReport:
    """Clicks, sign-ups, orders, revenue and commissions of a campaign, by promoter, and their
    evolution (per minute for a live stream) between its start and end."""
    promoters: dict[int | None, PromoterRow] = {}

    def row_for(uid):
        if uid not in promoters:
            promoters[uid] = PromoterRow(user_id=uid)
        return promoters[uid]

    clicks = Click.objects.filter(campaign=campaign)
    for row in clicks.values("referrer_id").annotate(n=Count("pk")).order_by():
        row_for(row["referrer_id"]).clicks = row["n"]
    signups = ReferralNode.objects.filter(signup_campaign=campaign)
    for row in signups.values("sponsor_id").annotate(n=Count("pk")).order_by():
        row_for(row["sponsor_id"]).signups = row["n"]
    orders = OrderAttribution.objects.filter(campaign=campaign, order__status__in=SALE_STATUSES)
    for row in (
        orders.values("referrer_id")
        .annotate(n=Count("pk"), v=Sum(F("order__goods_total") - F("order__discount_total")))
        .order_by()
    ):
        target = row_for(row["referrer_id"])
        target.orders, target.revenue = row["n"], money(row["v"])
    converted = ReferralNode.objects.filter(signup_click__campaign=campaign)
    for row in (
        converted.values("signup_click__referrer_id")
        .annotate(n=Count("signup_click", distinct=True))
        .order_by()
    ):
        row_for(row["signup_click__referrer_id"]).signup_clicks = row["n"]
    ordered_after_click = OrderAttribution.objects.filter(
        click__campaign=campaign, order__status__in=SALE_STATUSES
    )
    for row in (
        ordered_after_click.values("click__referrer_id")
        .annotate(n=Count("click", distinct=True))
        .order_by()
    ):
        row_for(row["click__referrer_id"]).order_clicks = row["n"]
    campaign_commissions = earned_commissions().filter(order__attribution__campaign=campaign)
    for row in campaign_commissions.values("payee_id").annotate(v=Sum("amount")).order_by():
        if row["payee_id"] in promoters:
            promoters[row["payee_id"]].commissions = money(row["v"])
    commissions_total = money(campaign_commissions.aggregate(v=Sum("amount"))["v"])
    users = User.objects.in_bulk([uid for uid in promoters if uid is not None])
    for uid, row in promoters.items():
        if uid in users:
            row.name, row.email = users[uid].name, users[uid].email
    total = FunnelRow()
    for row in promoters.values():
        total.add(row)
    total.commissions = commissions_total
    ordered = sorted(
        promoters.values(), key=lambda r: (-r.revenue, -r.orders, -r.signups, -r.clicks)
    )

    bucket = campaign_bucket(campaign)
    start, end = campaign.starts_at, campaign.ends_at
    points: dict[datetime, SeriesPoint] = {}
    moment = _floor(start, bucket)
    step = _step(bucket)
    while moment < end and len(points) < MAX_BUCKETS:
        points[moment] = SeriesPoint(moment)
        moment += step

    def bucket_rows(qs, time_field, **aggregates):
        return (
            qs.filter(**{f"{time_field}__gte": start, f"{time_field}__lt": end})
            .annotate(at=_trunc(bucket, time_field))
            .values("at")
            .annotate(**aggregates)
            .order_by()
        )

    def point(at):
        return points.get(_floor(at, bucket))

    for row in bucket_rows(clicks, "created_at", n=Count("pk")):
        if (p := point(row["at"])) is not None:
            p.clicks += row["n"]
    for row in bucket_rows(signups, "user__date_joined", n=Count("pk")):
        if (p := point(row["at"])) is not None:
            p.signups += row["n"]
    for row in bucket_rows(
        orders,
        "order__placed_at",
        n=Count("pk"),
        v=Sum(F("order__goods_total") - F("order__discount_total")),
    ):
        if (p := point(row["at"])) is not None:
            p.orders += row["n"]
            p.revenue += money(row["v"])
    return CampaignReport(
        campaign=campaign,
        total=total,
        promoters=ordered,
        series=list(points.values()),
        bucket=bucket,
        commissions_total=commissions_total,
    )


def campaigns_with_totals(limit: int = 100):
    campaigns = list(Campaign.objects.select_related("owner").order_by("-starts_at", "-id")[:limit])
    ids = [c.pk for c in campaigns]
    clicks = dict(
        Click.objects.filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("campaign_id", "n")
    )
    orders = {
        row["campaign_id"]: (row["n"], money(row["v"]))
        for row in OrderAttribution.objects.filter(
            campaign_id__in=ids, order__status__in=SALE_STATUSES
        )
        .values("campaign_id")
        .annotate(n=Count("pk"), v=Sum(F("order__goods_total") - F("order__discount_total")))
        .order_by()
    }
    signups = dict(
        ReferralNode.objects.filter(signup_campaign_id__in=ids)
        .values("signup_campaign_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("signup_campaign_id", "n")
    )
    for c in campaigns:
        c.report_clicks = clicks.get(c.pk, 0)
        c.report_signups = signups.get(c.pk, 0)
        c.report_orders, c.report_revenue = orders.get(c.pk, (0, ZERO))
    return campaigns


# ---------------------------------------------------------------- UTM


UTM_DIMENSIONS = {
    "source": ("utm_source",),
    "source_medium": ("utm_source", "utm_medium"),
    "all": ("utm_source", "utm_medium", "utm_campaign"),
}


@dataclass
class UtmRow(FunnelRow):
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""


@olap
def utm_report(period: DateRange, by: str = "all") -> tuple[list[UtmRow], UtmRow]:
    """Clicks in the period by UTM tags, and the sign-ups and orders those clicks led to (at any
    time since: the clicks are the cohort, so rates never exceed 100%)."""
    fields = UTM_DIMENSIONS[by]
    clicks = Click.objects.filter(created_at__gte=period.start_at, created_at__lt=period.end_before)
    rows: dict[tuple, UtmRow] = {}

    def row_for(values: dict, prefix: str = "") -> UtmRow:
        key = tuple(values[prefix + f] or "" for f in fields)
        if key not in rows:
            rows[key] = UtmRow(**dict(zip(fields, key, strict=True)))
        return rows[key]

    for row in clicks.values(*fields).annotate(n=Count("pk")).order_by():
        row_for(row).clicks = row["n"]
    signup_fields = [f"signup_click__{f}" for f in fields]
    signups = ReferralNode.objects.filter(
        signup_click__created_at__gte=period.start_at,
        signup_click__created_at__lt=period.end_before,
    )
    for row in (
        signups.values(*signup_fields)
        .annotate(n=Count("pk"), c=Count("signup_click", distinct=True))
        .order_by()
    ):
        target = row_for(row, "signup_click__")
        target.signups, target.signup_clicks = row["n"], row["c"]
    order_fields = [f"click__{f}" for f in fields]
    orders = OrderAttribution.objects.filter(
        click__created_at__gte=period.start_at,
        click__created_at__lt=period.end_before,
        order__status__in=SALE_STATUSES,
    )
    for row in (
        orders.values(*order_fields)
        .annotate(
            n=Count("pk"),
            c=Count("click", distinct=True),
            v=Sum(F("order__goods_total") - F("order__discount_total")),
        )
        .order_by()
    ):
        target = row_for(row, "click__")
        target.orders, target.order_clicks, target.revenue = row["n"], row["c"], money(row["v"])
    ordered = sorted(rows.values(), key=lambda r: (-r.revenue, -r.clicks, r.utm_source))
    total = UtmRow(utm_source="")
    for row in ordered:
        total.add(row)
    return ordered, total


# ---------------------------------------------------------------- staff dashboard


@dataclass
class DashboardColumn:
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
        sales = sales_orders(period).aggregate(n=Count("pk"), v=Sum(sales_amount()))
        columns.append(
            DashboardColumn(
                key=key,
                period=period,
                orders=sales["n"],
                revenue=money(sales["v"]),
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


def active_rules():
    return TagRule.objects.filter(is_active=True).order_by("name")


def rules_with_counts():
    return TagRule.objects.annotate(member_count=Count("tags")).order_by("name")


def rule_members(rule: TagRule, limit: int = 200):
    return MemberTag.objects.filter(rule=rule).select_related("member").order_by("-value")[:limit]
