"""Sales roll-ups: kept current by order and tree events, rebuilt from the orders on demand.

``DownlineSalesDay`` holds, per member, day and relative level (0 = own orders, 1..20, 21 =
deeper), the orders and sales of the buyers at that level; ``SalesMonth`` the member's own and
downline totals per calendar month. A sale is an order in status paid, shipped or completed,
worth ``goods_total - discount_total``, dated by the local day of ``placed_at``; guest orders
(no member) count for nobody.

- An order entering or leaving the sale statuses adds or subtracts itself for the buyer and
  every upline on the buyer's current path (``apply_order``): one upsert per table, inside the
  status change's transaction, so the figure moves with the status or not at all.
- A subtree moved in the tree carries its sales with it (``move_subtree``): the moved member's
  own rows already are the subtree's sales by relative level, so they are taken away from the
  old uplines and given to the new ones, shifted by each upline's distance.
- ``rebuild`` recomputes both tables from the orders and the current tree; ``check`` compares
  what is stored with what a rebuild would write.

An order's amounts never change after it is placed (there are no partial refunds: a refund
moves the whole order out of the sale statuses), so the status is the only thing to follow.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from fenrun.analytics.models import DEEPER_LEVEL, DownlineSalesDay, SalesMonth
from fenrun.orders.models import Order
from fenrun.orders.status import SALE_STATUSES
from fenrun.referrals.models import ReferralNode
from fenrun.referrals.tree import upline_ids
from fenrun.referrals.tree_queries import ancestor_id_sql

MAX_LEVEL = DEEPER_LEVEL - 1
# Rows per upsert statement: a 5,000-level chain would otherwise pass SQLite's limit of
# 32,766 parameters in one statement.
CHUNK = 1000


def in_sale(status: str) -> bool:
    return status in SALE_STATUSES


def bucket(level: int) -> int:
    return level if level <= MAX_LEVEL else DEEPER_LEVEL


def local_day(moment: datetime) -> date:
    """The report day of a moment: its date in the shop's time zone (settings.TIME_ZONE)."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _day_table() -> str:
    return _q(DownlineSalesDay._meta.db_table)


def _month_table() -> str:
    return _q(SalesMonth._meta.db_table)


def _node_table() -> str:
    return _q(ReferralNode._meta.db_table)


def _is_pg() -> bool:
    return connection.vendor == "postgresql"


def _chunks(rows: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _upsert(table: str, keys: list[str], values: list[str], rows: list[tuple]) -> None:
    """Add ``rows`` to the table: insert new keys, add the values to existing ones.

    The rows arrive sorted by key and are written in that order, so concurrent transactions
    touching overlapping keys take their row locks in the same order and cannot deadlock.
    """
    if not rows:
        return
    columns = ", ".join(keys + values)
    one = "(" + ", ".join(["%s"] * (len(keys) + len(values))) + ")"
    sets = ", ".join(f"{v} = {table}.{v} + excluded.{v}" for v in values)
    conflict = ", ".join(keys)
    for part in _chunks(rows):
        sql = (
            f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(part))} "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {sets}"
        )
        params = [p for row in part for p in row]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _drop_empty(member_ids: list[int], *, day: date | None = None) -> None:
    """Delete rows that went back to nothing, so the tables hold exactly what a rebuild
    writes (a rebuild has no rows for members and days without sales)."""
    ids = sorted(set(member_ids))
    for part in _chunks(ids):
        marks = ", ".join(["%s"] * len(part))
        day_sql = ""
        params: list = list(part)
        if day is not None:
            day_sql = " AND day = %s"
            params.append(connection.ops.adapt_datefield_value(day))
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {_day_table()} WHERE member_id IN ({marks}){day_sql}"
                " AND orders = 0 AND sales = 0",
                params,
            )
            month_params: list = list(part)
            month_sql = ""
            if day is not None:
                month_sql = " AND month = %s"
                month_params.append(connection.ops.adapt_datefield_value(day.replace(day=1)))
            cursor.execute(
                f"DELETE FROM {_month_table()} WHERE member_id IN ({marks}){month_sql}"
                " AND own_orders = 0 AND own_sales = 0"
                " AND downline_orders = 0 AND downline_sales = 0",
                month_params,
            )


