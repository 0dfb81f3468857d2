"""The sales roll-ups, kept by the real order and tree events, against a rebuild and against a
brute force.

Members are bound with ``bind_sponsor`` and moved with ``reassign_sponsor``; orders are placed
with ``place_order`` and walked through the status machine with ``change_status`` (pay, ship,
complete, cancel, return, refund), in random order. Afterwards (a) the incrementally kept
tables must equal a from-scratch rebuild, row for row, and (b) every reported sales figure
must equal the brute force of test_figures_property.py, computed from the plain Python record
of who sponsors whom and which order is in which status.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fenrun.accounts.tests.factories import UserFactory
from fenrun.analytics import rollups, selectors
from fenrun.analytics.models import DownlineSalesDay, Metric, SalesMonth
from fenrun.analytics.periods import DateRange, day_start
from fenrun.analytics.tests.test_figures_property import (
    World,
    check_children,
    check_levels,
    check_metrics,
)
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.commissions.models import CommissionSettings
from fenrun.core import testing
from fenrun.orders.models import Order
from fenrun.orders.services import change_status, place_order
from fenrun.orders.status import allowed_targets
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient
from fenrun.referrals import services as referrals
from fenrun.referrals.models import ReferralNode
from fenrun.referrals.services import ReferralError

BASE = date(2025, 3, 1)
PERIODS = [
    DateRange(BASE, BASE + timedelta(days=9)),  # days only
    DateRange(BASE, date(2025, 3, 31)),  # one whole month
    DateRange(date(2025, 2, 25), date(2025, 4, 3)),  # edges on both sides of a month
    DateRange(date(2025, 2, 1), date(2025, 4, 30)),  # three whole months
    DateRange(date(2025, 3, 31), date(2025, 4, 1)),  # two edge days, no month
]
# Day offsets from BASE on either side of the bounds of PERIODS.
EDGE_DAYS = [-29, -28, -5, -4, -1, 0, 9, 10, 29, 30, 31, 33, 34, 59, 60]
UNBOUND = -1  # a member who never joined the tree
GUEST = -1


@st.composite
def histories(draw, max_members=26):
    n = draw(st.integers(2, max_members))
    parents: list[int | None] = [None]
    for i in range(1, n):
        parents.append(
            draw(
                st.one_of(
                    st.just(i - 1),  # long chains: deeper than 20
                    st.just(i - 1),
                    st.integers(0, i - 1),
                    st.none(),
                    st.just(UNBOUND),
                )
            )
        )
    member = st.integers(0, n - 1)
    sponsor = st.one_of(st.none(), member)
    order = st.tuples(
        st.just("order"),
        st.one_of(member, member, st.just(GUEST)),
        st.integers(0, 2),  # product
        st.integers(1, 3),  # quantity
        # A day around March 2025, often one at the edge of a tested period.
        st.one_of(st.sampled_from(EDGE_DAYS), st.integers(-30, 60)),
        st.sampled_from([0, 7, 12, 23]),  # hour: both ends of the local day
        st.sampled_from([0, 1, 1, 2, 3]),  # steps towards completed right after placing
    )
    status = st.tuples(st.just("status"), st.integers(0, 50), st.integers(0, 5))
    tree = st.one_of(
        st.tuples(st.just("bind"), member, sponsor),
        st.tuples(st.just("move"), member, sponsor),
        st.tuples(st.just("move"), member, sponsor),
    )
    # Sales first, so that the tree changes that follow have sales to carry; then anything.
    ops = draw(st.lists(order, min_size=1, max_size=8))
    ops += draw(st.lists(status, max_size=12))
    ops += draw(st.lists(tree, max_size=6))
    ops += draw(st.lists(st.one_of(order, status, status, tree), max_size=15))
    return parents, ops


class History:
    """Runs the generated history through the services, recording it in plain Python."""

    PRICES = [Decimal("199"), Decimal("1234.50"), Decimal("3000")]

    def __init__(self, parents, ops):
        settings_row = CommissionSettings.load()
        settings_row.automatic = False  # commissions are not what this test is about
        settings_row.save()
        self.staff = UserFactory(is_staff=True)
        self.method = ShippingMethodFactory()
        self.products = [ProductFactory(price=p, stock=10_000) for p in self.PRICES]
        self.users = [UserFactory(phone="") for _ in parents]
        self.ids = [u.pk for u in self.users]
        self.parents: list[int | None] = [None] * len(parents)
        self.in_tree: set[int] = set()
        self.orders: list[list] = []  # [order, buyer index or GUEST, amount, status, placed]
        for i, parent in enumerate(parents):
            if parent == UNBOUND:
                continue
            self.bind(i, parent)
        for op in ops:
            getattr(self, op[0])(*op[1:])

    def bind(self, i, sponsor):
        try:
            referrals.bind_sponsor(
                self.users[i],
                self.users[sponsor] if sponsor is not None else None,
                via="link" if sponsor is not None else "none",
            )
        except ReferralError:
            return
        self.in_tree.add(i)
        if sponsor is not None:
            self.in_tree.add(sponsor)
        self.parents[i] = sponsor

    def move(self, i, sponsor):
        try:
            referrals.reassign_sponsor(
                self.users[i],
                self.users[sponsor] if sponsor is not None else None,
                actor=self.staff,
                reason="property test",
            )
        except ReferralError:
            return
        self.in_tree.add(i)
        if sponsor is not None:
            self.in_tree.add(sponsor)
        self.parents[i] = sponsor

    def order(self, buyer, product, quantity, day, hour, steps=0):
        user = self.users[buyer] if buyer != GUEST else None
        method = "cod" if (day + hour) % 3 == 0 else "atm"
        with transaction.atomic():
            order = place_order(
                items=[(self.products[product].pk, quantity)],
                recipient=home_recipient(),
                shipping_method=self.method,
                payment_method=method,
                user=user,
            )
            # Placed on a generated day: a pending order is in no roll-up yet.
            placed = day_start(BASE + timedelta(days=day)) + timedelta(hours=hour, minutes=30)
            Order.objects.filter(pk=order.pk).update(placed_at=placed)
        amount = self.PRICES[product] * quantity
        assert order.goods_total - order.discount_total == amount
        self.orders.append([order, buyer, amount, "pending", placed])
        for _step in range(steps):
            record = self.orders[-1]
            targets = allowed_targets(record[3], payment_method=order.payment_method)
            forward = [t for t in ("paid", "shipped", "completed") if t in targets]
            if not forward:
                break
            self.status(len(self.orders) - 1, targets.index(forward[0]))

    def status(self, k, choice):
        if not self.orders:
            return
        record = self.orders[k % len(self.orders)]
        order = record[0]
        targets = allowed_targets(record[3], payment_method=order.payment_method)
        if not targets:
            return
        target = targets[choice % len(targets)]
        change_status(order, target, actor=self.staff)
        record[3] = target

    def as_world(self) -> World:
        """The brute force's view: parent pointers, joins, orders of members (guests count
        for nobody), no commissions."""
        world = World.__new__(World)
        world.parents = list(self.parents)
        world.users = self.users
        world.ids = self.ids
        world.joined_at = [u.date_joined for u in self.users]
        world.children = defaultdict(list)
        for i, p in enumerate(world.parents):
            if p is not None:
                world.children[p].append(i)
        world.orders = [
            (buyer, amount, status, placed)
            for _o, buyer, amount, status, placed in self.orders
            if buyer != GUEST
        ]
        world.commissions = []
        return world


def stored_rows():
    days = sorted(
        (m, d, lv, n, s)
        for m, d, lv, n, s in DownlineSalesDay.objects.values_list(
            "member_id", "day", "level", "orders", "sales"
        )
    )
    months = sorted(
        SalesMonth.objects.values_list(
            "member_id", "month", "own_orders", "own_sales", "downline_orders", "downline_sales"
        )
    )
    return days, months


def check_against_brute_force(world: World, members_in_tree):
    index = {uid: i for i, uid in enumerate(world.ids)}
    for period in PERIODS:
        expected = check_metrics(world, period)
        for metric in (Metric.DOWNLINE_SALES, Metric.PERSONAL_SALES):
            want = sorted(
                ((world.ids[i], v) for i, v in expected[metric].items() if v > 0),
                key=lambda item: (-item[1], item[0]),
            )[:5]
            got = [(r.user_id, r.value) for r in selectors.leaderboard(metric, period, limit=5)]
            assert got == want, (metric, period)
        for row in selectors.leaderboard(Metric.DOWNLINE_SALES, period, limit=5):
            below = set(world.below(index[row.user_id]))
            assert row.orders == world.sales_of(below, period)[0]
    for period in PERIODS[:3]:
        for i in sorted(members_in_tree):
            check_levels(world, i, period)
            check_children(world, i, period)


@settings(
    max_examples=testing.examples(on_sqlite=40, on_postgres=12),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=histories())
def test_rollups_kept_by_events_equal_a_rebuild_and_the_brute_force(db, data):
    with transaction.atomic():
        history = History(*data)
        kept = stored_rows()
        result = rollups.check()
        assert result.ok, result
        check_against_brute_force(history.as_world(), history.in_tree)
        rollups.rebuild()
        assert stored_rows() == kept
        transaction.set_rollback(True)


def test_a_move_carries_sales_below_level_twenty_and_back(db):
    """A 25-member chain: a sale at the bottom sits in "deeper" for the top; moving the lower
    half to the top's direct referral and back shifts it between levels."""
    parents = [None] + list(range(24))
    history = History(parents, [("order", 24, 0, 1, 3, 12), ("status", 0, 0)])
    assert history.orders[0][3] in {"paid", "shipped"}
    top = history.ids[0]
    period = PERIODS[0]
    node = ReferralNode.objects.get(pk=top)
    assert selectors.level_figures(top, node, period).rows[-1].sales == Decimal("199")
    history.move(12, 0)  # member 12 now hangs directly under the top: buyer is 13 below
    rows = selectors.level_figures(top, node, period).rows
    assert rows[12].sales == Decimal("199") and rows[-1].sales == 0
    history.move(12, 11)
    rows = selectors.level_figures(top, node, period).rows
    assert rows[-1].sales == Decimal("199") and rows[12].sales == 0
    assert rollups.check().ok
    world = history.as_world()
    for i in (0, 5, 11, 12, 20):
        check_levels(world, i, period)


