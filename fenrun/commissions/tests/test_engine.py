"""The pure calculation core: golden examples and properties (no database)."""

import random
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fenrun.commissions.engine import (
    FORFEIT,
    LEVELS,
    MATRIX,
    PASS_UP,
    ChainMember,
    OrderLineInput,
    PlanRules,
    compute_line,
    credit_on_shipping_share,
    line_base,
    order_line_inputs,
    preview_chain,
    settle_order,
    split_proportionally,
)

D = Decimal
SEED = PlanRules(levels=2, mode=MATRIX, matrix=((D(5),), (D(3), D(4))), cap=D(7))


def straight_chain(n: int, *, inactive=(), first_id=100) -> tuple[list[ChainMember], ChainMember]:
    """A buyer with ``n`` uplines; the top is a root (tree level 1). Ids: first_id + tree level."""
    buyer_tree = n + 1
    uplines = [
        ChainMember(
            user_id=first_id + buyer_tree - level,
            level=level,
            tree_level=buyer_tree - level,
            is_active=(buyer_tree - level) not in inactive,
        )
        for level in range(1, n + 1)
    ]
    return uplines, ChainMember(user_id=first_id + buyer_tree, level=0, tree_level=buyer_tree)


def paid(result) -> dict[int, Decimal]:
    return {p.payout.payee_id: p.amount for p in result.payouts}


# -- golden ------------------------------------------------------------------------------------


def test_seed_example_level_one_buyer_pays_source_fifty():
    uplines, buyer = straight_chain(1)
    result = settle_order([(OrderLineInput(1, D(1000)), SEED)], uplines, buyer)
    assert paid(result) == {101: D(50)}  # the source (tree level 1)


def test_seed_example_level_two_buyer_pays_source_forty_and_level_one_thirty():
    uplines, buyer = straight_chain(2)
    result = settle_order([(OrderLineInput(1, D(1000)), SEED)], uplines, buyer)
    assert paid(result) == {101: D(40), 102: D(30)}
    assert result.total == D(70)  # the most any order pays: 7%
    by_payee = {p.payout.payee_id: p.payout for p in result.payouts}
    assert by_payee[102].level == 1 and by_payee[102].rate == D(3)
    assert by_payee[101].level == 2 and by_payee[101].rate == D(4)
    assert by_payee[101].detail == {"slot": 2, "row": 2}


def test_seed_plan_deeper_buyer_uses_the_full_row_and_nobody_above():
    uplines, buyer = straight_chain(5)
    result = settle_order([(OrderLineInput(1, D(1000)), SEED)], uplines, buyer)
    assert paid(result) == {105: D(30), 104: D(40)}


def test_source_buying_pays_nobody():
    uplines, buyer = straight_chain(0)
    assert settle_order([(OrderLineInput(1, D(1000)), SEED)], uplines, buyer).payouts == ()


def test_twenty_level_plan_on_twenty_five_level_chain():
    rates = tuple(D(k) / 4 for k in range(1, 21))  # 0.25% … 5%
    plan = PlanRules(levels=20, rates=rates)
    uplines, buyer = straight_chain(25)
    result = compute_line(OrderLineInput(1, D(10000)), plan, uplines, buyer)
    assert len(result.payouts) == 20
    assert {p.level for p in result.payouts} == set(range(1, 21))
    for p in result.payouts:
        assert p.rate == rates[p.level - 1]
        assert p.amount == D(10000) * rates[p.level - 1] / 100
    assert all(p.tree_level > 5 for p in result.payouts)  # tree levels 1..5 are beyond the window


def test_guaranteed_level_outside_the_window_is_paid():
    plan = PlanRules(levels=2, rates=(D(10), D(5)), guaranteed=((1, D(2)),))
    uplines, buyer = straight_chain(6)  # the root is level 6
    result = compute_line(OrderLineInput(1, D(1000)), plan, uplines, buyer)
    amounts = {p.tree_level: (p.rule, p.amount) for p in result.payouts}
    assert amounts == {
        6: ("levels", D(100)),
        5: ("levels", D(50)),
        1: ("guaranteed", D(20)),
    }


