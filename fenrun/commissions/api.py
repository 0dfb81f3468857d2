"""Commissions over JSON: plans (staff CRUD), an order's commissions, a member's own.

Who may call what is declared on each operation (``x-access`` in the OpenAPI document):
- plans, their assignments, the preview and the settings: staff who manage plans
  (``core.manage_plans``); an integrator key with ``commissions.read`` may read plans;
- an order's commissions, by the order's id or its number: staff who settle commissions or read
  reports, and an integrator key with ``commissions.read`` for the orders it pushed (its
  source); creating them by hand: staff who settle commissions;
- a logged-in member reads their own commissions.

Plan input goes through ``engine.validate_plan``, as the back-office form does: problems come
back as 422 with ``errors`` keyed by the payload's path (``rates.2``, ``matrix.1.0``,
``guaranteed.0.rate``). Refusals of the services (409) reach the client through the one
``DomainError`` handler.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from fenrun.commissions import engine, selectors, services
from fenrun.commissions.forms import PlanSpec, PreviewForm, problems_by_path
from fenrun.commissions.models import (
    CommissionPlan,
    CommissionSettings,
    OrderSettlement,
    PlanAssignment,
    PlanVersion,
)
from fenrun.commissions.presentation import preview_rows
from fenrun.core.api_errors import ApiError, errors
from fenrun.core.auth import is_integrator
from fenrun.core.errors import DomainError
from fenrun.core.paging import LimitOffsetPage
from fenrun.core.periods import EARLIEST, LATEST
from fenrun.core.permissions import Capability, member_only, staff_only
from fenrun.core.schemas import Id, InputSchema
from fenrun.core.scopes import Scope
from fenrun.orders.models import Order

router = Router(tags=["commissions"])

PLANS = Capability.MANAGE_PLANS
SETTLE = Capability.SETTLE_COMMISSIONS


# -- plans -----------------------------------------------------------------------------------


class GuaranteedIn(InputSchema):
    tree_level: int = Field(..., description="Absolute tree level; the roots are 1.", examples=[1])
    rate: Decimal = Field(..., description="Percent, up to two decimals.", examples=["1"])


class PlanIn(InputSchema):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        ..., max_length=80, examples=["推薦獎金（兩層）"]
    )
    description: str = Field("", max_length=2000)
    is_default: bool = False
    mode: Literal["levels", "matrix"] = Field(
        "levels",
        description="levels: one rate per level in `rates`; matrix: `matrix[n-1]` holds the "
        "rates by level for a buyer with n uplines inside the window.",
    )
    rates: list[Decimal] = Field(default_factory=list, examples=[["15", "10", "5"]])
    matrix: list[list[Decimal]] = Field(default_factory=list, examples=[[["5"], ["3", "4"]]])
    cap: Decimal | None = Field(None, description="Most one order line pays, in % of its base.")
    include_shipping: bool = False
    include_credit: bool = False
    inactive_rule: Literal["pass_up", "forfeit"] = "pass_up"
    self_pay: bool = False
    rounding_mode: Literal["half_up", "down"] = "half_up"
    rounding_places: Literal[0, 2] = 0
    guaranteed: list[GuaranteedIn] = Field(default_factory=list)
    legal_acknowledged: bool = Field(
        False, description="Required for plans of three or more levels (direct selling)."
    )
    note: str = Field("", max_length=200)


class GuaranteedOut(Schema):
    tree_level: int
    rate: Decimal


class AssignmentOut(Schema):
    id: int
    target: str
    product_id: int | None
    category_id: int | None
    member_id: int | None
    group_id: int | None


class PlanOut(Schema):
    id: int
    name: str
    description: str
    is_default: bool
    version: int | None
    version_id: int | None
    mode: str | None
    levels: int | None
    rates: list[Decimal]
    matrix: list[list[Decimal]]
    cap: Decimal | None
    include_shipping: bool | None
    include_credit: bool | None
    inactive_rule: str | None
    self_pay: bool | None
    rounding_mode: str | None
    rounding_places: int | None
    guaranteed: list[GuaranteedOut]
    legal_acknowledged_by_id: int | None
    legal_acknowledged_at: datetime | None
    assignments: list[AssignmentOut]


def _plan_out(plan: CommissionPlan, assignments: list | None = None) -> dict:
    version: PlanVersion | None = plan.current_version
    out = {
        "id": plan.pk,
        "name": plan.name,
        "description": plan.description,
        "is_default": plan.is_default,
        "assignments": list(plan.assignments.all()) if assignments is None else assignments,
        "version": None,
        "version_id": None,
        "mode": None,
        "levels": None,
        "rates": [],
        "matrix": [],
        "cap": None,
        "include_shipping": None,
        "include_credit": None,
        "inactive_rule": None,
        "self_pay": None,
        "rounding_mode": None,
        "rounding_places": None,
        "guaranteed": [],
        "legal_acknowledged_by_id": None,
        "legal_acknowledged_at": None,
    }
    if version is not None:
        rules = version.to_rules()
        out.update(
            version=version.number,
            version_id=version.pk,
            mode=rules.mode,
            levels=rules.levels,
            rates=list(rules.rates),
            matrix=[list(row) for row in rules.matrix],
            cap=rules.cap,
            **rules.options(),
            guaranteed=[{"tree_level": t, "rate": r} for t, r in rules.guaranteed],
            legal_acknowledged_by_id=version.legal_acknowledged_by_id,
            legal_acknowledged_at=version.legal_acknowledged_at,
        )
    return out


def _valid_rules(payload: PlanIn, *, preview: bool = False) -> engine.PlanRules:
    """The payload's rules, or a 422 with every problem validate_plan finds."""
    draft = engine.PlanDraft(
        mode=payload.mode,
        rates=payload.rates,
        matrix=payload.matrix,
        cap=payload.cap,
        guaranteed=[(g.tree_level, g.rate) for g in payload.guaranteed],
        # A preview saves nothing, so it needs no acknowledgement.
        legal_acknowledged=preview or payload.legal_acknowledged,
    )
    problems = engine.validate_plan(draft)
    if problems:
        list_key = "rates" if payload.mode == engine.LEVELS else "matrix"
        raise DomainError(
            _("Invalid input: nothing was saved."),
            errors=problems_by_path(problems, lambda path: list_key if path == "levels" else path),
            code="invalid_plan",
        )
    options = {name: getattr(payload, name) for name in engine.PlanRules.OPTIONS}
    return engine.rules_from_draft(draft, **options)


