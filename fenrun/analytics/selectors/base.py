"""What every report family shares: the money and period rules, the report transaction, raw
SQL helpers, and the small look-ups (tags, codes, own sales) several of them show."""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from functools import wraps

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Sum

from fenrun.analytics.models import DownlineSalesDay, MemberTag, SalesMonth
from fenrun.analytics.periods import DateRange
from fenrun.commissions.models import Commission
from fenrun.core.money import round_money
from fenrun.orders.models import Order
from fenrun.referrals.models import ReferralCode, ReferralNode
from fenrun.referrals.tree import subtree_lookup

User = get_user_model()

MAX_LEVEL = 20
ZERO = Decimal("0")


def money(value) -> Decimal:
    """A SQL sum as Decimal with cents (SQLite hands back floats for raw SUMs)."""
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return round_money(value, places=2)


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


def _bucket(relative_level: int) -> int | None:
    return relative_level if relative_level <= MAX_LEVEL else None


def direct_referral_counts(user_ids) -> dict[int, int]:
    """{member: number of direct referrals}; members without any are left out."""
    return dict(
        ReferralNode.objects.filter(sponsor_id__in=list(user_ids))
        .values("sponsor_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("sponsor_id", "n")
    )


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