@pytest.mark.parametrize(("guaranteed_rate", "paid_rate"), [(D(1), D(5)), (D(6), D(6))])
def test_guaranteed_level_inside_the_window_is_paid_once_at_the_higher_rate(
    guaranteed_rate, paid_rate
):
    plan = PlanRules(levels=3, rates=(D(10), D(5), D(3)), guaranteed=((2, guaranteed_rate),))
    uplines, buyer = straight_chain(3)  # tree levels 3 (L1), 2 (L2), 1 (L3)
    result = compute_line(OrderLineInput(1, D(1000)), plan, uplines, buyer)
    by_tree = {p.tree_level: p for p in result.payouts}
    assert by_tree[2].rule == "guaranteed" and by_tree[2].rate == paid_rate
    assert by_tree[2].detail == {
        "tree_level": 2,
        "in_window_slot": 2,
        "guaranteed_rate": guaranteed_rate,
        "window_rate": D(5),
    }
    assert by_tree[3].rate == D(10) and by_tree[1].rate == D(3)
    assert len(result.payouts) == 3  # nobody twice: tree level 2 is paid one rate


def test_the_higher_window_rate_is_paid_before_window_claims_under_the_cap():
    plan = PlanRules(levels=3, rates=(D(10), D(5), D(3)), cap=D(15), guaranteed=((1, D(1)),))
    uplines, buyer = straight_chain(3)  # tree levels 3 (L1), 2 (L2), 1 (L3, guaranteed)
    result = compute_line(OrderLineInput(1, D(1000)), plan, uplines, buyer)
    by_tree = {p.tree_level: p for p in result.payouts}
    assert by_tree[1].rate == D(3)  # the window's 3 % beats the guarantee's 1 %, paid first
    assert by_tree[3].rate == D(10)
    assert by_tree[2].rate == D(2) and by_tree[2].detail["capped_from"] == D(5)
    assert result.total == D(150)


def test_a_higher_window_rate_never_pushes_another_guaranteed_member_below_their_rate():
    plan = PlanRules(levels=1, rates=(D(10),), cap=D(10), guaranteed=((1, D(1)), (2, D(1))))
    uplines, buyer = straight_chain(2)  # tree level 2 is the sponsor (L1), tree level 1 above
    result = compute_line(OrderLineInput(1, D(1000)), plan, uplines, buyer)
    by_tree = {p.tree_level: p for p in result.payouts}
    assert by_tree[1].rate == D(1)  # its guarantee is kept
    assert by_tree[2].rate == D(9) and by_tree[2].detail["capped_from"] == D(10)


def test_cap_pays_guaranteed_first_then_nearest_and_the_crossing_level_gets_the_remainder():
    plan = PlanRules(levels=3, rates=(D(5), D(4), D(3)), cap=D(8), guaranteed=((1, D(2)),))
    uplines, buyer = straight_chain(5)
    result = compute_line(OrderLineInput(1, D(1000)), plan, uplines, buyer)
    by_tree = {p.tree_level: p for p in result.payouts}
    assert by_tree[1].rate == D(2)  # guaranteed first
    assert by_tree[5].rate == D(5)  # nearest upline
    assert by_tree[4].rate == D(1) and by_tree[4].detail["capped_from"] == D(4)  # remainder
    assert 3 not in by_tree  # after the cap: nothing
    assert [s.reason for s in result.skipped] == ["cap_reached"]
    assert result.total == D(80)


@pytest.mark.parametrize(("include_shipping", "expected_base"), [(False, D(1000)), (True, D(1100))])
def test_shipping_in_and_out_of_the_base(include_shipping, expected_base):
    plan = PlanRules(levels=1, rates=(D(10),), include_shipping=include_shipping)
    line = OrderLineInput(1, goods=D(1000), shipping=D(100))
    assert line_base(line, plan) == expected_base


@pytest.mark.parametrize(
    ("include_credit", "include_shipping", "expected_base"),
    [
        (True, False, D(1000)),
        (False, False, D(500)),  # the credit that paid goods comes off the goods
        (True, True, D(1200)),
        (False, True, D(600)),
    ],
)
def test_credit_in_and_out_of_the_base(include_credit, include_shipping, expected_base):
    plan = PlanRules(
        levels=1, rates=(D(10),), include_credit=include_credit, include_shipping=include_shipping
    )
    # 600 of credit: 500 paid goods, 100 paid shipping.
    line = OrderLineInput(1, goods=D(1000), shipping=D(200), credit=D(500), shipping_credit=D(100))
    assert line_base(line, plan) == expected_base


