"""Turn order lines, the buyer's upline chain and plan versions into payouts.

Pure functions of their arguments: no database, no clock, no Django. Every rounding goes through
``fenrun.core.money.round_money``.

Order of payment inside one line (PRODUCT.md "Commission rules"):
1. guaranteed levels (absolute tree levels), nearest to the buyer first, at their own rate;
2. window slots from the nearest upline upward, at the slot's rate (per-level, or the matrix
   row for the number of uplines the buyer has inside the window);
and the cap (percent of the base) is consumed in that order: the claim that would cross it gets
the remainder, later claims nothing. The guarantee protects and never cuts: a member on a
guaranteed level who also sits in the window is paid once, among the guaranteed claims, at the
higher of the guaranteed rate and their window rate.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from fenrun.core.money import round_money

from .types import (
    HUNDRED,
    MATRIX,
    PASS_UP,
    ChainMember,
    LinePayout,
    LineResult,
    OrderLineInput,
    OrderResult,
    PlanRules,
    RoundedPayout,
    Skipped,
)

ZERO = Decimal(0)


def line_base(line: OrderLineInput, plan: PlanRules) -> Decimal:
    """The commission base of one line, to the cent.

    Goods after discounts, plus the line's shipping share when the plan includes shipping. When
    the plan leaves out what was paid with shopping credit, the credit comes off what it paid
    for: the goods' share off the goods, the shipping share off the shipping (only counted when
    shipping is in the base).
    """
    goods = line.goods
    shipping = line.shipping if plan.include_shipping else ZERO
    if not plan.include_credit:
        goods = max(goods - line.credit, ZERO)
        if plan.include_shipping:
            shipping = max(shipping - line.shipping_credit, ZERO)
    return max(round_money(goods + shipping, places=2), ZERO)


def _candidates(
    plan: PlanRules, uplines: Iterable[ChainMember], buyer: ChainMember | None
) -> list[ChainMember]:
    """The chain in level order, each member once; the buyer first only under self-pay."""
    buyer_id = buyer.user_id if buyer is not None else None
    result: list[ChainMember] = []
    seen: set[int] = set()
    if plan.self_pay and buyer is not None:
        result.append(replace(buyer, level=0))
        seen.add(buyer.user_id)
    for member in sorted(uplines, key=lambda m: m.level):
        # The buyer is never an upline of their own order (referrals forbid cycles); if a chain
        # says otherwise, that entry is ignored rather than paid.
        if member.level < 1 or member.user_id in seen or member.user_id == buyer_id:
            continue
        seen.add(member.user_id)
        result.append(member)
    return result


def _contiguous_prefix(candidates: list[ChainMember]) -> list[ChainMember]:
    """Members whose levels follow on without a gap; the window never reaches past a gap
    (members fetched only for guaranteed levels far above are not window members)."""
    prefix: list[ChainMember] = []
    for member in candidates:
        if prefix and member.level != prefix[-1].level + 1:
            break
        prefix.append(member)
    return prefix


def compute_line(
    line: OrderLineInput,
    plan: PlanRules,
    uplines: Sequence[ChainMember],
    buyer: ChainMember | None = None,
) -> LineResult:
    """Exact (unrounded) payouts of one order line."""
    base = line_base(line, plan)
    candidates = _candidates(plan, uplines, buyer)
    contiguous = _contiguous_prefix(candidates)
    skipped: list[Skipped] = []

    def skip(member: ChainMember, reason: str) -> None:
        skipped.append(
            Skipped(line.line_id, member.user_id, member.level, member.tree_level, reason)
        )

    if plan.inactive_rule == PASS_UP:
        seated: list[ChainMember] = []
        for member in contiguous:
            if len(seated) == plan.levels:
                break
            if member.is_active:
                seated.append(member)
            else:
                skip(member, "inactive")
    else:
        seated = contiguous[: plan.levels]
    filled = len(seated)
    slot_rates = plan.slot_rates(filled)

    guaranteed_rates = dict(plan.guaranteed)
    on_guaranteed: dict[int, ChainMember] = {}
    for member in candidates:
        if member.tree_level in guaranteed_rates and member.tree_level not in on_guaranteed:
            on_guaranteed[member.tree_level] = member
    guaranteed_ids = {m.user_id for m in on_guaranteed.values()}
    window_slot = {m.user_id: slot for slot, m in enumerate(seated, start=1)}

    # (member, guaranteed part, top-up to the window rate, rule, detail)
    claims: list[tuple[ChainMember, Decimal, Decimal, str, dict]] = []
    for member in sorted(on_guaranteed.values(), key=lambda m: m.level):
        if not member.is_active:
            skip(member, "inactive")
            continue
        guaranteed_rate = guaranteed_rates[member.tree_level]
        detail = {"tree_level": member.tree_level}
        top_up = ZERO
        if member.user_id in window_slot:
            slot = window_slot[member.user_id]
            window_rate = slot_rates[slot - 1]
            detail.update(
                in_window_slot=slot, guaranteed_rate=guaranteed_rate, window_rate=window_rate
            )
            top_up = max(window_rate - guaranteed_rate, ZERO)
        claims.append((member, guaranteed_rate, top_up, "guaranteed", detail))
    for slot, member in enumerate(seated, start=1):
        if member.user_id in guaranteed_ids:
            continue
        if not member.is_active:
            skip(member, "inactive")  # forfeit: the slot's rate is not paid to anyone
            continue
        detail = {"slot": slot}
        if plan.mode == MATRIX:
            detail["row"] = filled
        claims.append((member, slot_rates[slot - 1], ZERO, plan.mode, detail))

    # The cap is consumed in this order: the guaranteed rates (they fit in the cap together,
    # validation sees to it, so a guaranteed member's higher window rate can never push another
    # guaranteed member below their own rate), then the guaranteed members' top-ups to their
    # window rate, then the window claims.
    portions = [(i, c[1]) for i, c in enumerate(claims) if c[3] == "guaranteed"]
    portions += [(i, c[2]) for i, c in enumerate(claims) if c[2] > 0]
    portions += [(i, c[1]) for i, c in enumerate(claims) if c[3] != "guaranteed"]
    remaining = plan.effective_cap
    granted = [ZERO] * len(claims)
    for i, portion in portions:
        part = min(portion, max(remaining, ZERO))
        granted[i] += part
        remaining -= part

    payouts: list[LinePayout] = []
    for (member, first, top_up, rule, detail), paid in zip(claims, granted, strict=True):
        rate = first + top_up
        if rate <= 0:
            skip(member, "zero_rate")
            continue
        if paid <= 0:
            skip(member, "cap_reached")
            continue
        if paid < rate:
            detail["capped_from"] = rate
        payouts.append(
            LinePayout(
                line_id=line.line_id,
                payee_id=member.user_id,
                level=member.level,
                tree_level=member.tree_level,
                base=base,
                rate=paid,
                amount=base * paid / HUNDRED,
                rule=rule,
                detail=detail,
            )
        )
    return LineResult(line.line_id, base, tuple(payouts), tuple(skipped))


def _attribute(payouts: list[LinePayout], total: Decimal, places: int) -> list[Decimal]:
    """Split a payee's rounded total back over their line payouts.

    Each line gets its exact amount rounded down, and the units still missing go one each to the
    lines with the largest dropped fractions (ties: lowest line id). The parts add up to the
    rounded total and each is within one unit of its exact amount.
    """
    unit = Decimal(1).scaleb(-places)
    parts = [round_money(p.amount, places=places, mode="down") for p in payouts]
    missing = int((total - sum(parts, ZERO)) / unit)
    if not 0 <= missing <= len(payouts):  # pragma: no cover - impossible for half_up and down
        raise ArithmeticError("rounding remainder out of range")
    order = sorted(
        range(len(payouts)), key=lambda i: (-(payouts[i].amount - parts[i]), payouts[i].line_id)
    )
    for i in order[:missing]:
        parts[i] += unit
    return parts


def settle_order(
    lines: Sequence[tuple[OrderLineInput, PlanRules]],
    uplines: Sequence[ChainMember],
    buyer: ChainMember | None = None,
) -> OrderResult:
    """All payouts of one order, rounded per payee per order.

    Exact amounts are summed per payee (and per rounding setting, should the order's lines follow
    plans that round differently), the sum is rounded once, and the rounded total is attributed
    back to the lines (see ``_attribute``).
    """
    results = [compute_line(line, plan, uplines, buyer) for line, plan in lines]
    rounding = {line.line_id: (plan.rounding_mode, plan.rounding_places) for line, plan in lines}
    groups: dict[tuple[int, str, int], list[LinePayout]] = defaultdict(list)
    for result in results:
        for payout in result.payouts:
            mode, places = rounding[payout.line_id]
            groups[(payout.payee_id, mode, places)].append(payout)

    rounded: list[RoundedPayout] = []
    payee_totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for (payee_id, mode, places), payouts in groups.items():
        total = round_money(sum((p.amount for p in payouts), ZERO), places=places, mode=mode)
        payee_totals[payee_id] += total
        for payout, amount in zip(payouts, _attribute(payouts, total, places), strict=True):
            rounded.append(RoundedPayout(payout, amount))
    rounded.sort(key=lambda r: (r.payout.line_id, r.payout.level, r.payout.payee_id))
    ordered_results = tuple(sorted(results, key=lambda r: r.line_id))
    return OrderResult(ordered_results, tuple(rounded), dict(payee_totals))


def preview_chain(
    buyer_uplines: int, inactive_tree_levels: Iterable[int] = ()
) -> tuple[list[ChainMember], ChainMember]:
    """A straight chain for the plan preview: the buyer has ``buyer_uplines`` uplines, the top one
    is the source (tree level 1). Members get ids equal to their tree level, the buyer included."""
    inactive = set(inactive_tree_levels)
    buyer_tree_level = buyer_uplines + 1
    uplines = [
        ChainMember(
            user_id=buyer_tree_level - level,
            level=level,
            tree_level=buyer_tree_level - level,
            is_active=(buyer_tree_level - level) not in inactive,
        )
        for level in range(1, buyer_uplines + 1)
    ]
    buyer = ChainMember(user_id=buyer_tree_level, level=0, tree_level=buyer_tree_level)
    return uplines, buyer
