"""Commission use cases: plans, assignments, plan choice at placement, settlement, release,
reversal. Each function is one transaction; the arithmetic is the engine's."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from fenrun.commissions import engine, selectors
from fenrun.commissions.events import CommissionReleased, CommissionReversed, CommissionsCreated
from fenrun.commissions.forms import PlanSpec
from fenrun.commissions.models import (
    Commission,
    CommissionPlan,
    CommissionSettings,
    OrderLinePlan,
    OrderSettlement,
    PlanAssignment,
    PlanGuaranteedLevel,
    PlanRate,
    PlanVersion,
)
from fenrun.commissions.rules import detail_for_storage
from fenrun.core import events
from fenrun.core.errors import ConflictError, DomainError, NotFoundError
from fenrun.core.money import ZERO
from fenrun.orders.models import Order, OrderLine
from fenrun.orders.status import OrderStatus

RELEASE_BATCH = 500
COMMISSION_BATCH = 1_000  # rows per INSERT; SQLite allows 32,766 parameters


class CommissionError(ConflictError):
    """A use case the current state refuses (the default plan, a plan orders used, an order
    not completed yet), with a message for the person who asked and a ``code``."""

    code = "commission_refused"


# -- plans ---------------------------------------------------------------------------------


def _same_rules(version: PlanVersion | None, rules: engine.PlanRules) -> bool:
    if version is None:
        return False
    from dataclasses import replace

    return replace(version.to_rules(), version_id=None) == replace(rules, version_id=None)


@transaction.atomic
def save_plan(*, spec: PlanSpec, actor=None, plan: CommissionPlan | None = None) -> CommissionPlan:
    """Create a plan, or edit one: a change of rules adds a version (old orders keep theirs)."""
    now = timezone.now()
    taken = CommissionPlan.objects.filter(name=spec.name)
    if plan is not None:
        taken = taken.exclude(pk=plan.pk)
    if taken.exists():
        raise DomainError(
            _("Another plan already has this name."), field="name", code="plan_name_taken"
        )
    if plan is None:
        plan = CommissionPlan.objects.create(name=spec.name, description=spec.description)
        current = None
    else:
        plan = CommissionPlan.objects.select_for_update().get(pk=plan.pk)
        plan.name, plan.description = spec.name, spec.description
        plan.save(update_fields=["name", "description", "updated_at"])
        current = (
            plan.versions.order_by("-number").prefetch_related("rates", "guaranteed_levels").first()
        )
    if spec.is_default and not plan.is_default:
        _make_default(plan)
    elif not spec.is_default and plan.is_default:
        plan.is_default = False
        plan.save(update_fields=["is_default", "updated_at"])

    rules = spec.rules
    if _same_rules(current, rules):
        return plan
    number = (plan.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = PlanVersion(
        plan=plan,
        number=number,
        mode=rules.mode,
        levels=rules.levels,
        cap=rules.cap,
        **rules.options(),
        note=spec.note,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    # validate_plan asks for the acknowledgement; without it the model and the database refuse.
    if rules.levels >= engine.LEGAL_WARNING_LEVELS and spec.legal_acknowledged:
        version.legal_acknowledged_by = version.created_by
        version.legal_acknowledged_at = now
    version.full_clean(exclude=["plan"])
    version.save()
    if rules.mode == engine.LEVELS:
        rate_rows = [
            PlanRate(version=version, row=0, level=k, rate=r) for k, r in enumerate(rules.rates, 1)
        ]
    else:
        rate_rows = [
            PlanRate(version=version, row=n, level=k, rate=r)
            for n, row in enumerate(rules.matrix, 1)
            for k, r in enumerate(row, 1)
        ]
    PlanRate.objects.bulk_create(rate_rows)
    PlanGuaranteedLevel.objects.bulk_create(
        PlanGuaranteedLevel(version=version, tree_level=t, rate=r) for t, r in rules.guaranteed
    )
    return plan


def _make_default(plan: CommissionPlan) -> None:
    # Lock the current default first so two staff switching at once cannot leave two defaults.
    list(CommissionPlan.objects.select_for_update().filter(is_default=True))
    CommissionPlan.objects.filter(is_default=True).exclude(pk=plan.pk).update(is_default=False)
    plan.is_default = True
    plan.save(update_fields=["is_default", "updated_at"])


@transaction.atomic
def set_default_plan(plan: CommissionPlan) -> CommissionPlan:
    plan = CommissionPlan.objects.select_for_update().get(pk=plan.pk)
    if not plan.versions.exists():
        raise CommissionError(
            _("A plan without rates cannot be the default."), code="plan_without_rates"
        )
    _make_default(plan)
    return plan


@transaction.atomic
def delete_plan(plan: CommissionPlan) -> None:
    """Only a plan no order has used, and not the default: past orders must keep their rules."""
    plan = CommissionPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.is_default:
        raise CommissionError(
            _("Choose another default plan before deleting this one."), code="default_plan"
        )
    used = OrderLinePlan.objects.filter(plan_version__plan=plan).exists() or (
        Commission.objects.filter(plan_version__plan=plan).exists()
    )
    if used:
        raise CommissionError(
            _("Orders have used this plan, so it is kept; remove its assignments instead."),
            code="plan_in_use",
        )
    plan.delete()


@transaction.atomic
def assign_plan(*, plan: CommissionPlan, target: str, obj) -> PlanAssignment:
    """Point a product, category, member or member group at ``plan`` (replacing another plan)."""
    if target not in PlanAssignment.Target.values:
        raise DomainError(
            _("Unknown assignment target."), field="target", code="unknown_assignment_target"
        )
    assignment, _created = PlanAssignment.objects.update_or_create(
        target=target, **{target: obj}, defaults={"plan": plan}
    )
    return assignment


@transaction.atomic
def remove_assignment(assignment: PlanAssignment) -> None:
    assignment.delete()


@transaction.atomic
def update_settings(*, automatic: bool, hold_days: int) -> CommissionSettings:
    current = CommissionSettings.load()
    current.automatic, current.hold_days = automatic, hold_days
    current.full_clean()
    current.save()
    return current


# -- order placement -------------------------------------------------------------------------


def record_line_plans(order_id: int) -> list[OrderLinePlan]:
    """Store which plan version applies to each line of an order, as of now (placement)."""
    with transaction.atomic():
        choices = selectors.resolve_line_plans(order_id)
        if not choices:
            return []
        rows = [
            OrderLinePlan(order_line_id=line_id, plan_version_id=version_id, source=source)
            for line_id, (version_id, source) in choices.items()
        ]
        # ignore_conflicts: a line that already has its plan keeps it (never re-decided).
        OrderLinePlan.objects.bulk_create(rows, ignore_conflicts=True)
        return rows


# -- settlement ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettlementResult:
    settlement: OrderSettlement
    created: bool
    commissions: list[Commission]


@dataclass(frozen=True)
class BatchSettlement:
    """What ``settle_orders`` did: new settlements, orders settled before, orders not completed."""

    created: dict[int, SettlementResult]
    existing: dict[int, OrderSettlement]
    not_completed: list[int]
    missing: list[int]


def settle_orders(
    order_ids, *, actor=None, automatic: bool = False, now: datetime | None = None
) -> BatchSettlement:
    """Compute and store the commissions of many orders, each once, in one transaction.

    The orders are locked (in id order, so two batches never deadlock) and their settlement
    rows checked under the lock: a second call, in this process or another, concurrently or
    later, finds them and changes nothing. The unique order key on settlements and the unique
    (order line, payee) key on commissions back this up in the database. Orders that are not
    completed are reported, not settled. The queries do not grow with the number of orders.
    """
    now = now or timezone.now()
    ids = sorted({int(i) for i in order_ids})
    with transaction.atomic():
        orders = {
            order.pk: order
            for order in Order.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        }
        existing = {
            s.order_id: s for s in OrderSettlement.objects.filter(order_id__in=list(orders))
        }
        not_completed = [
            pk
            for pk, order in orders.items()
            if pk not in existing and order.status != OrderStatus.COMPLETED
        ]
        todo = [orders[pk] for pk in orders if pk not in existing and pk not in not_completed]
        result = BatchSettlement({}, existing, not_completed, [i for i in ids if i not in orders])
        if not todo:
            return result
        # Lines placed before any plan existed get today's plan.
        unplanned = set(
            OrderLine.objects.filter(
                order_id__in=[o.pk for o in todo], commission_plan__isnull=True
            ).values_list("order_id", flat=True)
        )
        for order_id in sorted(unplanned):
            record_line_plans(order_id)
        calculations = selectors.calculate_orders(todo)
        hold_days = CommissionSettings.load().hold_days
        created_by = actor if getattr(actor, "pk", None) else None
        settlements = OrderSettlement.objects.bulk_create(
            OrderSettlement(
                order_id=order.pk,
                referrer_id=calculations[order.pk].referrer_id,
                total=sum(
                    (r.amount for r in calculations[order.pk].result.payouts if r.amount > 0),
                    ZERO,
                ),
                automatic=automatic,
                created_by=created_by,
            )
            for order in todo
        )
        commissions_of: dict[int, list[Commission]] = {}
        released = []
        for order, settlement in zip(todo, settlements, strict=True):
            calculation = calculations[order.pk]
            available_at = (order.completed_at or now) + timedelta(days=hold_days)
            available_now = available_at <= now
            rows = [
                Commission(
                    order_id=order.pk,
                    order_line_id=rounded.payout.line_id,
                    settlement=settlement,
                    plan_version_id=calculation.version_of_line[rounded.payout.line_id],
                    payee_id=rounded.payout.payee_id,
                    level=rounded.payout.level,
                    tree_level=rounded.payout.tree_level,
                    base=rounded.payout.base,
                    rate=rounded.payout.rate,
                    exact_amount=rounded.payout.amount,
                    amount=rounded.amount,
                    rule=rounded.payout.rule,
                    rule_detail=detail_for_storage(rounded.payout.detail),
                    status=(
                        Commission.Status.AVAILABLE if available_now else Commission.Status.PENDING
                    ),
                    available_at=available_at,
                    released_at=now if available_now else None,
                )
                for rounded in calculation.result.payouts
                if rounded.amount > 0
            ]
            commissions_of[order.pk] = rows
            if available_now:
                released += rows
        Commission.objects.bulk_create(
            [c for rows in commissions_of.values() for c in rows], batch_size=COMMISSION_BATCH
        )
        created_ids = tuple(c.pk for rows in commissions_of.values() for c in rows)
        if created_ids:
            events.publish(CommissionsCreated(commission_ids=created_ids))
        for commission in released:
            events.publish(
                CommissionReleased(
                    commission_id=commission.pk,
                    payee_id=commission.payee_id,
                    amount=commission.amount,
                )
            )
        for settlement in settlements:
            result.created[settlement.order_id] = SettlementResult(
                settlement, True, commissions_of[settlement.order_id]
            )
        return result


def create_commissions_for_order(
    order_id: int, *, actor=None, automatic: bool = False, now: datetime | None = None
) -> SettlementResult:
    """Compute and store one order's commissions, once (see ``settle_orders``)."""
    batch = settle_orders([order_id], actor=actor, automatic=automatic, now=now)
    if batch.missing:
        raise NotFoundError(_("No such order."))
    if batch.not_completed:
        raise CommissionError(
            _("Commissions are created only for completed orders."), code="order_not_completed"
        )
    if order_id in batch.existing:
        settlement = batch.existing[order_id]
        return SettlementResult(settlement, False, list(settlement.commissions.all()))
    return batch.created[order_id]


