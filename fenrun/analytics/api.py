"""Analytics over JSON: the organisation chart's data and every report, with the pages' rules.

Staff (a logged-in staff session) see everything. A member sees themselves and their downline
only: asking for anyone else answers 403 with nothing about them, an unknown id 404, and other
members' names come masked, without phone or e-mail. The reports that rank or list the whole
shop (leaderboards, depth, campaigns, UTM, dashboard, tags) are staff only.
Dates are ``start``/``end`` as YYYY-MM-DD (both included) or a ``preset``; bad ones answer 400.
"""

from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from fenrun.analytics import selectors, services
from fenrun.analytics.access import (
    MemberNotFound,
    OutsideDownline,
    Viewer,
    display_name,
    resolve_member,
    viewer_for,
)
from fenrun.analytics.models import Metric, TagRule
from fenrun.analytics.periods import RangeError, parse_range
from fenrun.analytics.presenters import node_payload
from fenrun.core.api_errors import ApiError
from fenrun.core.auth import MemberSessionAuth
from fenrun.referrals.models import Campaign, ReferralNode

router = Router(tags=["analytics"], auth=MemberSessionAuth())


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class PeriodOut(Schema):
    start: date
    end: date


class TagOut(Schema):
    name: str
    color: str


class NodeOut(Schema):
    id: int
    name: str
    joined: date | None
    level: int | None = Field(
        description="Staff: the absolute tree level (sources are 1). Members: levels below "
        "themselves (1 = direct referral, 0 = themselves)."
    )
    sponsor_id: int | None
    direct_referrals: int
    downline: int = Field(description="Everyone below, any depth.")
    personal_orders: int
    personal_sales: Decimal
    downline_orders: int
    downline_sales: Decimal
    tags: list[TagOut]
    code: str
    has_sales: bool = Field(
        description="False when asked with sales=false: the sales figures were not computed."
    )
    email: str | None = Field(description="Staff and the member themselves only.")
    phone: str | None = Field(description="Staff and the member themselves only.")


class CrumbOut(Schema):
    id: int
    name: str


class NodeDetailOut(Schema):
    period: PeriodOut
    node: NodeOut
    uplines: list[CrumbOut] = Field(description="From the top of what you may see to the sponsor.")


class ChildrenOut(Schema):
    period: PeriodOut
    parent_id: int | None
    children: list[NodeOut]
    total: int
    next_offset: int | None


class SearchHitOut(Schema):
    id: int
    name: str
    code: str
    level: int | None
    joined: date


class LevelRowOut(Schema):
    level: int | None = Field(description="1..20; null for deeper than 20.")
    members: int
    new_members: int
    orders: int
    sales: Decimal
    commissions: Decimal
    commission_count: int


class LevelsOut(Schema):
    member_id: int
    period: PeriodOut
    levels: list[LevelRowOut]
    total: LevelRowOut
    own_commissions: Decimal
    top_sales_level: int | None
    top_commission_level: int | None
    deepest_level: int


class DownlineRowOut(Schema):
    id: int
    level: int
    name: str
    joined: datetime
    sponsor_id: int | None
    direct_referrals: int
    orders: int
    sales: Decimal
    tags: list[TagOut]


class DownlineOut(Schema):
    period: PeriodOut
    total: int
    page: int
    rows: list[DownlineRowOut]


class LeaderOut(Schema):
    rank: int
    member_id: int
    name: str
    value: Decimal
    orders: int | None = None
    tags: list[TagOut]


class LeaderboardOut(Schema):
    metric: str
    period: PeriodOut
    rows: list[LeaderOut]


class DepthRowOut(Schema):
    level: int | None
    members: int
    orders: int
    sales: Decimal
    commissions: Decimal
    commission_count: int


class DepthOut(Schema):
    period: PeriodOut
    tree_levels: list[DepthRowOut]
    commission_levels: list[DepthRowOut]
    top_tree_level: int | None
    top_commission_level: int | None


SALES_FLAG = "false: structure and counts only (fast on huge downlines)."


class FunnelOut(Schema):
    clicks: int
    signups: int
    orders: int
    revenue: Decimal
    signup_clicks: int = Field(description="clicks that led to at least one sign-up")
    order_clicks: int = Field(description="clicks that led to at least one sale")
    signup_rate: Decimal | None
    order_rate: Decimal | None
    revenue_per_click: Decimal | None


class PromoterOut(FunnelOut):
    member_id: int | None
    name: str
    commissions: Decimal


class SeriesPointOut(Schema):
    at: datetime
    clicks: int
    signups: int
    orders: int
    revenue: Decimal


