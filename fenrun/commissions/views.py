"""Pages: staff plan editor with preview, an order's commissions, and "我的獎金" for members."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenrun.commissions import engine, selectors, services
from fenrun.commissions.forms import (
    MAX_GUARANTEED,
    AssignmentForm,
    PlanForm,
    PreviewForm,
    SettingsForm,
    initial_from_version,
)
from fenrun.commissions.models import (
    Commission,
    CommissionPlan,
    CommissionSettings,
    OrderSettlement,
    PlanAssignment,
)
from fenrun.commissions.presentation import MemberFilterForm, preview_rows
from fenrun.core.errors import DomainError, add_to_form
from fenrun.core.money import ZERO
from fenrun.core.permissions import Capability, has, has_any, requires
from fenrun.orders.models import Order
from fenrun.orders.status import OrderStatus

PAGE_SIZE = 30
PLANS = Capability.MANAGE_PLANS
SETTLE = Capability.SETTLE_COMMISSIONS


@requires(PLANS)
def plan_list(request):
    settings_obj = CommissionSettings.load()
    if request.method == "POST":
        settings_form = SettingsForm(request.POST, instance=settings_obj)
        if settings_form.is_valid():
            services.update_settings(
                automatic=settings_form.cleaned_data["automatic"],
                hold_days=settings_form.cleaned_data["hold_days"],
            )
            messages.success(request, _("Commission settings saved."))
            return redirect("commissions:plan_list")
    else:
        settings_form = SettingsForm(instance=settings_obj)
    return render(
        request,
        "commissions/plan_list.html",
        {
            "plans": selectors.plans_with_current_versions(),
            "settings_form": settings_form,
            "assignment_counts": selectors.assignment_summary(),
            "can_settle": has(request.user, SETTLE),
        },
    )


def _plan_page(request, *, plan: CommissionPlan | None):
    version = plan.current_version if plan else None
    preview_form = PreviewForm(request.POST or None, prefix="preview")
    result = None
    if request.method == "POST":
        form = PlanForm(request.POST, plan=plan)
        if "_preview" in request.POST:
            result = _preview(form, preview_form)
        elif form.is_valid():
            try:
                plan = services.save_plan(spec=form.spec(), actor=request.user, plan=plan)
            except DomainError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("Plan “%(name)s” saved.") % {"name": plan.name})
                return redirect("commissions:plan_edit", pk=plan.pk)
    else:
        form = PlanForm(initial=initial_from_version(plan, version) if plan else None, plan=plan)
    filled_guaranteed = max(
        [
            i
            for i, tl, rate in form.guaranteed_rows()
            if tl.value() not in (None, "") or rate.value() not in (None, "")
        ],
        default=0,
    )
    context = {
        "plan": plan,
        "version": version,
        "form": form,
        "preview_form": preview_form,
        "preview": result,
        "levels_value": form.levels_value(),
        "guaranteed_shown": min(MAX_GUARANTEED, max(3, filled_guaranteed + 1)),
        "legal_warning_levels": engine.LEGAL_WARNING_LEVELS,
        "show_contact": has(request.user, Capability.VIEW_CONTACT_DATA),
    }
    if plan is not None:
        context.update(
            versions=selectors.plan_versions(plan),
            assignments=selectors.plan_assignments(plan),
            assignment_form=AssignmentForm(),
        )
    return render(request, "commissions/plan_form.html", context)


def _preview(form: PlanForm, preview_form: PreviewForm):
    """The preview of the form as typed (saved or not); None when either form is invalid."""
    # A preview does not need the legal acknowledgement or a unique name.
    plan_ok = form.is_valid() or not (set(form.errors) - {"legal_acknowledged", "name"})
    if not plan_ok or not preview_form.is_valid():
        return None
    data = preview_form.cleaned_data
    rules = form.rules()
    result = selectors.preview(
        rules,
        amount=data["amount"],
        buyer_level=data["buyer_level"],
        shipping=data.get("shipping") or ZERO,
        credit=data.get("credit") or ZERO,
        credit_covers_shipping=data.get("credit_covers_shipping", False),
        inactive_tree_levels=data.get("inactive_levels") or set(),
    )
    return preview_rows(result, buyer_level=data["buyer_level"], rules=rules)


@requires(PLANS)
def plan_create(request):
    return _plan_page(request, plan=None)


@requires(PLANS)
def plan_edit(request, pk):
    return _plan_page(request, plan=get_object_or_404(CommissionPlan, pk=pk))


@requires(PLANS)
@require_POST
def plan_preview(request):
    """htmx: the preview table for the plan form as it is typed."""
    plan_id = request.POST.get("plan_id")
    plan = CommissionPlan.objects.filter(pk=plan_id).first() if plan_id else None
    form = PlanForm(request.POST, plan=plan)
    preview_form = PreviewForm(request.POST, prefix="preview")
    return render(
        request,
        "commissions/_preview.html",
        {"preview": _preview(form, preview_form), "form": form, "preview_form": preview_form},
    )


@requires(PLANS)
@require_POST
def plan_make_default(request, pk):
    plan = get_object_or_404(CommissionPlan, pk=pk)
    try:
        services.set_default_plan(plan)
    except services.CommissionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(name)s” is now the default plan.") % {"name": plan.name})
    return redirect("commissions:plan_list")


@requires(PLANS)
@require_POST
def plan_delete(request, pk):
    plan = get_object_or_404(CommissionPlan, pk=pk)
    try:
        services.delete_plan(plan)
    except services.CommissionError as exc:
        messages.error(request, exc.message)
        return redirect("commissions:plan_edit", pk=pk)
    messages.success(request, _("Plan deleted."))
    return redirect("commissions:plan_list")


@requires(PLANS)
@require_POST
def assignment_add(request, pk):
    plan = get_object_or_404(CommissionPlan, pk=pk)
    form = AssignmentForm(request.POST)
    if form.is_valid():
        services.assign_plan(
            plan=plan, target=form.cleaned_data["target"], obj=form.cleaned_data["object"]
        )
        messages.success(request, _("Assignment saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("commissions:plan_edit", pk=pk)


@requires(PLANS)
@require_POST
def assignment_remove(request, pk):
    assignment = get_object_or_404(PlanAssignment, pk=pk)
    plan_id = assignment.plan_id
    services.remove_assignment(assignment)
    messages.success(request, _("Assignment removed."))
    return redirect("commissions:plan_edit", pk=plan_id)


@requires(SETTLE, Capability.VIEW_REPORTS)
def order_commissions(request, order_id):
    order = get_object_or_404(Order.objects.select_related("user"), pk=order_id)
    commissions = list(selectors.order_commissions(order_id))
    settlement = (
        OrderSettlement.objects.filter(order_id=order_id).select_related("referrer").first()
    )
    line_plans = selectors.order_line_plans(order_id)
    lines = [(line, line_plans.get(line.pk)) for line in order.lines.all()]
    return render(
        request,
        "commissions/order_commissions.html",
        {
            "order": order,
            "commissions": commissions,
            "settlement": settlement,
            "lines": lines,
            "total": sum(
                (c.amount for c in commissions if c.status != Commission.Status.REVERSED), ZERO
            ),
            "can_create": (
                settlement is None
                and order.status == OrderStatus.COMPLETED
                and has(request.user, SETTLE)
            ),
            "can_edit_plans": has(request.user, PLANS),
            "can_open_order": has_any(
                request.user, (Capability.MANAGE_ORDERS, Capability.FULFIL_ORDERS)
            ),
            "show_contact": has(request.user, Capability.VIEW_CONTACT_DATA),
            "automatic": CommissionSettings.load().automatic,
        },
    )


@requires(SETTLE)
@require_POST
def create_for_order(request, order_id):
    """ "新增推薦獎金": create an order's commissions by hand (once; a repeat changes nothing)."""
    get_object_or_404(Order, pk=order_id)
    try:
        result = services.create_commissions_for_order(order_id, actor=request.user)
    except services.CommissionError as exc:
        messages.error(request, exc.message)
    else:
        if result.created:
            messages.success(
                request,
                _("%(count)s commissions created.") % {"count": len(result.commissions)},
            )
        else:
            messages.info(request, _("This order's commissions were already created."))
    next_url = request.POST.get("next")
    if next_url and next_url.startswith("/") and not next_url.startswith("//"):
        return redirect(next_url)
    return redirect("commissions:order_commissions", order_id=order_id)