def test_pass_up_skips_inactive_members_and_the_next_active_takes_their_level():
    plan = PlanRules(levels=2, rates=(D(10), D(5)), inactive_rule=PASS_UP)
    uplines, buyer = straight_chain(4, inactive={4})  # the sponsor (tree 4) is banned
    result = compute_line(OrderLineInput(1, D(1000)), plan, uplines, buyer)
    assert {(p.tree_level, p.rate) for p in result.payouts} == {(3, D(10)), (2, D(5))}
    assert {p.detail["slot"] for p in result.payouts} == {1, 2}


def test_forfeit_leaves_the_inactive_level_unpaid():
    plan = PlanRules(levels=2, rates=(D(10), D(5)), inactive_rule=FORFEIT)
    uplines, buyer = straight_chain(4, inactive={4})
    result = compute_line(OrderLineInput(1, D(1000)), plan, uplines, buyer)
    assert {(p.tree_level, p.rate) for p in result.payouts} == {(3, D(5))}
    assert [(s.tree_level, s.reason) for s in result.skipped] == [(4, "inactive")]


def test_matrix_row_counts_uplines_after_pass_up():
    uplines, buyer = straight_chain(2, inactive={1})  # the source is inactive
    result = compute_line(OrderLineInput(1, D(1000)), SEED, uplines, buyer)
    # Only one eligible upline inside the window: row 1 (5%) pays the level-1 member.
    assert [(p.tree_level, p.rate) for p in result.payouts] == [(2, D(5))]


def test_no_self_pay_by_default_and_self_pay_puts_the_buyer_first():
    plan = PlanRules(levels=2, rates=(D(10), D(5)))
    uplines, buyer = straight_chain(3)
    result = compute_line(OrderLineInput(1, D(1000)), plan, uplines, buyer)
    assert buyer.user_id not in {p.payee_id for p in result.payouts}
    with_self = PlanRules(levels=2, rates=(D(10), D(5)), self_pay=True)
    result = compute_line(OrderLineInput(1, D(1000)), with_self, uplines, buyer)
    assert [(p.payee_id, p.level, p.rate) for p in result.payouts] == [
        (buyer.user_id, 0, D(10)),
        (uplines[0].user_id, 1, D(5)),
    ]


def test_a_buyer_found_in_their_own_chain_is_never_paid_without_self_pay():
    plan = PlanRules(levels=2, rates=(D(10), D(5)))
    buyer = ChainMember(user_id=1, level=0, tree_level=3)
    uplines = [ChainMember(1, 1, 2), ChainMember(2, 2, 1)]
    result = compute_line(OrderLineInput(1, D(1000)), plan, uplines, buyer)
    assert {p.payee_id for p in result.payouts} == {2}


def test_no_chain_no_payouts():
    result = settle_order([(OrderLineInput(1, D(1000)), SEED)], [], None)
    assert result.payouts == () and result.total == 0


def test_rounding_per_payee_per_order_and_attribution_back_to_lines():
    plan = PlanRules(levels=1, rates=(D(1),))
    uplines, buyer = straight_chain(1)
    lines = [(OrderLineInput(i, D(40)), plan) for i in (3, 1, 2)]  # 0.40 each
    result = settle_order(lines, uplines, buyer)
    assert result.payee_totals == {101: D(1)}  # 1.20 → 1, not 0 + 0 + 0
    assert [(p.payout.line_id, p.amount) for p in result.payouts] == [
        (1, D(1)),
        (2, D(0)),
        (3, D(0)),
    ]


def test_rounding_down_and_to_cents():
    uplines, buyer = straight_chain(1)
    down = PlanRules(levels=1, rates=(D("3.33"),), rounding_mode="down")
    assert settle_order([(OrderLineInput(1, D(100)), down)], uplines, buyer).total == D(3)
    cents = PlanRules(levels=1, rates=(D("3.33"),), rounding_places=2)
    assert settle_order([(OrderLineInput(1, D(100)), cents)], uplines, buyer).total == D("3.33")


def test_plan_rules_reject_a_matrix_row_of_the_wrong_length():
    with pytest.raises(ValueError):
        PlanRules(levels=2, mode=MATRIX, matrix=((D(5),), (D(3),)))
    with pytest.raises(ValueError):
        PlanRules(levels=21, rates=(D(1),) * 21)