class CampaignOut(Schema):
    id: int
    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    total: FunnelOut
    commissions: Decimal
    promoters: list[PromoterOut]
    bucket: str
    series: list[SeriesPointOut]


class UtmRowOut(FunnelOut):
    utm_source: str
    utm_medium: str
    utm_campaign: str


class UtmOut(Schema):
    period: PeriodOut
    by: str
    rows: list[UtmRowOut]
    total: FunnelOut


class DashboardColumnOut(Schema):
    key: str
    period: PeriodOut
    orders: int
    revenue: Decimal
    commissions: Decimal
    new_members: int
    top_promoters: list[PromoterOut]


class DashboardOut(Schema):
    columns: list[DashboardColumnOut]
    coins_outstanding: Decimal
    commissions_pending: Decimal


class TagRuleOut(Schema):
    id: int
    name: str
    color: str
    metric: str
    period: str
    period_days: int
    threshold: Decimal | None
    top_percent: Decimal | None
    is_active: bool
    members: int
    last_computed_at: datetime | None


class RecomputeOut(Schema):
    rule: str
    tagged: int
    added: int
    removed: int


# ---------------------------------------------------------------- helpers


def _viewer(request) -> Viewer:
    return viewer_for(request.auth)


def _staff(request) -> Viewer:
    viewer = _viewer(request)
    if not viewer.is_staff:
        raise ApiError(403, _("Staff only."))
    return viewer


class DateParams(Schema):
    """The report's days, as on the pages: both days included, in the shop's time zone."""

    start: str | None = Field(None, description="First day, YYYY-MM-DD.")
    end: str | None = Field(None, description="Last day, YYYY-MM-DD.")
    preset: str = Field(
        "", description="today, 7d, 30d, this_month, last_month or this_year (instead of dates)."
    )


class NodePageParams(Schema):
    offset: int = Field(0, ge=0, le=10**9)
    limit: int = Field(selectors.CHILDREN_PAGE, ge=1, le=200)
    sales: bool = Field(True, description=SALES_FLAG)


def _period(dates: DateParams):
    try:
        return parse_range(dates.start, dates.end, dates.preset)
    except RangeError as exc:
        raise ApiError(400, _("Invalid date range."), exc.errors) from None


def _member(viewer: Viewer, member_id: int):
    try:
        return resolve_member(viewer, member_id)
    except MemberNotFound:
        raise ApiError(404, _("No such member.")) from None
    except OutsideDownline:
        raise ApiError(403, _("This member is not in your downline.")) from None


def _period_out(period) -> dict:
    return {"start": period.start, "end": period.end}


def _funnel(row) -> dict:
    return {
        "clicks": row.clicks,
        "signups": row.signups,
        "orders": row.orders,
        "revenue": row.revenue,
        "signup_clicks": row.signup_clicks,
        "order_clicks": row.order_clicks,
        "signup_rate": row.signup_rate,
        "order_rate": row.order_rate,
        "revenue_per_click": row.revenue_per_click,
    }


def _promoter(row) -> dict:
    return {
        **_funnel(row),
        "member_id": row.user_id,
        "name": row.name,
        "commissions": row.commissions,
    }


def _crumbs(viewer: Viewer, node: ReferralNode | None) -> list[dict]:
    top = None if viewer.is_staff else viewer.node
    ids = selectors.upline_ids_within(node, top)
    if not viewer.is_staff and node is not None and node.pk == viewer.user_id:
        ids = []
    users = selectors.User.objects.in_bulk(ids)
    return [
        {"id": i, "name": display_name(viewer, i, users[i].name, users[i].email)}
        for i in ids
        if i in users
    ]


# ---------------------------------------------------------------- chart


@router.get(
    "/members/{member_id}/node",
    response={200: NodeDetailOut, **ERRORS},
    summary="A member's chart node with figures",
)
def member_node(
    request,
    member_id: int,
    dates: Query[DateParams],
    sales: bool = Query(True, description=SALES_FLAG),
):
    viewer = _viewer(request)
    period = _period(dates)
    member, node = _member(viewer, member_id)
    fig = selectors.member_figures(member, node, period, with_sales=sales)
    return {
        "period": _period_out(period),
        "node": node_payload(fig, viewer),
        "uplines": _crumbs(viewer, node),
    }


@router.get(
    "/members/{member_id}/children",
    response={200: ChildrenOut, **ERRORS},
    summary="A page of a member's direct referrals with figures (the chart's lazy expansion)",
)
def member_children(
    request,
    member_id: int,
    dates: Query[DateParams],
    nodes: Query[NodePageParams],
):
    viewer = _viewer(request)
    period = _period(dates)
    _member_obj, node = _member(viewer, member_id)
    page = selectors.children_page(
        node, period, offset=nodes.offset, limit=nodes.limit, with_sales=nodes.sales
    )
    return {
        "period": _period_out(period),
        "parent_id": member_id,
        "children": [node_payload(f, viewer) for f in page.children],
        "total": page.total,
        "next_offset": page.next_offset,
    }