def test_refund_takes_the_sale_back_and_leaves_no_empty_rows(db):
    history = History([None, 0, 1], [("order", 2, 1, 2, 5, 12)])
    history.status(0, 0)  # pending -> paid (or shipped for cash on delivery)
    assert DownlineSalesDay.objects.filter(member_id=history.ids[0], level=2).exists()
    record = history.orders[0]
    while record[3] not in {"refunded", "cancelled"}:
        targets = allowed_targets(record[3], payment_method=record[0].payment_method)
        refund = [t for t in targets if t in {"refunded", "cancelled", "returned"}]
        history.status(0, targets.index(refund[0] if refund else targets[0]))
    assert not DownlineSalesDay.objects.exists()
    assert not SalesMonth.objects.exists()
    assert rollups.check().ok


def test_rebuild_check_command_reports_differences_and_exits_non_zero(db, capsys):
    history = History([None, 0, 1], [("order", 2, 2, 1, 1, 12), ("status", 0, 0)])
    assert history.orders[0][3] in {"paid", "shipped"}
    call_command("rebuild_sales_rollups", "--check")
    assert "match" in capsys.readouterr().out
    DownlineSalesDay.objects.filter(member_id=history.ids[0]).update(sales=Decimal("1"))
    SalesMonth.objects.filter(member_id=history.ids[2]).delete()
    with pytest.raises(CommandError):
        call_command("rebuild_sales_rollups", "--check")
    out = capsys.readouterr().out
    assert "day_missing: 1 rows" in out and "day_extra: 1 rows" in out
    assert "month_missing: 1 rows" in out and "month_extra" not in out
    call_command("rebuild_sales_rollups")
    call_command("rebuild_sales_rollups", "--check")
    assert rollups.check().ok
