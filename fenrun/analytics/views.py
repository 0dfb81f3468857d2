"""Analytics pages: staff reports under /staff/analytics/, a member's downline under
/member/downline/. Thin: parse the range and the member, call a selector, render or export.

Bad dates re-render the page with the form's errors (400); an unknown member is 404; a member
asking about someone outside their downline gets 403. Every table exports with ?format=csv or
?format=xlsx.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenrun.analytics import charts, selectors, services, tables
from fenrun.analytics.access import (
    MemberNotFound,
    OutsideDownline,
    display_name,
    resolve_member,
    viewer_for,
)
from fenrun.analytics.exports import FORMATS, export_response
from fenrun.analytics.models import Metric, TagRule
from fenrun.analytics.periods import PRESETS, RangeError, range_from_query
from fenrun.analytics.presenters import shown_all
from fenrun.core.permissions import Capability, requires
from fenrun.referrals.models import Campaign

LEADERBOARD_METRICS = (Metric.NEW_MEMBERS, Metric.DOWNLINE_SALES, Metric.COMMISSIONS)
DOWNLINE_PAGE = 50


reports = requires(Capability.VIEW_REPORTS)


def _range(request, context: dict, default: str = "30d"):
    """The requested range, or None with the form errors put in ``context``."""
    context["start_value"] = request.GET.get("start", "")[:20]
    context["end_value"] = request.GET.get("end", "")[:20]
    context["presets"] = PRESETS.items()
    try:
        period = range_from_query(request.GET, default=default)
    except RangeError as exc:
        context["range_errors"] = exc.errors
        context["period"] = None
        return None
    context["period"] = period
    context["start_value"] = period.start.isoformat()
    context["end_value"] = period.end.isoformat()
    return period


def _render(request, template: str, context: dict):
    status = 400 if context.get("range_errors") else 200
    return render(request, template, context, status=status)


def _export_format(request) -> str | None:
    fmt = request.GET.get("format")
    return fmt if fmt in FORMATS else None


def _member(viewer, raw_id):
    try:
        return resolve_member(viewer, raw_id)
    except MemberNotFound as exc:
        raise Http404(exc.message) from None
    except OutsideDownline as exc:
        raise PermissionDenied(exc.message) from None


def _keep_member(viewer, member) -> dict:
    """Query parameters the range form keeps: the member, unless it is the viewer (members)."""
    return {} if (member.pk == viewer.user_id and not viewer.is_staff) else {"member": member.pk}


def _page_number(request) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) <= 6 and int(raw) > 0 else 1


# ---------------------------------------------------------------- staff


@reports
def dashboard(request):
    board = selectors.dashboard()
    viewer = viewer_for(request.user)
    for column in board.columns:
        column.top_promoters = shown_all(viewer, column.top_promoters)
    labels = {"today": _("Today"), "week": _("This week"), "month": _("This month")}
    if fmt := _export_format(request):
        return export_response(tables.dashboard_table(board, labels), fmt)
    for column in board.columns:
        column.label = labels[column.key]
    return render(request, "analytics/dashboard.html", {"board": board, "section": "dashboard"})


def chart_labels() -> dict:
    return {
        "joined": _("Joined"),
        "level": _("Level"),
        "direct": _("Direct referrals"),
        "downline": _("Total downline"),
        "personal": _("Personal sales"),
        "downlineSales": _("Downline sales"),
        "orders": _("orders"),
        "more": _("%(n)s more"),
        "expand": _("Show direct referrals"),
        "collapse": _("Hide direct referrals"),
        "openHere": _("Open the chart here"),
        "levels": _("Per-level figures"),
        "list": _("Downline list"),
        "noResults": _("No member matches."),
        "error": _("Could not load the figures; please try again."),
        "organisation": _("Whole organisation"),
        "sources": _("sources"),
        "loadedChildren": _("%(n)s of %(total)s direct referrals of %(name)s shown"),
        "code": _("Code"),
        "email": _("E-mail"),
        "phone": _("Phone"),
        "you": _("you"),
    }


def _chart_context(request, viewer, member, period) -> dict:
    """The settings the chart's script reads (rendered with json_script)."""
    if viewer.is_staff:
        levels_url = reverse("analytics:levels") + "?member={id}"
        downline_url = reverse("analytics:downline", args=[999999999]).replace("999999999", "{id}")
    else:
        levels_url = reverse("analytics:my_levels") + "?member={id}"
        downline_url = reverse("analytics:my_downline_list") + "?member={id}"
    return {
        "chart_config": {
            "api": reverse("api:openapi-json").rsplit("/", 1)[0] + "/analytics",
            "pageSize": selectors.CHILDREN_PAGE,
            "rootId": member.pk if member is not None else None,
            "isStaff": viewer.is_staff,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "levelsUrl": levels_url,
            "downlineUrl": downline_url,
            "chartUrl": request.path + "?member={id}",
            "labels": {
                **chart_labels(),
                # Level 0 is the top of the chart: a source for staff, the member on their own.
                "levelZero": _("0 (a source)") if viewer.is_staff else _("0 (you)"),
            },
        },
    }