def test_preview_chain_names_the_source_tree_level_one():
    uplines, buyer = preview_chain(2, inactive_tree_levels={1})
    assert [(m.level, m.tree_level, m.is_active) for m in uplines] == [(1, 2, True), (2, 1, False)]
    assert buyer.tree_level == 3


def test_allocation_splits_order_amounts_exactly():
    inputs = order_line_inputs(
        [(1, D(100), D(0), None, None), (2, D(200), D(0), None, None), (3, D(0), D(0), None, None)],
        discount_total=D(30),
        shipping_fee=D(100),
        credit_used=D(50),
    )
    assert sum(i.goods for i in inputs) == D(270)
    assert [i.goods for i in inputs] == [D(90), D(180), D(0)]
    assert sum(i.shipping for i in inputs) == D(100)
    assert sum(i.credit for i in inputs) == D(50)
    assert [i.shipping for i in inputs] == [D("33.33"), D("66.67"), D(0)]
    assert [i.credit for i in inputs] == [D("16.67"), D("33.33"), D(0)]  # credit paid goods
    assert [i.shipping_credit for i in inputs] == [D(0)] * 3


def test_allocation_spreads_the_credit_that_paid_shipping_over_the_lines_shipping():
    inputs = order_line_inputs(
        [(1, D(100), D(0), None, None), (2, D(300), D(0), None, None)],
        shipping_fee=D(100),
        credit_used=D(60),
        credit_on_shipping=D(20),
    )
    assert [i.shipping for i in inputs] == [D(25), D(75)]
    assert [i.credit for i in inputs] == [D(10), D(30)]
    assert [i.shipping_credit for i in inputs] == [D(5), D(15)]


@given(
    amount=st.decimals(min_value=0, max_value=10**7, places=2),
    weights=st.lists(st.decimals(min_value=0, max_value=10**6, places=2), min_size=1, max_size=6),
)
def test_split_proportionally_adds_up(amount, weights):
    shares = split_proportionally(amount, weights)
    assert sum(shares) == amount
    assert all(s >= 0 for s in shares)


# -- properties ----------------------------------------------------------------------------------


def cents(low: int, high: int):
    """Amounts with two decimals (integers of cents: much faster to draw than st.decimals)."""
    return st.integers(low, high).map(lambda c: D(c) / 100)


rate = cents(0, 3000)


@st.composite
def plans(draw):
    levels = draw(st.integers(1, 20))
    mode = draw(st.sampled_from([LEVELS, MATRIX]))
    cap = draw(st.one_of(st.none(), cents(0, 10000)))
    limit = cap if cap is not None else D(100)
    guaranteed_levels = draw(st.lists(st.integers(1, 30), max_size=4, unique=True))
    guaranteed = []
    left = limit
    for tree_level in sorted(guaranteed_levels):
        # Validated plans: guaranteed rates alone fit in the cap.
        g = min(draw(rate), left)
        left -= g
        guaranteed.append((tree_level, g))
    # Up to 210 rates: drawn from one seeded generator, far faster than 210 draws.
    rnd = random.Random(draw(st.integers(0, 2**32)))
    if mode == LEVELS:
        rates = tuple(D(rnd.randint(0, 3000)) / 100 for _ in range(levels))
        matrix = ()
    else:
        rates = ()
        matrix = tuple(
            tuple(D(rnd.randint(0, 3000)) / 100 for _ in range(n)) for n in range(1, levels + 1)
        )
    return PlanRules(
        levels=levels,
        mode=mode,
        rates=rates,
        matrix=matrix,
        cap=cap,
        guaranteed=tuple(guaranteed),
        include_shipping=draw(st.booleans()),
        include_credit=draw(st.booleans()),
        inactive_rule=draw(st.sampled_from([PASS_UP, FORFEIT])),
        self_pay=draw(st.booleans()),
        rounding_mode=draw(st.sampled_from(["half_up", "down"])),
        rounding_places=draw(st.sampled_from([0, 2])),
    )