@router.get(
    "/sources",
    response={200: ChildrenOut, **ERRORS},
    summary="Staff: the organisation's sources (members without a sponsor), with figures",
)
def sources(
    request,
    dates: Query[DateParams],
    nodes: Query[NodePageParams],
):
    viewer = _staff(request)
    period = _period(dates)
    page = selectors.sources_page(
        period, offset=nodes.offset, limit=nodes.limit, with_sales=nodes.sales
    )
    return {
        "period": _period_out(period),
        "parent_id": None,
        "children": [node_payload(f, viewer) for f in page.children],
        "total": page.total,
        "next_offset": page.next_offset,
    }


@router.get("/search", response={200: list[SearchHitOut], **ERRORS}, summary="Find a member")
def search(request, q: str = Query(..., min_length=1, max_length=60)):
    viewer = _viewer(request)
    hits = selectors.search_members(q, within=viewer.node, staff=viewer.is_staff)
    result = []
    for user, node, code in hits:
        if viewer.is_staff:
            level = node.depth if node else None
        else:
            level = node.depth - viewer.node.depth if node and viewer.node else None
        result.append(
            {
                "id": user.pk,
                "name": display_name(viewer, user.pk, user.name, user.email),
                "code": code,
                "level": level,
                "joined": user.date_joined.date(),
            }
        )
    return result


# ---------------------------------------------------------------- per member


def _level_row(row) -> dict:
    return {
        "level": row.level,
        "members": row.members,
        "new_members": row.new_members,
        "orders": row.orders,
        "sales": row.sales,
        "commissions": row.commissions,
        "commission_count": row.commission_count,
    }


@router.get(
    "/members/{member_id}/levels",
    response={200: LevelsOut, **ERRORS},
    summary="Per-level figures (levels 1-20 and deeper) of a member for a date range",
)
def member_levels(request, member_id: int, dates: Query[DateParams]):
    viewer = _viewer(request)
    period = _period(dates)
    member, node = _member(viewer, member_id)
    report = selectors.level_figures(member.pk, node, period)
    return {
        "member_id": member.pk,
        "period": _period_out(period),
        "levels": [_level_row(r) for r in report.rows],
        "total": _level_row(report.total),
        "own_commissions": report.own_commissions,
        "top_sales_level": report.top_sales_level.level if report.top_sales_level else None,
        "top_commission_level": report.top_commission_level.level
        if report.top_commission_level
        else None,
        "deepest_level": report.deepest_level,
    }


@router.get(
    "/members/{member_id}/downline",
    response={200: DownlineOut, **ERRORS},
    summary="A page of a member's downline in tree order, with personal figures",
)
def member_downline(
    request,
    member_id: int,
    dates: Query[DateParams],
    page: int = Query(1, ge=1, le=10**6),
    size: int = Query(50, ge=1, le=500),
):
    viewer = _viewer(request)
    period = _period(dates)
    member, node = _member(viewer, member_id)
    rows, total = selectors.downline_page(node, period, page=page, size=size)
    return {
        "period": _period_out(period),
        "total": total,
        "page": page,
        "rows": [
            {
                "id": r.user_id,
                "level": r.level,
                "name": display_name(viewer, r.user_id, r.name, r.email),
                "joined": r.joined,
                "sponsor_id": r.sponsor_id,
                "direct_referrals": r.direct_referrals,
                "orders": r.orders,
                "sales": r.sales,
                "tags": r.tags,
            }
            for r in rows
        ],
    }


# ---------------------------------------------------------------- staff reports


@router.get(
    "/leaderboards/{metric}",
    response={200: LeaderboardOut, **ERRORS},
    summary="Staff: top members by a metric",
    description="metric: " + ", ".join(Metric.values),
)
def leaderboards(
    request,
    metric: str,
    dates: Query[DateParams],
    limit: int = Query(selectors.LEADERBOARD_LIMIT, ge=1, le=500),
):
    _staff(request)
    if metric not in Metric.values:
        raise ApiError(404, _("Unknown metric."), {"metric": [", ".join(Metric.values)]})
    period = _period(dates)
    rows = selectors.leaderboard(metric, period, limit=limit)
    return {
        "metric": metric,
        "period": _period_out(period),
        "rows": [
            {
                "rank": r.rank,
                "member_id": r.user_id,
                "name": r.name,
                "value": r.value,
                "orders": r.extra if metric == Metric.DOWNLINE_SALES else None,
                "tags": r.tags,
            }
            for r in rows
        ],
    }