@reports
def org_chart(request):
    viewer = viewer_for(request.user)
    context = {"section": "chart"}
    period = _range(request, context, default="this_month")
    member = None
    if request.GET.get("member"):
        member, _node = _member(viewer, request.GET["member"])
        context["member_keep"] = {"member": member.pk}
    if period is not None:
        context.update(_chart_context(request, viewer, member, period))
    return _render(request, "analytics/org_chart.html", context)


def _levels_context(request, viewer, member, node, context):
    period = _range(request, context)
    context["member"] = member
    context["member_name"] = display_name(viewer, member.pk, member.name, member.email)
    context["member_keep"] = _keep_member(viewer, member)
    if period is None:
        return None
    report = selectors.level_figures(member.pk, node, period)
    rows = report.visible_rows()
    context.update(
        report=report,
        rows=rows,
        chart_option=charts.levels_chart(report, rows),
    )
    return report


@reports
def levels(request):
    viewer = viewer_for(request.user)
    context = {"section": "levels", "query": request.GET.get("q", "")[:60]}
    raw = request.GET.get("member")
    if not raw:
        if context["query"]:
            hits = selectors.search_members(
                context["query"], within=None, staff=True, contact=viewer.sees_contact_data
            )
            context["hits"] = shown_all(viewer, hits)
        _range(request, context)
        return _render(request, "analytics/levels.html", context)
    member, node = _member(viewer, raw)
    report = _levels_context(request, viewer, member, node, context)
    if report is not None and (fmt := _export_format(request)):
        return export_response(tables.levels_table(report, context["member_name"]), fmt)
    return _render(request, "analytics/levels.html", context)


@reports
def leaderboards(request):
    viewer = viewer_for(request.user)
    context = {"section": "leaderboards"}
    period = _range(request, context, default="this_month")
    if period is not None:
        wanted = request.GET.get("table", "")
        fmt = _export_format(request)
        if fmt and wanted == "depth":
            return export_response(tables.depth_table(selectors.depth_analysis(period)), fmt)
        if fmt and wanted in Metric.values:
            rows = shown_all(viewer, selectors.leaderboard(wanted, period, limit=500))
            return export_response(tables.leaderboard_table(wanted, rows, period), fmt)
        boards = []
        for metric in LEADERBOARD_METRICS:
            rows = shown_all(viewer, selectors.leaderboard(metric, period))
            boards.append(
                {
                    "metric": metric,
                    "label": Metric(metric).label,
                    "rows": rows,
                    "is_money": metric != Metric.NEW_MEMBERS,
                    "chart": charts.leaderboard_chart(rows, str(Metric(metric).label)),
                }
            )
        depth = selectors.depth_analysis(period)
        context.update(boards=boards, depth=depth, depth_chart=charts.depth_chart(depth))
    return _render(request, "analytics/leaderboards.html", context)


@reports
def campaigns(request):
    return render(
        request,
        "analytics/campaigns.html",
        {"campaigns": selectors.campaigns_with_totals(), "section": "campaigns"},
    )