@st.composite
def chains(draw):
    n = draw(st.integers(0, 30))
    extra_depth = draw(st.integers(0, 5))  # the chain's top need not be a root
    buyer_tree = n + 1 + extra_depth
    rnd = random.Random(draw(st.integers(0, 2**32)))
    inactive_share = draw(st.sampled_from([0.0, 0.2, 0.5]))
    active = [rnd.random() >= inactive_share for _ in range(n)]
    uplines = [
        ChainMember(
            user_id=1000 + level,
            level=level,
            tree_level=buyer_tree - level,
            is_active=active[level - 1],
        )
        for level in range(1, n + 1)
    ]
    buyer = ChainMember(user_id=1, level=0, tree_level=buyer_tree, is_active=draw(st.booleans()))
    return uplines, buyer


money = cents(0, 10_000_000)


@st.composite
def order_lines(draw):
    plan_strategy = plans()
    count = draw(st.integers(1, 5))
    same_plan = draw(st.booleans())
    first = draw(plan_strategy)
    lines = []
    for i in range(count):
        goods = draw(money)
        shipping = draw(cents(0, 50000))
        credit = draw(cents(0, int(goods * 100)))
        shipping_credit = draw(cents(0, int(shipping * 100)))
        plan = first if same_plan else draw(plan_strategy)
        lines.append((OrderLineInput(10 + i, goods, shipping, credit, shipping_credit), plan))
    return lines


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(lines=order_lines(), chain=chains())
def test_property_payouts_are_bounded_by_cap_and_rates(lines, chain):
    uplines, buyer = chain
    for line, plan in lines:
        result = compute_line(line, plan, uplines, buyer)
        rate_total = sum((p.rate for p in result.payouts), D(0))
        assert all(p.amount >= 0 and p.rate > 0 for p in result.payouts)
        assert rate_total <= plan.effective_cap
        assert result.total <= result.base * plan.effective_cap / 100
        assert result.total <= result.base * plan.max_rate_total / 100
        payees = [p.payee_id for p in result.payouts]
        assert len(payees) == len(set(payees)), "nobody is paid twice for one line"


@PROPERTY
@given(lines=order_lines(), chain=chains())
def test_property_window_and_guaranteed_levels(lines, chain):
    uplines, buyer = chain
    for line, plan in lines:
        result = compute_line(line, plan, uplines, buyer)
        candidates = ([buyer] if plan.self_pay else []) + list(uplines)
        if plan.inactive_rule == PASS_UP:
            window = [m for m in candidates if m.is_active][: plan.levels]
        else:
            window = candidates[: plan.levels]
        slot_of = {m.user_id: slot for slot, m in enumerate(window, start=1)}
        slot_rates = plan.slot_rates(len(window))
        guaranteed = dict(plan.guaranteed)
        by_payee = {p.payee_id: p for p in result.payouts}
        for p in result.payouts:
            if p.rule == "guaranteed":
                assert p.tree_level in guaranteed
            else:
                assert p.payee_id in slot_of, "beyond the window only guaranteed levels pay"
                assert p.tree_level not in guaranteed, "a guaranteed member is paid as such"
                assert p.rate <= slot_rates[slot_of[p.payee_id] - 1]
        # Each active member's claim: a guaranteed member's is the higher of the guaranteed
        # rate and their window rate, paid once; a window member's is the slot's rate.
        claims = {}
        for member in candidates:
            window_rate = (
                slot_rates[slot_of[member.user_id] - 1] if member.user_id in slot_of else 0
            )
            if member.is_active:
                claims[member.user_id] = max(guaranteed.get(member.tree_level, 0), window_rate)
        # The cap is filled as far as the claims go.
        paid_rates = sum((p.rate for p in result.payouts), D(0))
        assert paid_rates == min(plan.effective_cap, sum(claims.values(), D(0)))
        guaranteed_claims = {
            m.user_id: claims[m.user_id]
            for m in candidates
            if m.tree_level in guaranteed and m.is_active
        }
        fits = sum(guaranteed_claims.values(), D(0)) <= plan.effective_cap
        for member in candidates:
            rate_ = guaranteed.get(member.tree_level)
            if rate_ is None or not member.is_active:
                continue
            p = by_payee.get(member.user_id)
            if rate_ > 0:
                # Guaranteed rates fit in the cap and are paid first: never cut below them.
                assert p is not None and p.rule == "guaranteed" and p.rate >= rate_
            if p is not None:
                assert p.rate <= claims[member.user_id]
            if fits and claims[member.user_id] > 0:
                assert p is not None and p.rate == claims[member.user_id]
        if buyer.user_id in by_payee:
            assert plan.self_pay