def plan_spec(payload: PlanIn) -> PlanSpec:
    return PlanSpec(
        name=payload.name,
        description=payload.description,
        is_default=payload.is_default,
        rules=_valid_rules(payload),
        legal_acknowledged=payload.legal_acknowledged,
        note=payload.note,
    )


def _plans_queryset():
    return CommissionPlan.objects.prefetch_related("assignments")


@router.get(
    "/plans",
    response={200: list[PlanOut], **errors(401, 403, 422)},
    summary="List commission plans",
    **staff_only(PLANS, scope=Scope.COMMISSIONS_READ),
)
@paginate(LimitOffsetPage)
def list_plans(request):
    plans = selectors.plans_with_current_versions()
    assignments: dict[int, list] = {}
    for a in PlanAssignment.objects.all():
        assignments.setdefault(a.plan_id, []).append(a)
    # A handful of plans: built whole, paged like every list.
    return [_plan_out(plan, assignments.get(plan.pk, [])) for plan in plans]


@router.post(
    "/plans",
    response={201: PlanOut, **errors(401, 403, 409, 422)},
    summary="Create a plan",
    **staff_only(PLANS),
)
def create_plan(request, payload: PlanIn):
    plan = services.save_plan(spec=plan_spec(payload), actor=request.auth)
    return Status(201, _plan_out(_plans_queryset().get(pk=plan.pk)))


@router.get(
    "/plans/{id:plan_id}",
    response={200: PlanOut, **errors(401, 403, 404)},
    summary="Read a plan",
    **staff_only(PLANS, scope=Scope.COMMISSIONS_READ),
)
def get_plan(request, plan_id: Id):
    return _plan_out(get_object_or_404(_plans_queryset(), pk=plan_id))


@router.put(
    "/plans/{id:plan_id}",
    response={200: PlanOut, **errors(401, 403, 404, 409, 422)},
    summary="Change a plan (changed rules add a version; past orders keep theirs)",
    **staff_only(PLANS),
)
def update_plan(request, plan_id: Id, payload: PlanIn):
    plan = get_object_or_404(CommissionPlan, pk=plan_id)
    services.save_plan(spec=plan_spec(payload), actor=request.auth, plan=plan)
    return _plan_out(_plans_queryset().get(pk=plan_id))


@router.delete(
    "/plans/{id:plan_id}",
    response={204: None, **errors(401, 403, 404, 409)},
    summary="Delete a plan no order has used",
    **staff_only(PLANS),
)
def delete_plan(request, plan_id: Id):
    services.delete_plan(get_object_or_404(CommissionPlan, pk=plan_id))
    return Status(204, None)