def _buyer_path(user_id: int) -> str | None:
    """The buyer's current path, read under a share lock on PostgreSQL.

    A re-assignment rewrites the moving subtree's rows before it moves their sales; the lock
    makes a payment either wait for that move (and then read the new path) or finish first
    (and then be part of the sales the move carries). Payments do not block each other.
    """
    lock = " FOR SHARE" if _is_pg() else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT path FROM {_node_table()} WHERE user_id = %s{lock}", [user_id])
        row = cursor.fetchone()
    return row[0] if row else None


# ---------------------------------------------------------------- incremental maintenance


def apply_order(order_id: int, sign: int) -> None:
    """Add (sign=1) or take away (sign=-1) one order's sale for its buyer and uplines."""
    row = (
        Order.objects.filter(pk=order_id)
        .values_list("user_id", "placed_at", "goods_total", "discount_total")
        .first()
    )
    if row is None or row[0] is None:
        return
    user_id, placed_at, goods, discount = row
    amount = (goods - discount) * sign
    day = local_day(placed_at)
    month = day.replace(day=1)
    path = _buyer_path(user_id)
    uplines = upline_ids(path) if path else []
    depth = len(uplines) + 1
    adapt_day = connection.ops.adapt_datefield_value
    day_rows = [(user_id, day, 0, sign, amount)]
    month_rows = [(user_id, month, sign, amount, 0, 0)]
    for index, upline in enumerate(uplines):
        day_rows.append((upline, day, bucket(depth - (index + 1)), sign, amount))
        month_rows.append((upline, month, 0, 0, sign, amount))
    day_rows.sort()
    month_rows.sort()
    _upsert(
        _day_table(),
        ["member_id", "day", "level"],
        ["orders", "sales"],
        [(m, adapt_day(d), lv, n, s) for m, d, lv, n, s in day_rows],
    )
    _upsert(
        _month_table(),
        ["member_id", "month"],
        ["own_orders", "own_sales", "downline_orders", "downline_sales"],
        [(m, adapt_day(mo), *rest) for m, mo, *rest in month_rows],
    )
    if sign < 0:
        _drop_empty([user_id, *uplines], day=day)


def order_status_changed(order_id: int, from_status: str, to_status: str) -> None:
    was, now = in_sale(from_status), in_sale(to_status)
    if was != now:
        apply_order(order_id, 1 if now else -1)


def move_subtree(
    member_id: int, old_path: str, old_depth: int, new_path: str, new_depth: int
) -> None:
    """Carry the moved subtree's sales from the old uplines to the new ones.

    The member's own rows (level L = buyers L levels below them, L = 21 deeper than 20) are
    the whole subtree's sales; an upline k levels above the member saw them at level L + k.
    A few set-based statements, whatever the number of orders below.
    """
    if old_path == new_path:
        return
    old_up = upline_ids(old_path)
    new_up = upline_ids(new_path)
    # (upline, levels between upline and member, sign); upline i of a path is at depth i + 1.
    shifts = [(u, old_depth - (i + 1), -1) for i, u in enumerate(old_up)]
    shifts += [(u, new_depth - (i + 1), 1) for i, u in enumerate(new_up)]
    if not shifts:
        return
    day_t, month_t = _day_table(), _month_table()
    for part in _chunks(shifts):
        values = ", ".join(["(%s, %s, %s)"] * len(part))
        params = [p for shift in part for p in shift]
        level = "d.level + s.shift"
        with connection.cursor() as cursor:
            # WHERE before ON CONFLICT also settles SQLite's INSERT ... SELECT parsing ambiguity.
            cursor.execute(
                f"""
                WITH s(upline, shift, sign) AS (VALUES {values})
                INSERT INTO {day_t} (member_id, day, level, orders, sales)
                SELECT s.upline, d.day,
                       CASE WHEN {level} > {MAX_LEVEL} THEN {DEEPER_LEVEL} ELSE {level} END,
                       SUM(s.sign * d.orders), SUM(s.sign * d.sales)
                FROM {day_t} d CROSS JOIN s
                WHERE d.member_id = %s
                GROUP BY 1, 2, 3
                ORDER BY 1, 2, 3
                ON CONFLICT (member_id, day, level) DO UPDATE SET
                    orders = {day_t}.orders + excluded.orders,
                    sales = {day_t}.sales + excluded.sales
                """,
                [*params, member_id],
            )
            month_values = ", ".join(["(%s, %s)"] * len(part))
            month_params = [p for u, _k, sign in part for p in (u, sign)]
            cursor.execute(
                f"""
                WITH s(upline, sign) AS (VALUES {month_values})
                INSERT INTO {month_t} (member_id, month, own_orders, own_sales,
                                       downline_orders, downline_sales)
                SELECT s.upline, m.month, 0, 0,
                       SUM(s.sign * (m.own_orders + m.downline_orders)),
                       SUM(s.sign * (m.own_sales + m.downline_sales))
                FROM {month_t} m CROSS JOIN s
                WHERE m.member_id = %s
                GROUP BY 1, 2
                ORDER BY 1, 2
                ON CONFLICT (member_id, month) DO UPDATE SET
                    downline_orders = {month_t}.downline_orders + excluded.downline_orders,
                    downline_sales = {month_t}.downline_sales + excluded.downline_sales
                """,
                [*month_params, member_id],
            )
    _drop_empty(old_up)