def _depth_row(r) -> dict:
    return {
        "level": r.level,
        "members": r.members,
        "orders": r.orders,
        "sales": r.sales,
        "commissions": r.commissions,
        "commission_count": r.commission_count,
    }


@router.get(
    "/depth",
    response={200: DepthOut, **ERRORS},
    summary="Staff: which level contributes most (組織深度分析)",
)
def depth(request, dates: Query[DateParams]):
    _staff(request)
    period = _period(dates)
    report = selectors.depth_analysis(period)
    return {
        "period": _period_out(period),
        "tree_levels": [_depth_row(r) for r in report.tree_levels],
        "commission_levels": [_depth_row(r) for r in report.commission_levels],
        "top_tree_level": report.top_tree_level.level if report.top_tree_level else None,
        "top_commission_level": report.top_commission_level.level
        if report.top_commission_level
        else None,
    }


@router.get(
    "/campaigns/{campaign_id}",
    response={200: CampaignOut, **ERRORS},
    summary="Staff: a campaign's report (直播導流分析)",
)
def campaign(request, campaign_id: int):
    _staff(request)
    obj = Campaign.objects.filter(pk=campaign_id).first()
    if obj is None:
        raise ApiError(404, _("No such campaign."))
    report = selectors.campaign_report(obj)
    return {
        "id": obj.pk,
        "slug": obj.slug,
        "title": obj.title,
        "starts_at": obj.starts_at,
        "ends_at": obj.ends_at,
        "total": _funnel(report.total),
        "commissions": report.commissions_total,
        "promoters": [_promoter(r) for r in report.promoters],
        "bucket": report.bucket,
        "series": [
            {
                "at": p.at,
                "clicks": p.clicks,
                "signups": p.signups,
                "orders": p.orders,
                "revenue": p.revenue,
            }
            for p in report.series
        ],
    }


@router.get("/utm", response={200: UtmOut, **ERRORS}, summary="Staff: UTM report (i追蹤分析表)")
def utm(
    request,
    dates: Query[DateParams],
    by: str = Query("all", description="source, source_medium or all"),
):
    _staff(request)
    if by not in selectors.UTM_DIMENSIONS:
        raise ApiError(400, _("Invalid grouping."), {"by": [", ".join(selectors.UTM_DIMENSIONS)]})
    period = _period(dates)
    rows, total = selectors.utm_report(period, by)
    return {
        "period": _period_out(period),
        "by": by,
        "rows": [
            {
                **_funnel(r),
                "utm_source": r.utm_source,
                "utm_medium": r.utm_medium,
                "utm_campaign": r.utm_campaign,
            }
            for r in rows
        ],
        "total": _funnel(total),
    }


@router.get("/dashboard", response={200: DashboardOut, **ERRORS}, summary="Staff: dashboard")
def dashboard(request):
    _staff(request)
    board = selectors.dashboard()
    return {
        "columns": [
            {
                "key": c.key,
                "period": _period_out(c.period),
                "orders": c.orders,
                "revenue": c.revenue,
                "commissions": c.commissions,
                "new_members": c.new_members,
                "top_promoters": [_promoter(r) for r in c.top_promoters],
            }
            for c in board.columns
        ],
        "coins_outstanding": board.coins_outstanding,
        "commissions_pending": board.commissions_pending,
    }


def _rule_out(rule: TagRule) -> dict:
    return {
        "id": rule.pk,
        "name": rule.name,
        "color": rule.color,
        "metric": rule.metric,
        "period": rule.period,
        "period_days": rule.period_days,
        "threshold": rule.threshold,
        "top_percent": rule.top_percent,
        "is_active": rule.is_active,
        "members": getattr(rule, "member_count", 0),
        "last_computed_at": rule.last_computed_at,
    }


@router.get("/tags", response={200: list[TagRuleOut], **ERRORS}, summary="Staff: tag rules")
def tag_rules(request):
    _staff(request)
    return [_rule_out(r) for r in selectors.rules_with_counts()]


@router.post(
    "/tags/recompute",
    response={200: list[RecomputeOut], **ERRORS},
    summary="Staff: recompute high-contribution tags now",
)
def recompute_tags(request, rule: int | None = None):
    _staff(request)
    if rule is not None and not TagRule.objects.filter(pk=rule).exists():
        raise ApiError(404, _("No such tag rule."))
    results = services.recompute_member_tags(rule_ids=[rule] if rule is not None else None)
    return [
        {"rule": r.rule, "tagged": r.tagged, "added": r.added, "removed": r.removed}
        for r in results
    ]