@PROPERTY
@given(lines=order_lines(), chain=chains(), seed=st.integers(0, 1000))
def test_property_rounding_per_payee_per_order_and_line_order_independence(lines, chain, seed):
    uplines, buyer = chain
    result = settle_order(lines, uplines, buyer)
    exact: dict[tuple, Decimal] = defaultdict(lambda: D(0))
    stored: dict[tuple, Decimal] = defaultdict(lambda: D(0))
    plan_of = {line.line_id: plan for line, plan in lines}
    for rounded in result.payouts:
        plan = plan_of[rounded.payout.line_id]
        key = (rounded.payout.payee_id, plan.rounding_mode, plan.rounding_places)
        exact[key] += rounded.payout.amount
        stored[key] += rounded.amount
        unit = D(1).scaleb(-plan.rounding_places)
        assert abs(rounded.amount - rounded.payout.amount) < unit
        assert rounded.amount >= 0
    for key, value in exact.items():
        unit = D(1).scaleb(-key[2])
        limit = unit / 2 if key[1] == "half_up" else unit
        assert abs(stored[key] - value) <= limit
    assert sum(result.payee_totals.values(), D(0)) == result.total

    shuffled = list(lines)
    random.Random(seed).shuffle(shuffled)
    again = settle_order(shuffled, uplines, buyer)
    assert [(r.payout, r.amount) for r in again.payouts] == [
        (r.payout, r.amount) for r in result.payouts
    ]


# -- issue 11 ------------------------------------------------------------------------------------

PLAN_10_5_3 = PlanRules(levels=3, rates=(D(10), D(5), D(3)), guaranteed=((1, D(1)),))


def test_guaranteed_source_is_paid_the_window_rate_when_it_is_higher():
    uplines, buyer = straight_chain(1)  # the source's direct referral buys
    result = settle_order([(OrderLineInput(1, D(1000)), PLAN_10_5_3)], uplines, buyer)
    assert paid(result) == {101: D(100)}  # 10 %, not the guaranteed 1 %


def test_credit_pays_goods_only_when_the_wallet_keeps_it_off_shipping():
    plan = PlanRules(levels=1, rates=(D(10),))  # shipping out of the base, credit not counted
    [line] = order_line_inputs(
        [(1, D(640), D(0), None, None)], shipping_fee=D(150), credit_used=D(200)
    )
    assert line_base(line, plan) == D(440)


@pytest.mark.parametrize(
    ("covers_shipping", "include_shipping", "expected_base"),
    [
        (False, False, D(440)),  # 640 − 200
        (False, True, D(590)),  # 640 − 200 + 150
        (True, False, D("477.97")),  # 640 − 162.03 (credit spread over goods and shipping)
        (True, True, D(590)),  # 640 − 162.03 + 150 − 37.97
    ],
)
def test_the_credit_comes_off_what_the_wallet_let_it_pay(
    covers_shipping, include_shipping, expected_base
):
    credit_on_shipping = credit_on_shipping_share(D(200), D(640), D(150)) if covers_shipping else 0
    assert credit_on_shipping in (0, D("37.97"))
    plan = PlanRules(levels=1, rates=(D(10),), include_shipping=include_shipping)
    [line] = order_line_inputs(
        [(1, D(640), D(0), None, None)],
        shipping_fee=D(150),
        credit_used=D(200),
        credit_on_shipping=D(credit_on_shipping),
    )
    assert line_base(line, plan) == expected_base


@given(
    goods=st.lists(cents(0, 10**6), min_size=1, max_size=5),
    shipping_fee=cents(0, 50000),
    data=st.data(),
)
def test_allocation_property_credit_parts_add_up_and_stay_within_what_they_paid(
    goods, shipping_fee, data
):
    credit_used = data.draw(cents(0, int((sum(goods) + shipping_fee) * 100)))
    on_shipping = data.draw(cents(0, int(min(credit_used, shipping_fee) * 100)))
    rows = [(i, g, D(0), None, None) for i, g in enumerate(goods, start=1)]
    inputs = order_line_inputs(
        rows, shipping_fee=shipping_fee, credit_used=credit_used, credit_on_shipping=on_shipping
    )
    assert sum(i.shipping_credit for i in inputs) == on_shipping
    assert sum(i.credit for i in inputs) == credit_used - on_shipping
    assert all(i.shipping_credit <= i.shipping for i in inputs)