# ---------------------------------------------------------------- rebuild and check


def _sales_by_buyer_and_day_sql() -> tuple[str, list]:
    """(buyer, local day, orders, sales) of every member's sale orders, as SQL."""
    qs = (
        Order.objects.filter(status__in=SALE_STATUSES, user__isnull=False)
        .annotate(day=TruncDate("placed_at", tzinfo=timezone.get_default_timezone()))
        .values("user_id", "day")
        .annotate(n=Count("pk"), s=Sum(F("goods_total") - F("discount_total")))
        .values_list("user_id", "day", "n", "s")
        .order_by()
    )
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def _expected_days_sql() -> tuple[str, list]:
    """SELECT member_id, day, level, orders, sales: what ``DownlineSalesDay`` should hold.

    Each buyer's day total is credited to the buyer (level 0) and to every upline read out of
    the buyer's path: one row per (buyer, day, upline), never a product of members.
    """
    inner, params = _sales_by_buyer_and_day_sql()
    node = _node_table()

    def level(expr: str) -> str:
        return f"CASE WHEN {expr} > {MAX_LEVEL} THEN {DEEPER_LEVEL} ELSE {expr} END"

    if _is_pg():
        ctes = f"src(user_id, day, n, s) AS ({inner})"
        uplines = f"""
            SELECT {ancestor_id_sql("nd", "k")}, src.day,
                   {level("nd.depth - k")}, src.n, src.s
            FROM src JOIN {node} nd ON nd.user_id = src.user_id
            CROSS JOIN LATERAL generate_series(1, nd.depth - 1) AS k
        """
    else:
        # No generate_series on SQLite: a recursive CTE walks up from each buyer instead.
        ctes = f"""src(user_id, day, n, s) AS ({inner}),
            up(user_id, k, day, n, s) AS (
                SELECT src.user_id, nd.depth - 1, src.day, src.n, src.s
                FROM src JOIN {node} nd ON nd.user_id = src.user_id
                WHERE nd.depth > 1
                UNION ALL
                SELECT user_id, k - 1, day, n, s FROM up WHERE k > 1
            )"""
        uplines = f"""
            SELECT {ancestor_id_sql("nd", "up.k")}, up.day,
                   {level("nd.depth - up.k")}, up.n, up.s
            FROM up JOIN {node} nd ON nd.user_id = up.user_id
        """
    sql = f"""
        WITH RECURSIVE {ctes}
        SELECT member_id, day, level, SUM(n) AS orders, SUM(s) AS sales FROM (
            SELECT user_id AS member_id, day, 0 AS level, n, s FROM src
            UNION ALL
            {uplines}
        ) x
        GROUP BY member_id, day, level
    """
    return sql, params


def _month_of(column: str) -> str:
    if _is_pg():
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def _months_from_days_sql(source: str) -> str:
    month = _month_of("day")
    return f"""
        SELECT member_id, {month} AS month,
               SUM(CASE WHEN level = 0 THEN orders ELSE 0 END) AS own_orders,
               SUM(CASE WHEN level = 0 THEN sales ELSE 0 END) AS own_sales,
               SUM(CASE WHEN level > 0 THEN orders ELSE 0 END) AS downline_orders,
               SUM(CASE WHEN level > 0 THEN sales ELSE 0 END) AS downline_sales
        FROM {source}
        GROUP BY member_id, {month}
    """


