"""Reads shared by the services, pages and API: plan choice, the chain, commission lists."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
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
from fenrun.orders.models import Order, OrderLine

# How far up the chain is read. 20 covers the largest window; pass-up may have to step over
# inactive members, so it reads further.
CHAIN_DEPTH = 20
CHAIN_DEPTH_PASS_UP = 40


# -- referral tree (contract with fenrun.referrals.selectors) -------------------------------


def order_referrer_id(order_id: int) -> int | None:
    try:
        from fenrun.referrals import selectors as referral_selectors
    except ModuleNotFoundError as exc:  # a shop without the referrals app refers nobody
        if exc.name != "fenrun.referrals.selectors":
            raise
        return None
    return referral_selectors.order_referrer_id(order_id)


def load_chain(
    referrer_id: int, *, depth: int = CHAIN_DEPTH, guaranteed_tree_levels: set[int] = frozenset()
) -> list[engine.ChainMember]:
    """The order's referrer (level 1) and their uplines, plus any member on a guaranteed tree
    level above what was read."""
    from fenrun.referrals import selectors as referral_selectors

    user = (
        get_user_model()
        .objects.filter(pk=referrer_id)
        .values("is_active", "is_banned", "group_id")
        .first()
    )
    if user is None:
        return []
    uplines = sorted(
        referral_selectors.upline_chain(referrer_id, limit=depth), key=lambda u: u.level
    )
    referrer_tree_level = uplines[0].tree_level + 1 if uplines else 1
    chain = [
        engine.ChainMember(
            user_id=referrer_id,
            level=1,
            tree_level=referrer_tree_level,
            group_id=user["group_id"],
            is_active=user["is_active"] and not user["is_banned"],
        )
    ]
    chain += [
        engine.ChainMember(u.user_id, u.level + 1, u.tree_level, u.group_id, u.is_active)
        for u in uplines
    ]
    if guaranteed_tree_levels and len(uplines) >= depth:
        have = {m.tree_level for m in chain}
        missing = {t for t in guaranteed_tree_levels if t < referrer_tree_level and t not in have}
        if missing:
            far = referral_selectors.uplines_at_tree_levels(referrer_id, missing)
            chain += [
                engine.ChainMember(u.user_id, u.level + 1, u.tree_level, u.group_id, u.is_active)
                for u in far
            ]
    return chain


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


def calculate_order(order: Order) -> OrderCalculation:
    """What the order's stored plan versions pay along its referrer's chain (nothing written)."""
    referrer_id = order_referrer_id(order.pk)
    if referrer_id is None:
        return OrderCalculation(None, EMPTY_RESULT)
    line_plans = list(
        OrderLinePlan.objects.filter(order_line__order_id=order.pk)
        .select_related("plan_version")
        .prefetch_related("plan_version__rates", "plan_version__guaranteed_levels")
    )
    if not line_plans:
        return OrderCalculation(referrer_id, EMPTY_RESULT)
    rules_by_version = {}
    for lp in line_plans:
        if lp.plan_version_id not in rules_by_version:
            rules_by_version[lp.plan_version_id] = lp.plan_version.to_rules()
    version_of_line = {lp.order_line_id: lp.plan_version_id for lp in line_plans}

    lines = order.lines.values_list(
        "id", "line_total", "discount", "product_id", "category_id_snapshot"
    )
    inputs = engine.order_line_inputs(
        list(lines),
        discount_total=order.discount_total,
        shipping_fee=order.shipping_fee,
        credit_used=order.credit_used,
    )
    all_rules = list(rules_by_version.values())
    pass_up = any(r.inactive_rule == engine.PASS_UP for r in all_rules)
    guaranteed = {t for r in all_rules for t, _rate in r.guaranteed}
    chain = load_chain(
        referrer_id,
        depth=CHAIN_DEPTH_PASS_UP if pass_up else CHAIN_DEPTH,
        guaranteed_tree_levels=guaranteed,
    )
    buyer = None
    if order.user_id is not None and chain and any(r.self_pay for r in all_rules):
        user = (
            get_user_model()
            .objects.filter(pk=order.user_id)
            .values("is_active", "is_banned", "group_id")
            .first()
        )
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
    return OrderCalculation(referrer_id, result, version_of_line, tuple(chain))


# -- pages and API ---------------------------------------------------------------------------


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


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


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
        qs = qs.filter(created_at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(created_at__lt=_day_start(date_to) + timedelta(days=1))
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
    inactive_tree_levels=(),
) -> engine.OrderResult:
    """ "An order of NT$``amount`` by a member with ``buyer_level`` uplines": the engine's answer
    on a straight chain whose top is the source (tree level 1)."""
    uplines, buyer = engine.preview_chain(buyer_level, inactive_tree_levels)
    line = engine.OrderLineInput(line_id=1, goods=amount, shipping=shipping, credit=credit)
    return engine.settle_order([(line, rules)], uplines, buyer)


def pending_total(user_id: int) -> Decimal:
    """A member's commissions still in their hold period (the wallet shows it as pending coins)."""
    total = Commission.objects.filter(payee_id=user_id, status=Commission.Status.PENDING).aggregate(
        total=Sum("amount")
    )["total"]
    return total or ZERO
