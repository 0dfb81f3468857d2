"""Every figure against an independent brute-force computation on generated trees.

The brute force walks plain Python dicts built from the generated parent pointers; it shares
nothing with the SQL (no paths, no depths), so a wrong range, an off-by-one level or a
mis-bucketed "deeper" row shows up as a difference.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fenrun.analytics import selectors
from fenrun.analytics.models import Metric
from fenrun.analytics.periods import DateRange, day_start
from fenrun.analytics.tests.builders import build_tree, make_commission, make_order
from fenrun.core import testing
from fenrun.referrals.models import ReferralNode

BASE = date(2025, 3, 1)
PERIOD = DateRange(BASE, BASE + timedelta(days=9))
# Two edge days in February and the whole of March: month rows plus day rows.
ACROSS_MONTHS = DateRange(BASE - timedelta(days=2), date(2025, 3, 31))
SALE = {"paid", "shipped", "completed"}
STATUSES = ["pending", "paid", "shipped", "completed", "cancelled", "refunded"]
COMMISSION_STATUSES = ["pending", "available", "reversed"]


@st.composite
def worlds(draw, max_members=24):
    n = draw(st.integers(1, max_members))
    parents = [None]
    for i in range(1, n):
        parents.append(
            draw(
                st.one_of(
                    st.just(i - 1),  # chains reach "deeper than 20"
                    st.integers(0, i - 1),
                    st.none(),
                )
            )
        )
    joined = [draw(st.integers(-3, 12)) for _ in range(n)]
    orders = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(1, 5000),
                st.integers(0, 3),
                st.sampled_from(STATUSES),
                st.integers(-2, 11),
                st.integers(0, 23),
            ),
            max_size=20,
        )
    )
    commissions = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, 25),
                st.integers(1, 900),
                st.sampled_from(COMMISSION_STATUSES),
                st.integers(-2, 11),
            ),
            max_size=12,
        )
    )
    return parents, joined, orders, commissions


def when(day_offset: int, hour: int = 12):
    return day_start(BASE + timedelta(days=day_offset)) + timedelta(hours=hour)


def in_period(moment, period: DateRange = PERIOD) -> bool:
    return period.start_at <= moment < period.end_before


class World:
    """The generated data, in the database and as plain Python."""

    def __init__(self, parents, joined, orders, commissions):
        self.parents = parents
        self.joined_at = [when(d, 8) for d in joined]
        self.users = build_tree(parents, joined=self.joined_at)
        self.ids = [u.pk for u in self.users]
        self.children = defaultdict(list)
        for i, p in enumerate(parents):
            if p is not None:
                self.children[p].append(i)
        self.orders = []
        for member, goods, discount_tenths, status, day, hour in orders:
            goods = Decimal(goods)
            discount = (goods * discount_tenths / 10).quantize(Decimal("1"))
            placed = when(day, hour)
            make_order(
                self.users[member], goods=goods, discount=discount, status=status, placed_at=placed
            )
            self.orders.append((member, goods - discount, status, placed))
        self.commissions = []
        order_for_commissions = make_order(self.users[0], goods=Decimal("100"), status="cancelled")
        for payee, level, amount, status, day in commissions:
            created = when(day)
            make_commission(
                order_for_commissions,
                self.users[payee],
                level=level,
                amount=Decimal(amount),
                status=status,
                created_at=created,
            )
            self.commissions.append((payee, level, Decimal(amount), status, created))

    def below(self, i):
        """{descendant index: levels below i}"""
        result, frontier, level = {}, [i], 0
        while frontier:
            level += 1
            frontier = [c for f in frontier for c in self.children[f]]
            for c in frontier:
                result[c] = level
        return result

    def uplines(self, i):
        chain, p = [], self.parents[i]
        while p is not None:
            chain.append(p)
            p = self.parents[p]
        return chain

    def sales_of(self, members, period: DateRange = PERIOD):
        rows = [
            (m, v)
            for m, v, s, t in self.orders
            if m in members and s in SALE and in_period(t, period)
        ]
        return len(rows), sum((v for _m, v in rows), Decimal(0))


def bucket(level):
    return level if level <= 20 else None


def check_levels(world: World, i: int, period: DateRange = PERIOD):
    node = ReferralNode.objects.get(pk=world.ids[i])
    report = selectors.level_figures(world.ids[i], node, period)
    expected = defaultdict(lambda: [0, 0, 0, Decimal(0), Decimal(0)])
    for member, level in world.below(i).items():
        row = expected[bucket(level)]
        row[0] += 1
        row[1] += in_period(world.joined_at[member], period)
    for member, value, status, placed in world.orders:
        level = world.below(i).get(member)
        if level and status in SALE and in_period(placed, period):
            expected[bucket(level)][2] += 1
            expected[bucket(level)][3] += value
    own = Decimal(0)
    for payee, level, amount, status, created in world.commissions:
        if payee == i and status != "reversed" and in_period(created, period):
            if level == 0:
                own += amount
            else:
                expected[bucket(level)][4] += amount
    for row in report.rows:
        members, new, orders, sales, commissions = expected[row.level]
        assert (row.members, row.new_members, row.orders, row.sales, row.commissions) == (
            members,
            new,
            orders,
            sales,
            commissions,
        ), row
    assert report.own_commissions == own
    assert report.total.members == len(world.below(i))
    assert report.deepest_level == max(world.below(i).values(), default=0)


def check_children(world: World, i: int, period: DateRange = PERIOD):
    node = ReferralNode.objects.get(pk=world.ids[i])
    page = selectors.children_page(node, period, offset=0, limit=100)
    kids = sorted(world.children[i], key=lambda c: world.ids[c])
    assert [f.user_id for f in page.children] == [world.ids[c] for c in kids]
    assert page.total == len(kids)
    for fig, c in zip(page.children, kids, strict=True):
        below = world.below(c)
        assert fig.direct_referrals == len(world.children[c])
        assert fig.downline == len(below)
        assert (fig.personal_orders, fig.personal_sales) == world.sales_of({c}, period)
        assert (fig.downline_orders, fig.downline_sales) == world.sales_of(set(below), period)


def check_metrics(world: World, period: DateRange = PERIOD):
    index = {uid: i for i, uid in enumerate(world.ids)}
    n = len(world.ids)
    expected = {m: defaultdict(Decimal) for m in Metric.values}
    for member, value, status, placed in world.orders:
        if status in SALE and in_period(placed, period):
            expected[Metric.PERSONAL_SALES][member] += value
            for up in world.uplines(member):
                expected[Metric.DOWNLINE_SALES][up] += value
    for member in range(n):
        if in_period(world.joined_at[member], period):
            if world.parents[member] is not None:
                expected[Metric.NEW_MEMBERS][world.parents[member]] += 1
            for up in world.uplines(member):
                expected[Metric.DOWNLINE_NEW_MEMBERS][up] += 1
    for payee, _level, amount, status, created in world.commissions:
        if status != "reversed" and in_period(created, period):
            expected[Metric.COMMISSIONS][payee] += amount
    for metric in Metric.values:
        got = {
            index[uid]: v
            for uid, v in selectors.metric_values(metric, period).items()
            if uid in index
        }
        want = {i: v for i, v in expected[metric].items() if v > 0}
        assert got == want, metric
    return expected


@settings(
    max_examples=testing.examples(on_sqlite=30, on_postgres=12),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=worlds())
def test_figures_match_brute_force(db, data):
    with transaction.atomic():
        world = World(*data)
        for i in range(len(world.ids)):
            check_levels(world, i)
            check_children(world, i)
        check_metrics(world)
        check_metrics(world, ACROSS_MONTHS)
        check_levels(world, 0, ACROSS_MONTHS)
        check_children(world, 0, ACROSS_MONTHS)
        transaction.set_rollback(True)


def test_a_chain_longer_than_twenty_levels_fills_the_deeper_row(db):
    parents = [None] + list(range(24))  # 25 members in one line
    world = World(parents, [0] * 25, [(24, 700, 0, "completed", 1, 10)], [])
    report = selectors.level_figures(
        world.ids[0], ReferralNode.objects.get(pk=world.ids[0]), PERIOD
    )
    assert [r.members for r in report.rows[:20]] == [1] * 20
    assert report.rows[-1].level is None and report.rows[-1].members == 4
    assert report.rows[-1].sales == Decimal("700")
    assert report.top_sales_level is report.rows[-1]
    check_levels(world, 3)