DAY_COLUMNS = "member_id, day, level, orders, sales"
MONTH_COLUMNS = "member_id, month, own_orders, own_sales, downline_orders, downline_sales"


def _report_settings(cursor) -> None:
    if _is_pg():
        # A rebuild aggregates millions of (buyer, upline) rows: hash them in memory, and skip
        # the JIT, whose compile time the planner's guess at generate_series inflates.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '256MB'")


@dataclass
class RebuildResult:
    day_rows: int
    month_rows: int


@transaction.atomic
def rebuild() -> RebuildResult:
    """Recompute both roll-ups from the orders and the current tree, in one transaction.

    On PostgreSQL the tables are locked against writes (readers go on seeing the old figures
    until the commit): an order paid meanwhile waits, then adds itself to the rebuilt rows.
    """
    day_t, month_t = _day_table(), _month_table()
    sql, params = _expected_days_sql()
    with connection.cursor() as cursor:
        _report_settings(cursor)
        if _is_pg():
            cursor.execute(f"LOCK TABLE {day_t}, {month_t} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {month_t}")
        cursor.execute(f"DELETE FROM {day_t}")
        cursor.execute(f"INSERT INTO {day_t} ({DAY_COLUMNS}) SELECT * FROM ({sql}) e", params)
        day_rows = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {month_t} ({MONTH_COLUMNS}) "
            f"SELECT * FROM ({_months_from_days_sql(day_t)}) e"
        )
        month_rows = cursor.rowcount
        if _is_pg():
            cursor.execute(f"ANALYZE {day_t}")
            cursor.execute(f"ANALYZE {month_t}")
    return RebuildResult(day_rows=day_rows, month_rows=month_rows)


@dataclass
class CheckResult:
    """Rows a rebuild would write that are missing or different (``missing``) and stored rows
    a rebuild would not write (``extra``), per table; at most ``limit`` of each listed."""

    day_missing: list[tuple] = field(default_factory=list)
    day_extra: list[tuple] = field(default_factory=list)
    month_missing: list[tuple] = field(default_factory=list)
    month_extra: list[tuple] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(self.counts.values())


def _difference(a: str, b: str, columns: str, money: list[str], limit: int):
    """Rows of ``a`` not in ``b`` (money compared in cents): (count, first ``limit`` rows)."""
    cols = [c.strip() for c in columns.split(",")]
    shown = ", ".join(f"ROUND({c}, 2)" if c in money else c for c in cols)
    sql = f"SELECT {shown} FROM {a} EXCEPT SELECT {shown} FROM {b}"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) x")
        count = cursor.fetchone()[0]
        cursor.execute(f"SELECT * FROM ({sql}) x ORDER BY 1, 2 LIMIT {int(limit)}")
        return count, cursor.fetchall()


def check(limit: int = 20) -> CheckResult:
    """Compare the stored roll-ups with a from-scratch computation; changes nothing."""
    result = CheckResult()
    day_t, month_t = _day_table(), _month_table()
    expected_day, expected_month = _q("analytics_check_day"), _q("analytics_check_month")
    sql, params = _expected_days_sql()
    with transaction.atomic():
        with connection.cursor() as cursor:
            _report_settings(cursor)
            cursor.execute(f"DROP TABLE IF EXISTS {expected_day}")
            cursor.execute(f"DROP TABLE IF EXISTS {expected_month}")
            cursor.execute(f"CREATE TEMPORARY TABLE {expected_day} AS {sql}", params)
            cursor.execute(
                f"CREATE TEMPORARY TABLE {expected_month} AS {_months_from_days_sql(expected_day)}"
            )
        try:
            for name, a, b in (
                ("day_missing", expected_day, day_t),
                ("day_extra", day_t, expected_day),
            ):
                count, rows = _difference(a, b, DAY_COLUMNS, ["sales"], limit)
                result.counts[name] = count
                setattr(result, name, rows)
            money = ["own_sales", "downline_sales"]
            for name, a, b in (
                ("month_missing", expected_month, month_t),
                ("month_extra", month_t, expected_month),
            ):
                count, rows = _difference(a, b, MONTH_COLUMNS, money, limit)
                result.counts[name] = count
                setattr(result, name, rows)
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {expected_day}")
                cursor.execute(f"DROP TABLE IF EXISTS {expected_month}")
    return result