@router.post(
    "/plans/{id:plan_id}/default",
    response={200: PlanOut, **errors(401, 403, 404, 409)},
    summary="Make a plan the default",
    **staff_only(PLANS),
)
def make_default(request, plan_id: Id):
    services.set_default_plan(get_object_or_404(CommissionPlan, pk=plan_id))
    return _plan_out(_plans_queryset().get(pk=plan_id))


class AssignmentIn(InputSchema):
    target: Literal["product", "category", "member", "group"]
    id: int = Field(..., description="Id of the product, category, member or member group.")


@router.post(
    "/plans/{id:plan_id}/assignments",
    response={201: AssignmentOut, **errors(401, 403, 404, 409, 422)},
    summary="Assign a plan to a product, category, member or member group",
    **staff_only(PLANS),
)
def add_assignment(request, plan_id: Id, payload: AssignmentIn):
    from django.contrib.auth import get_user_model

    from fenrun.accounts.models import MemberGroup
    from fenrun.catalog.models import Category, Product

    plan = get_object_or_404(CommissionPlan, pk=plan_id)
    model = {
        "product": Product,
        "category": Category,
        "member": get_user_model(),
        "group": MemberGroup,
    }[payload.target]
    obj = model.objects.filter(pk=payload.id).first()
    if obj is None:
        raise ApiError(
            422,
            _("Invalid input."),
            {"id": [_("No such %(target)s.") % {"target": payload.target}]},
        )
    return Status(201, services.assign_plan(plan=plan, target=payload.target, obj=obj))


@router.delete(
    "/assignments/{id:assignment_id}",
    response={204: None, **errors(401, 403, 404)},
    summary="Remove an assignment",
    **staff_only(PLANS),
)
def delete_assignment(request, assignment_id: Id):
    services.remove_assignment(get_object_or_404(PlanAssignment, pk=assignment_id))
    return Status(204, None)


class PreviewIn(PlanIn):
    name: str = "preview"
    amount: Decimal = Field(..., description="Goods of the order, NT$.", examples=["1000"])
    buyer_level: int = Field(..., description="How many uplines the buyer has.", examples=[2])
    shipping: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    credit_covers_shipping: bool = Field(
        False,
        description="The wallet's setting 購物金可折抵運費: false, the credit paid goods only; "
        "true, goods and shipping in proportion.",
    )
    inactive_tree_levels: list[int] = Field(default_factory=list)


class PreviewRowOut(Schema):
    who: str
    level: int
    tree_level: int
    rate: Decimal | None
    exact: Decimal | None
    amount: Decimal
    why: str
    paid: bool


class PreviewOut(Schema):
    summary: str
    base: Decimal
    total: Decimal
    cap: Decimal
    rows: list[PreviewRowOut]


@router.post(
    "/plans/preview",
    response={200: PreviewOut, **errors(401, 403, 422)},
    summary="Who gets what from an order of NT$X by a member at level n, under given rules",
    **staff_only(PLANS),
)
def preview_plan(request, payload: PreviewIn):
    preview_form = PreviewForm(
        data={
            "amount": str(payload.amount),
            "buyer_level": str(payload.buyer_level),
            "shipping": str(payload.shipping),
            "credit": str(payload.credit),
            "credit_covers_shipping": "on" if payload.credit_covers_shipping else "",
            "inactive_levels": ",".join(str(t) for t in payload.inactive_tree_levels),
        }
    )
    if not preview_form.is_valid():
        errors = {
            ("inactive_tree_levels" if k == "inactive_levels" else k): v
            for k, v in preview_form.errors.items()
        }
        raise ApiError(422, _("Invalid input."), errors)
    rules = _valid_rules(payload, preview=True)
    cleaned = preview_form.cleaned_data
    result = selectors.preview(
        rules,
        amount=cleaned["amount"],
        buyer_level=cleaned["buyer_level"],
        shipping=cleaned.get("shipping") or Decimal(0),
        credit=cleaned.get("credit") or Decimal(0),
        credit_covers_shipping=cleaned.get("credit_covers_shipping", False),
        inactive_tree_levels=cleaned.get("inactive_levels") or set(),
    )
    view = preview_rows(result, buyer_level=cleaned["buyer_level"], rules=rules)
    return {
        "summary": view.buyer_label,
        "base": view.base,
        "total": view.total,
        "cap": view.cap,
        "rows": view.rows,
    }


# -- commissions -----------------------------------------------------------------------------