UNSETTLED_PAGE_SIZE = 50
SETTLE_AT_MOST = 500  # orders per press of the button: one transaction, a few seconds at most


@requires(SETTLE)
def unsettled_orders(request):
    """Completed orders without commissions ("新增推薦獎金" for many orders at once): the
    manual mode's work list, and what is left when automatic creation was switched on late."""
    if request.method == "POST":
        ids = []
        for raw in request.POST.getlist("order")[:SETTLE_AT_MOST]:
            try:
                ids.append(int(raw))
            except (TypeError, ValueError):
                continue
        if not ids:
            messages.error(request, _("Tick the orders whose commissions should be created."))
        else:
            batch = services.settle_orders(ids, actor=request.user)
            created = sum(len(r.commissions) for r in batch.created.values())
            messages.success(
                request,
                _("%(orders)s orders settled: %(count)s commissions created.")
                % {"orders": len(batch.created), "count": created},
            )
            skipped = len(batch.existing) + len(batch.not_completed) + len(batch.missing)
            if skipped:
                messages.info(
                    request,
                    _("%(count)s orders were skipped: already settled, not completed or gone.")
                    % {"count": skipped},
                )
        return redirect("commissions:unsettled_orders")
    queryset = selectors.unsettled_completed_orders()
    page = Paginator(queryset, UNSETTLED_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "commissions/unsettled_orders.html",
        {
            "page": page,
            "automatic": CommissionSettings.load().automatic,
            "show_contact": has(request.user, Capability.VIEW_CONTACT_DATA),
        },
    )


@login_required
def my_commissions(request):
    filters = MemberFilterForm(request.GET or None)
    params = filters.cleaned_data if filters.is_valid() else {}
    queryset = selectors.member_commissions(
        request.user.pk,
        status=params.get("status") or None,
        date_from=params.get("date_from"),
        date_to=params.get("date_to"),
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = selectors.member_commission_totals(request.user.pk)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "commissions/my_commissions.html",
        {
            "filters": filters,
            "page": page,
            "totals": totals,
            "earned": totals["pending"] + totals["available"],
            "query_string": query.urlencode(),
            "hold_days": CommissionSettings.load().hold_days,
            "zero": Decimal(0),
        },
    )
