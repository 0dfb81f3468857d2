"""Reads shared by the services, pages and API: plan choice, the chain, commission lists."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum
from django.utils import timezone

from fenrun.catalog.models import Category
from fenrun.commissions import engine
from fenrun.commissions.models import (
    Commission,
    CommissionPlan,
    OrderLinePlan,
    PlanAssignment,
    PlanVersion,
)
from fenrun.core.money import ZERO
from fenrun.core.periods import day_after, day_start
from fenrun.orders.models import Order, OrderLine
from fenrun.orders.status import OrderStatus

# How far up the chain is read: the largest window. Pass-up may have to step over inactive
# members, so it reads twice as far (a longer run of inactive uplines ends the window early).
CHAIN_DEPTH = engine.MAX_LEVELS
CHAIN_DEPTH_PASS_UP = 2 * engine.MAX_LEVELS


# -- referral tree (contract with fenrun.referrals.selectors) -------------------------------


def order_referrer_id(order_id: int) -> int | None:
    return order_referrer_ids([order_id]).get(order_id)


def order_referrer_ids(order_ids) -> dict[int, int]:
    try:
        from fenrun.referrals import selectors as referral_selectors
    except ModuleNotFoundError as exc:  # a shop without the referrals app refers nobody
        if exc.name != "fenrun.referrals.selectors":
            raise
        return {}
    return referral_selectors.order_referrer_ids(order_ids)


def load_chains(
    referrer_ids, *, depth: int = CHAIN_DEPTH, guaranteed_tree_levels=frozenset()
) -> dict[int, list[engine.ChainMember]]:
    """Each referrer (level 1) and up to ``depth`` of their uplines, plus any member on a
    guaranteed tree level above that: {referrer id: chain}. Two queries for any number."""
    from fenrun.referrals import selectors as referral_selectors

    chains = referral_selectors.chains_of(
        referrer_ids, limit=depth, tree_levels=guaranteed_tree_levels
    )
    return {
        referrer_id: [
            engine.ChainMember(u.user_id, u.level + 1, u.tree_level, u.group_id, u.is_active)
            for u in members
        ]
        for referrer_id, members in chains.items()
    }


def load_chain(
    referrer_id: int, *, depth: int = CHAIN_DEPTH, guaranteed_tree_levels=frozenset()
) -> list[engine.ChainMember]:
    return load_chains(
        [referrer_id], depth=depth, guaranteed_tree_levels=guaranteed_tree_levels
    ).get(referrer_id, [])


# -- plan choice ---------------------------------------------------------------------------


def _current_versions(plan_ids) -> dict[int, int]:
    """plan id → id of its latest version (plans without a version are left out)."""
    latest: dict[int, tuple[int, int]] = {}
    for plan_id, number, version_id in PlanVersion.objects.filter(plan_id__in=plan_ids).values_list(
        "plan_id", "number", "id"
    ):
        if plan_id not in latest or number > latest[plan_id][0]:
            latest[plan_id] = (number, version_id)
    return {plan_id: version_id for plan_id, (_n, version_id) in latest.items()}


def resolve_line_plans(order_id: int) -> dict[int, tuple[int, str]]:
    """line id → (plan version id, source) for the lines of an order that have none yet.

    Precedence: product > category (the nearest assigned one up the category tree) > the
    buyer's sponsor's plan (the order's referrer) > the buyer's member group > the default.
    """
    lines = list(
        OrderLine.objects.filter(order_id=order_id, commission_plan__isnull=True).values_list(
            "id", "product_id", "category_id_snapshot"
        )
    )
    if not lines:
        return {}
    assignments = list(
        PlanAssignment.objects.values_list(
            "target", "plan_id", "product_id", "category_id", "member_id", "group_id"
        )
    )
    default_plan = (
        CommissionPlan.objects.filter(is_default=True).values_list("id", flat=True).first()
    )
    if not assignments and default_plan is None:
        return {}
    by_product = {p: plan for t, plan, p, c, m, g in assignments if t == "product"}
    by_category = {c: plan for t, plan, p, c, m, g in assignments if t == "category"}
    by_member = {m: plan for t, plan, p, c, m, g in assignments if t == "member"}
    by_group = {g: plan for t, plan, p, c, m, g in assignments if t == "group"}

    parents = dict(Category.objects.values_list("id", "parent_id")) if by_category else {}
    sponsor_plan = None
    if by_member:
        referrer = order_referrer_id(order_id)
        sponsor_plan = by_member.get(referrer)
    group_plan = None
    if by_group:
        group_id = (
            Order.objects.filter(pk=order_id).values_list("user__group_id", flat=True).first()
        )
        group_plan = by_group.get(group_id)

    chosen: dict[int, tuple[int, str]] = {}
    for line_id, product_id, category_id in lines:
        choice = None
        if product_id in by_product:
            choice = (by_product[product_id], OrderLinePlan.Source.PRODUCT)
        if choice is None and by_category:
            node, seen = category_id, set()
            while node is not None and node not in seen:
                if node in by_category:
                    choice = (by_category[node], OrderLinePlan.Source.CATEGORY)
                    break
                seen.add(node)
                node = parents.get(node)
        if choice is None and sponsor_plan is not None:
            choice = (sponsor_plan, OrderLinePlan.Source.SPONSOR)
        if choice is None and group_plan is not None:
            choice = (group_plan, OrderLinePlan.Source.GROUP)
        if choice is None and default_plan is not None:
            choice = (default_plan, OrderLinePlan.Source.DEFAULT)
        if choice is not None:
            chosen[line_id] = choice
    versions = _current_versions({plan for plan, _source in chosen.values()})
    return {
        line_id: (versions[plan], source)
        for line_id, (plan, source) in chosen.items()
        if plan in versions
    }


# -- calculation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderCalculation:
    referrer_id: int | None
    result: engine.OrderResult
    version_of_line: dict[int, int] = field(default_factory=dict)
    chain: tuple[engine.ChainMember, ...] = ()


EMPTY_RESULT = engine.OrderResult(lines=(), payouts=(), payee_totals={})


# Plan versions never change once written (PlanVersion.save refuses, rates are read-only), so
# their engine rules are kept for the life of the process. The key includes the creation time:
# a rolled-back transaction can hand the same id to another version (SQLite reuses it).
_RULES_CACHE: dict[tuple[int, datetime], engine.PlanRules] = {}
_RULES_CACHE_LIMIT = 1_000


def plan_rules(keys) -> dict[int, engine.PlanRules]:
    """{version id: rules} for (version id, created_at) pairs; one query for those not cached."""
    keys = set(keys)
    missing = [
        version_id for version_id, created in keys if (version_id, created) not in _RULES_CACHE
    ]
    if missing:
        if len(_RULES_CACHE) > _RULES_CACHE_LIMIT:
            _RULES_CACHE.clear()
        for version in PlanVersion.objects.filter(pk__in=missing).prefetch_related(
            "rates", "guaranteed_levels"
        ):
            _RULES_CACHE[(version.pk, version.created_at)] = version.to_rules()
    return {version_id: _RULES_CACHE[(version_id, created)] for version_id, created in keys}


def _chain_for(
    chain: list[engine.ChainMember], depth: int, guaranteed: set[int]
) -> list[engine.ChainMember]:
    return [m for m in chain if m.level <= depth + 1 or m.tree_level in guaranteed]


def credit_on_shipping(order: Order) -> Decimal:
    """The part of the order's shopping credit that paid shipping (the rest paid goods), as the
    wallet's setting allowed when the order was placed; the commission base takes the credit
    off what it paid for."""
    return order.credit_on_shipping


def calculate_orders(orders) -> dict[int, OrderCalculation]:
    """What each order's stored plan versions pay along its referrer's chain (nothing written).

    A fixed number of queries for any number of orders: referrers, lines with their plan
    versions, plan rules not yet cached, the chains, and the buyers when a plan pays them.
    """
    orders = {order.pk: order for order in orders}
    if not orders:
        return {}
    referrers = order_referrer_ids(orders)
    results = {pk: OrderCalculation(referrers.get(pk), EMPTY_RESULT) for pk in orders}
    referred = [pk for pk in orders if pk in referrers]
    if not referred:
        return results
    rows = list(
        # Every line, with or without a plan: order-level discounts, shipping and credit are
        # shared over all of them.
        OrderLine.objects.filter(order_id__in=referred)
        .order_by("id")
        .values_list(
            "order_id",
            "id",
            "line_total",
            "discount",
            "product_id",
            "category_id_snapshot",
            "commission_plan__plan_version_id",
            "commission_plan__plan_version__created_at",
        )
    )
    rules_by_version = plan_rules((row[6], row[7]) for row in rows if row[6] is not None)
    lines_of: dict[int, list[tuple]] = {}
    for row in rows:
        lines_of.setdefault(row[0], []).append(row[1:])

    needs: dict[int, tuple[int, set[int], bool]] = {}  # order → (chain depth, guaranteed, self pay)
    for pk, lines in lines_of.items():
        rules = {rules_by_version[line[5]] for line in lines if line[5] is not None}
        if not rules:
            continue
        pass_up = any(r.inactive_rule == engine.PASS_UP for r in rules)
        needs[pk] = (
            CHAIN_DEPTH_PASS_UP if pass_up else CHAIN_DEPTH,
            {t for r in rules for t, _rate in r.guaranteed},
            any(r.self_pay for r in rules),
        )
    if not needs:
        return results
    chains = load_chains(
        {referrers[pk] for pk in needs},
        depth=max(depth for depth, _g, _s in needs.values()),
        guaranteed_tree_levels=set().union(*(g for _d, g, _s in needs.values())),
    )
    buyer_ids = {orders[pk].user_id for pk, (_d, _g, self_pay) in needs.items() if self_pay}
    buyers = {
        row["pk"]: row
        for row in get_user_model()
        .objects.filter(pk__in=buyer_ids - {None})
        .values("pk", "is_active", "is_banned", "group_id")
    }
    for pk, (depth, guaranteed, self_pay) in needs.items():
        order = orders[pk]
        lines = lines_of[pk]
        chain = _chain_for(chains.get(referrers[pk], []), depth, guaranteed)
        inputs = engine.order_line_inputs(
            [line[:5] for line in lines],
            discount_total=order.discount_total,
            shipping_fee=order.shipping_fee,
            credit_used=order.credit_used,
            credit_on_shipping=credit_on_shipping(order),
        )
        version_of_line = {line[0]: line[5] for line in lines if line[5] is not None}
        buyer = None
        user = buyers.get(order.user_id) if self_pay else None
        if user is not None and chain:
            buyer = engine.ChainMember(
                user_id=order.user_id,
                level=0,
                tree_level=chain[0].tree_level + 1,
                group_id=user["group_id"],
                is_active=user["is_active"] and not user["is_banned"],
            )
        pairs = [
            (line, rules_by_version[version_of_line[line.line_id]])
            for line in inputs
            if line.line_id in version_of_line
        ]
        result = engine.settle_order(pairs, chain, buyer)
        results[pk] = OrderCalculation(referrers[pk], result, version_of_line, tuple(chain))
    return results


def calculate_order(order: Order) -> OrderCalculation:
    """What the order's stored plan versions pay along its referrer's chain (nothing written)."""
    return calculate_orders([order])[order.pk]


# -- pages and API ---------------------------------------------------------------------------


def unsettled_completed_orders():
    """Completed orders whose commissions were never created, oldest completion first."""
    return (
        Order.objects.filter(status=OrderStatus.COMPLETED, commission_settlement__isnull=True)
        .select_related("user")
        .order_by("completed_at", "id")
    )


def plans_with_current_versions():
    plans = list(
        CommissionPlan.objects.annotate(
            assignment_count=Count("assignments", distinct=True),
            version_count=Count("versions", distinct=True),
        ).order_by("-is_default", "name", "id")
    )
    current = _current_versions([p.pk for p in plans])
    versions = {
        v.pk: v
        for v in PlanVersion.objects.filter(pk__in=current.values()).prefetch_related(
            "rates", "guaranteed_levels"
        )
    }
    for plan in plans:
        plan._current_version = versions.get(current.get(plan.pk))
    return plans


def plan_versions(plan: CommissionPlan):
    return plan.versions.select_related("created_by", "legal_acknowledged_by").prefetch_related(
        "rates", "guaranteed_levels"
    )


def plan_assignments(plan: CommissionPlan):
    return plan.assignments.select_related("product", "category", "member", "group")


def order_commissions(order_id: int):
    return (
        Commission.objects.filter(order_id=order_id)
        .select_related("payee", "order_line", "plan_version__plan")
        .order_by("order_line_id", "level", "id")
    )


def order_line_plans(order_id: int) -> dict[int, OrderLinePlan]:
    return {
        lp.order_line_id: lp
        for lp in OrderLinePlan.objects.filter(order_line__order_id=order_id).select_related(
            "plan_version__plan"
        )
    }


def member_commissions(
    user_id: int,
    *,
    status: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
):
    """A member's own commissions, newest first; dates are local calendar days, inclusive."""
    qs = Commission.objects.filter(payee_id=user_id)
    if status:
        qs = qs.filter(status=status)
    if date_from:
        qs = qs.filter(created_at__gte=day_start(date_from))
    if date_to:
        qs = qs.filter(created_at__lt=day_after(date_to))
    return qs.select_related("order", "order_line").order_by("-created_at", "-id")


def member_commission_totals(user_id: int) -> dict[str, Decimal]:
    rows = (
        Commission.objects.filter(payee_id=user_id)
        .values("status")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    totals = {status: ZERO for status in Commission.Status.values}
    for row in rows:
        totals[row["status"]] = row["total"] or ZERO
    return totals


def assignment_summary() -> dict[str, int]:
    """How many assignments of each kind exist (for the precedence box)."""
    counts = PlanAssignment.objects.values("target").annotate(n=Count("id")).order_by()
    return {row["target"]: row["n"] for row in counts}


def pending_due_count(now: datetime | None = None) -> int:
    now = now or timezone.now()
    return Commission.objects.filter(
        Q(status=Commission.Status.PENDING) & Q(available_at__lte=now)
    ).count()


def preview(
    rules: engine.PlanRules,
    *,
    amount: Decimal,
    buyer_level: int,
    shipping: Decimal = ZERO,
    credit: Decimal = ZERO,
    credit_covers_shipping: bool = False,
    inactive_tree_levels=(),
) -> engine.OrderResult:
    """ "An order of NT$``amount`` by a member with ``buyer_level`` uplines": the engine's answer
    on a straight chain whose top is the source (tree level 1). The credit pays goods only, or
    goods and shipping in proportion when ``credit_covers_shipping`` (the wallet's setting)."""
    uplines, buyer = engine.preview_chain(buyer_level, inactive_tree_levels)
    on_shipping = (
        engine.credit_on_shipping_share(credit, amount, shipping)
        if credit_covers_shipping
        else ZERO
    )
    [line] = engine.order_line_inputs(
        [(1, amount, ZERO, None, None)],
        shipping_fee=shipping,
        credit_used=credit,
        credit_on_shipping=on_shipping,
    )
    return engine.settle_order([(line, rules)], uplines, buyer)


def pending_total(user_id: int) -> Decimal:
    """A member's commissions still in their hold period (the wallet shows it as pending coins)."""
    total = Commission.objects.filter(payee_id=user_id, status=Commission.Status.PENDING).aggregate(
        total=Sum("amount")
    )["total"]
    return total or ZERO