class CommissionOut(Schema):
    id: int
    order_id: int
    order_number: str
    order_line_id: int
    product_name: str
    payee_id: int
    level: int
    tree_level: int
    base: Decimal
    rate: Decimal
    amount: Decimal
    rule: str
    rule_text: str
    plan_version_id: int
    status: str
    available_at: datetime
    released_at: datetime | None
    reversed_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_order_number(obj):
        return obj.order.number

    @staticmethod
    def resolve_product_name(obj):
        return obj.order_line.product_name


class SettlementOut(Schema):
    created_at: datetime
    automatic: bool
    referrer_id: int | None
    total: Decimal
    reversed_at: datetime | None


class OrderCommissionsOut(Schema):
    order_id: int
    order_number: str
    status: str
    settlement: SettlementOut | None
    commissions: list[CommissionOut]


def _order_commissions(order: Order) -> dict:
    return {
        "order_id": order.pk,
        "order_number": order.number,
        "status": order.status,
        "settlement": OrderSettlement.objects.filter(order_id=order.pk).first(),
        "commissions": list(selectors.order_commissions(order.pk).select_related("order")),
    }


def _visible_order(request, **lookup) -> Order:
    """The order the caller may read the commissions of: an integrator only its own source's;
    anyone else's is a 404, like an order that does not exist."""
    who = request.auth
    order = get_object_or_404(Order, **lookup)
    if is_integrator(who) and order.source != who.name:
        raise ApiError(404, _("Not found."))
    return order


@router.get(
    "/orders/{id:order_id}",
    response={200: OrderCommissionsOut, **errors(401, 403, 404)},
    summary="An order's commissions, by the order's id",
    **staff_only(SETTLE, Capability.VIEW_REPORTS, scope=Scope.COMMISSIONS_READ),
)
def order_commissions(request, order_id: Id):
    return _order_commissions(_visible_order(request, pk=order_id))


@router.get(
    "/orders/by-number/{number}",
    response={200: OrderCommissionsOut, **errors(401, 403, 404)},
    summary="An order's commissions, by the order's number (as order answers give it)",
    **staff_only(SETTLE, Capability.VIEW_REPORTS, scope=Scope.COMMISSIONS_READ),
)
def order_commissions_by_number(request, number: str):
    return _order_commissions(_visible_order(request, number=number))


@router.post(
    "/orders/{id:order_id}/create",
    response={200: OrderCommissionsOut, 201: OrderCommissionsOut, **errors(401, 403, 404, 409)},
    summary="Create an order's commissions by hand (新增推薦獎金); a repeat changes nothing",
    **staff_only(SETTLE),
)
def create_order_commissions(request, order_id: Id):
    order = get_object_or_404(Order, pk=order_id)
    result = services.create_commissions_for_order(order.pk, actor=request.auth)
    return Status(201 if result.created else 200, _order_commissions(order))


class MineFilter(Schema):
    status: Literal["pending", "available", "reversed"] | None = None
    date_from: date | None = Field(
        None, ge=EARLIEST, le=LATEST, description="First day (local time), inclusive."
    )
    date_to: date | None = Field(
        None, ge=EARLIEST, le=LATEST, description="Last day (local time), inclusive."
    )


class TotalsOut(Schema):
    totals: dict[str, Decimal] = Field(..., description="Amounts by status: pending, available.")


@router.get(
    "/mine/totals",
    response={200: TotalsOut, **errors(401, 403)},
    summary="My commission totals by status",
    **member_only(),
)
def my_commission_totals(request):
    return {"totals": selectors.member_commission_totals(request.auth.pk)}


@router.get(
    "/mine",
    response={200: list[CommissionOut], **errors(401, 403, 422)},
    summary="My commissions, newest first",
    **member_only(),
)
@paginate(LimitOffsetPage)
def my_commissions(request, filters: Query[MineFilter]):
    member = request.auth
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ApiError(
            422, _("Invalid input."), {"date_to": [_("The end date is before the start date.")]}
        )
    return selectors.member_commissions(
        member.pk, status=filters.status, date_from=filters.date_from, date_to=filters.date_to
    )


class SettingsIO(InputSchema):
    automatic: bool = Field(True, description="Create commissions when an order is completed.")
    hold_days: int = Field(7, ge=0, le=365, description="Days pending before they are available.")


@router.get(
    "/settings",
    response={200: SettingsIO, **errors(401, 403)},
    summary="Commission settings",
    **staff_only(PLANS, SETTLE),
)
def get_settings(request):
    return CommissionSettings.load()


@router.put(
    "/settings",
    response={200: SettingsIO, **errors(401, 403, 422)},
    summary="Change commission settings",
    **staff_only(PLANS),
)
def put_settings(request, payload: SettingsIO):
    return services.update_settings(automatic=payload.automatic, hold_days=payload.hold_days)
