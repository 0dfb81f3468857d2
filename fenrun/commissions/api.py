"""Commissions over JSON: plans (staff CRUD), an order's commissions, a member's own.

Who may do what:
- staff (a session of a staff user, with Django's CSRF token on writes) manage plans, their
  assignments and the settings, read any order's commissions and create them by hand;
- an integrator (``Authorization: Bearer <key>``) reads plans and the commissions of the orders
  it pushed (its source);
- a logged-in member reads their own commissions.

Plan input is validated exactly like the back-office form: errors come back as 422 with
``errors`` keyed by the payload's path (``rates.2``, ``matrix.1.0``, ``guaranteed.0.rate``).
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from fenrun.commissions import engine, selectors, services
from fenrun.commissions.forms import PlanForm, PreviewForm, api_error_key, rules_to_form_data
from fenrun.commissions.models import (
    CommissionPlan,
    CommissionSettings,
    OrderSettlement,
    PlanAssignment,
    PlanVersion,
)
from fenrun.commissions.presentation import preview_rows
from fenrun.core.api_errors import ApiError
from fenrun.core.auth import is_integrator, member_or_integrator
from fenrun.orders.models import Order

router = Router(tags=["commissions"], auth=member_or_integrator)


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


# -- who is asking ---------------------------------------------------------------------------


def _staff(request):
    user = request.auth
    if is_integrator(user) or not getattr(user, "is_staff", False):
        raise PermissionDenied(_("Only staff may do this."))
    return user


def _staff_or_integrator(request):
    if is_integrator(request.auth):
        return request.auth
    return _staff(request)


def _member(request):
    if is_integrator(request.auth):
        raise PermissionDenied(_("Integrators have no commissions of their own."))
    return request.auth


# -- plans -----------------------------------------------------------------------------------


class GuaranteedIn(Strict):
    tree_level: int = Field(..., description="Absolute tree level; the roots are 1.", examples=[1])
    rate: Decimal = Field(..., description="Percent, up to two decimals.", examples=["1"])


class PlanIn(Strict):
    name: str = Field(..., max_length=80, examples=["推薦獎金（兩層）"])
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
            include_shipping=rules.include_shipping,
            include_credit=rules.include_credit,
            inactive_rule=rules.inactive_rule,
            self_pay=rules.self_pay,
            rounding_mode=rules.rounding_mode,
            rounding_places=rules.rounding_places,
            guaranteed=[{"tree_level": t, "rate": r} for t, r in rules.guaranteed],
            legal_acknowledged_by_id=version.legal_acknowledged_by_id,
            legal_acknowledged_at=version.legal_acknowledged_at,
        )
    return out


def _valid_form(payload: PlanIn, plan: CommissionPlan | None) -> PlanForm:
    data = payload.dict()
    list_key = "rates" if payload.mode == engine.LEVELS else "matrix"
    rows = data[list_key]
    errors: dict[str, list[str]] = {}
    if not rows:
        errors[list_key] = [_("A plan has at least one level.")]
    elif len(rows) > engine.MAX_LEVELS:
        errors[list_key] = [_("A plan has at most 20 levels.")]
    if payload.mode == engine.MATRIX:
        for n, row in enumerate(rows[: engine.MAX_LEVELS], start=1):
            if len(row) != n:
                errors[f"matrix.{n - 1}"] = [
                    _("Row %(n)s needs %(n)s rates, one per upline inside the window.") % {"n": n}
                ]
    if len(data["guaranteed"]) > 10:
        errors["guaranteed"] = [_("At most 10 guaranteed levels.")]
    if errors:
        raise ApiError(422, _("Invalid input."), errors)
    form = PlanForm(data=rules_to_form_data(data), plan=plan)
    if not form.is_valid():
        errors = {}
        for name, messages in form.errors.items():
            key = list_key if name == "levels" else api_error_key(name)
            errors.setdefault(key, []).extend(messages)
        raise ApiError(422, _("Invalid input: nothing was saved."), errors)
    return form


def _plans_queryset():
    return CommissionPlan.objects.prefetch_related("assignments")


@router.get("/plans", response=list[PlanOut], summary="List commission plans")
def list_plans(request):
    _staff_or_integrator(request)
    plans = selectors.plans_with_current_versions()
    assignments: dict[int, list] = {}
    for a in PlanAssignment.objects.all():
        assignments.setdefault(a.plan_id, []).append(a)
    return [_plan_out(plan, assignments.get(plan.pk, [])) for plan in plans]


@router.post(
    "/plans", response={201: PlanOut, 403: ErrorOut, 422: ErrorOut}, summary="Create a plan"
)
def create_plan(request, payload: PlanIn):
    actor = _staff(request)
    form = _valid_form(payload, None)
    plan = services.save_plan(spec=form.spec(), actor=actor)
    return Status(201, _plan_out(_plans_queryset().get(pk=plan.pk)))


@router.get("/plans/{int:plan_id}", response={200: PlanOut, 404: ErrorOut}, summary="Read a plan")
def get_plan(request, plan_id: int):
    _staff_or_integrator(request)
    return _plan_out(get_object_or_404(_plans_queryset(), pk=plan_id))


@router.put(
    "/plans/{int:plan_id}",
    response={200: PlanOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change a plan (changed rules add a version; past orders keep theirs)",
)
def update_plan(request, plan_id: int, payload: PlanIn):
    actor = _staff(request)
    plan = get_object_or_404(CommissionPlan, pk=plan_id)
    form = _valid_form(payload, plan)
    services.save_plan(spec=form.spec(), actor=actor, plan=plan)
    return _plan_out(_plans_queryset().get(pk=plan_id))


@router.delete(
    "/plans/{int:plan_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Delete a plan no order has used",
)
def delete_plan(request, plan_id: int):
    _staff(request)
    plan = get_object_or_404(CommissionPlan, pk=plan_id)
    try:
        services.delete_plan(plan)
    except services.CommissionError as exc:
        raise ApiError(409, str(exc)) from exc
    return Status(204, None)


@router.post(
    "/plans/{int:plan_id}/default",
    response={200: PlanOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Make a plan the default",
)
def make_default(request, plan_id: int):
    _staff(request)
    plan = get_object_or_404(CommissionPlan, pk=plan_id)
    try:
        services.set_default_plan(plan)
    except services.CommissionError as exc:
        raise ApiError(409, str(exc)) from exc
    return _plan_out(_plans_queryset().get(pk=plan_id))


class AssignmentIn(Strict):
    target: Literal["product", "category", "member", "group"]
    id: int = Field(..., description="Id of the product, category, member or member group.")


@router.post(
    "/plans/{int:plan_id}/assignments",
    response={201: AssignmentOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Assign a plan to a product, category, member or member group",
)
def add_assignment(request, plan_id: int, payload: AssignmentIn):
    from django.contrib.auth import get_user_model

    from fenrun.accounts.models import MemberGroup
    from fenrun.catalog.models import Category, Product

    _staff(request)
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
    "/assignments/{int:assignment_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Remove an assignment",
)
def delete_assignment(request, assignment_id: int):
    _staff(request)
    services.remove_assignment(get_object_or_404(PlanAssignment, pk=assignment_id))
    return Status(204, None)


class PreviewIn(PlanIn):
    name: str = "preview"
    amount: Decimal = Field(..., description="Goods of the order, NT$.", examples=["1000"])
    buyer_level: int = Field(..., description="How many uplines the buyer has.", examples=[2])
    shipping: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
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
    response={200: PreviewOut, 403: ErrorOut, 422: ErrorOut},
    summary="Who gets what from an order of NT$X by a member at level n, under given rules",
)
def preview_plan(request, payload: PreviewIn):
    _staff(request)
    data = payload.dict()
    preview_form = PreviewForm(
        data={
            "amount": str(payload.amount),
            "buyer_level": str(payload.buyer_level),
            "shipping": str(payload.shipping),
            "credit": str(payload.credit),
            "inactive_levels": ",".join(str(t) for t in payload.inactive_tree_levels),
        }
    )
    if not preview_form.is_valid():
        errors = {
            ("inactive_tree_levels" if k == "inactive_levels" else k): v
            for k, v in preview_form.errors.items()
        }
        raise ApiError(422, _("Invalid input."), errors)
    data["legal_acknowledged"] = True  # a preview saves nothing
    form = _valid_form(PlanIn(**{k: v for k, v in data.items() if k in PlanIn.model_fields}), None)
    rules = form.rules()
    cleaned = preview_form.cleaned_data
    result = selectors.preview(
        rules,
        amount=cleaned["amount"],
        buyer_level=cleaned["buyer_level"],
        shipping=cleaned.get("shipping") or Decimal(0),
        credit=cleaned.get("credit") or Decimal(0),
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


def _visible_order(request, order_id: int) -> Order:
    who = _staff_or_integrator(request)
    order = get_object_or_404(Order, pk=order_id)
    if is_integrator(who) and order.source != who.name:
        raise ApiError(404, _("Not found."))
    return order


@router.get(
    "/orders/{int:order_id}",
    response={200: OrderCommissionsOut, 403: ErrorOut, 404: ErrorOut},
    summary="An order's commissions",
)
def order_commissions(request, order_id: int):
    return _order_commissions(_visible_order(request, order_id))


@router.post(
    "/orders/{int:order_id}/create",
    response={
        200: OrderCommissionsOut,
        201: OrderCommissionsOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
    },
    summary="Create an order's commissions by hand (新增推薦獎金); a repeat changes nothing",
)
def create_order_commissions(request, order_id: int):
    actor = _staff(request)
    order = get_object_or_404(Order, pk=order_id)
    try:
        result = services.create_commissions_for_order(order.pk, actor=actor)
    except services.CommissionError as exc:
        raise ApiError(409, str(exc)) from exc
    return Status(201 if result.created else 200, _order_commissions(order))


class MineFilter(Schema):
    status: Literal["pending", "available", "reversed"] | None = None
    date_from: date | None = Field(None, description="First day (local time), inclusive.")
    date_to: date | None = Field(None, description="Last day (local time), inclusive.")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


class MineOut(Schema):
    count: int
    totals: dict[str, Decimal]
    results: list[CommissionOut]


@router.get(
    "/mine", response={200: MineOut, 403: ErrorOut, 422: ErrorOut}, summary="My commissions"
)
def my_commissions(request, filters: Query[MineFilter]):
    member = _member(request)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ApiError(
            422, _("Invalid input."), {"date_to": [_("The end date is before the start date.")]}
        )
    qs = selectors.member_commissions(
        member.pk, status=filters.status, date_from=filters.date_from, date_to=filters.date_to
    )
    return {
        "count": qs.count(),
        "totals": selectors.member_commission_totals(member.pk),
        "results": list(qs[filters.offset : filters.offset + filters.limit]),
    }


class SettingsIO(Strict):
    automatic: bool = Field(True, description="Create commissions when an order is completed.")
    hold_days: int = Field(7, ge=0, le=365, description="Days pending before they are available.")


@router.get("/settings", response={200: SettingsIO, 403: ErrorOut}, summary="Commission settings")
def get_settings(request):
    _staff(request)
    return CommissionSettings.load()


@router.put(
    "/settings",
    response={200: SettingsIO, 403: ErrorOut, 422: ErrorOut},
    summary="Change commission settings",
)
def put_settings(request, payload: SettingsIO):
    _staff(request)
    return services.update_settings(automatic=payload.automatic, hold_days=payload.hold_days)