def release_due_commissions(*, now: datetime | None = None, batch_size: int = RELEASE_BATCH) -> int:
    """Make pending commissions whose hold period is over available; return how many.

    Batches of ``batch_size`` rows, each its own transaction, locked with SKIP LOCKED where the
    database has it, so two schedulers running at once release each commission once.
    """
    now = now or timezone.now()
    released = 0
    while True:
        with transaction.atomic():
            due = Commission.objects.filter(
                status=Commission.Status.PENDING, available_at__lte=now
            ).order_by("available_at", "id")
            rows = list(
                due.select_for_update(skip_locked=True).values_list("id", "payee_id", "amount")[
                    :batch_size
                ]
            )
            if not rows:
                return released
            ids = [row[0] for row in rows]
            # The status condition makes a commission reversed in the meantime stay reversed.
            updated = Commission.objects.filter(
                id__in=ids, status=Commission.Status.PENDING
            ).update(status=Commission.Status.AVAILABLE, released_at=now)
            if updated != len(ids):
                raise CommissionError(
                    "commissions changed while being released", code="release_race"
                )
            for commission_id, payee_id, amount in rows:
                events.publish(
                    CommissionReleased(
                        commission_id=commission_id, payee_id=payee_id, amount=amount
                    )
                )
            released += len(rows)


def reverse_commissions_for_order(order_id: int, *, now: datetime | None = None) -> int:
    """Claw back every commission of an order (refund or return); return how many.

    Pending ones simply never pay; available ones tell the wallet, which takes the coins back
    (or records a debt when they were spent).
    """
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Commission.objects.select_for_update()
            .filter(order_id=order_id)
            .exclude(status=Commission.Status.REVERSED)
            .order_by("id")
            .values_list("id", "payee_id", "amount", "status")
        )
        if not rows:
            return 0
        Commission.objects.filter(id__in=[r[0] for r in rows]).update(
            status=Commission.Status.REVERSED, reversed_at=now
        )
        OrderSettlement.objects.filter(order_id=order_id, reversed_at__isnull=True).update(
            reversed_at=now
        )
        for commission_id, payee_id, amount, status in rows:
            events.publish(
                CommissionReversed(
                    commission_id=commission_id,
                    payee_id=payee_id,
                    amount=amount,
                    was_released=status == Commission.Status.AVAILABLE,
                )
            )
        return len(rows)