@reports
def campaign_report(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    report = selectors.campaign_report(campaign)
    report.promoters = shown_all(viewer_for(request.user), report.promoters)
    if fmt := _export_format(request):
        if request.GET.get("table") == "series":
            return export_response(tables.campaign_series_table(report), fmt)
        return export_response(tables.campaign_promoters_table(report), fmt)
    return render(
        request,
        "analytics/campaign_report.html",
        {
            "campaign": campaign,
            "report": report,
            "chart_option": charts.campaign_chart(report),
            "section": "campaigns",
        },
    )


@reports
def utm(request):
    context = {"section": "utm"}
    by = request.GET.get("by", "all")
    if by not in selectors.UTM_DIMENSIONS:
        by = "all"
    context["by"] = by
    context["dimensions"] = selectors.UTM_DIMENSIONS[by]
    context["utm_keep"] = {"by": by}
    period = _range(request, context)
    if period is not None:
        context["period_query"] = period.as_query() + "&"
        rows, total = selectors.utm_report(period, by)
        if fmt := _export_format(request):
            return export_response(tables.utm_table(rows, total, period, by), fmt)
        context.update(
            rows=rows, total=total, chart_option=charts.utm_chart(rows, context["dimensions"])
        )
    return _render(request, "analytics/utm.html", context)


@requires(Capability.MANAGE_CAMPAIGNS)
def tags(request):
    return render(
        request,
        "analytics/tags.html",
        {"rules": selectors.rules_with_counts(), "section": "tags"},
    )


@requires(Capability.MANAGE_CAMPAIGNS)
@require_POST
def recompute_tags(request):
    raw = request.POST.get("rule", "")
    rule_ids = None
    if raw:
        if not raw.isdigit() or not TagRule.objects.filter(pk=int(raw)).exists():
            raise Http404(_("No such tag rule."))
        rule_ids = [int(raw)]
    results = services.recompute_member_tags(rule_ids=rule_ids)
    for r in results:
        messages.success(
            request,
            _("%(rule)s: %(n)d members tagged (+%(added)d, −%(removed)d).")
            % {"rule": r.rule, "n": r.tagged, "added": r.added, "removed": r.removed},
        )
    if not results:
        messages.info(request, _("There are no tag rules yet: add one in the back office."))
    return redirect("analytics:tags")


@reports
def tag_members(request, pk: int):
    rule = get_object_or_404(TagRule, pk=pk)
    viewer = viewer_for(request.user)
    if fmt := _export_format(request):
        rows = selectors.rule_members(rule, limit=None).iterator(2000)
        return export_response(tables.tag_members_table(viewer, rule, rows), fmt)
    tags = list(selectors.rule_members(rule))
    for tag in tags:
        tag.label = display_name(viewer, tag.member_id, tag.member.name, tag.member.email)
    return render(
        request,
        "analytics/tag_members.html",
        {"rule": rule, "tags": tags, "section": "tags"},
    )


def _downline_response(request, viewer, member, node, template: str, context: dict):
    period = _range(request, context, default="this_month")
    context["member"] = member
    context["member_name"] = display_name(viewer, member.pk, member.name, member.email)
    if not viewer.is_staff:
        context["member_keep"] = _keep_member(viewer, member)
    if period is None:
        return _render(request, template, context)
    if fmt := _export_format(request):
        rows = selectors.iter_downline(node, period)
        return export_response(tables.downline_table(viewer, member.pk, period, rows), fmt)
    page = _page_number(request)
    rows, total = selectors.downline_page(
        node, period, offset=(page - 1) * DOWNLINE_PAGE, limit=DOWNLINE_PAGE
    )
    rows = shown_all(viewer, rows)
    pages = max(1, -(-total // DOWNLINE_PAGE))
    context.update(
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        previous_page=page - 1 if page > 1 else None,
        next_page=page + 1 if page < pages else None,
        show_contact=viewer.is_staff,
    )
    return _render(request, template, context)


@reports
def downline(request, pk: int):
    viewer = viewer_for(request.user)
    member, node = _member(viewer, pk)
    return _downline_response(
        request, viewer, member, node, "analytics/downline.html", {"section": "chart"}
    )


# ---------------------------------------------------------------- member center


@login_required
def my_downline(request):
    viewer = viewer_for(request.user)
    context = {}
    period = _range(request, context, default="this_month")
    member, node = _member(viewer, request.GET.get("member") or request.user.pk)
    context["member"] = member
    context["member_keep"] = _keep_member(viewer, member)
    if period is not None:
        context.update(_chart_context(request, viewer, member, period))
        counts = selectors.level_figures(request.user.pk, viewer.node, period)
        context["summary"] = counts
    return _render(request, "analytics/my_downline.html", context)


@login_required
def my_levels(request):
    viewer = viewer_for(request.user)
    member, node = _member(viewer, request.GET.get("member") or request.user.pk)
    context = {}
    report = _levels_context(request, viewer, member, node, context)
    if report is not None and (fmt := _export_format(request)):
        return export_response(tables.levels_table(report, context["member_name"]), fmt)
    return _render(request, "analytics/my_levels.html", context)


@login_required
def my_downline_list(request):
    viewer = viewer_for(request.user)
    member, node = _member(viewer, request.GET.get("member") or request.user.pk)
    return _downline_response(request, viewer, member, node, "analytics/my_downline_list.html", {})
