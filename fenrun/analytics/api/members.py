"""One member's figures: per level, and their downline page by page."""

from dataclasses import replace

from ninja import Query, Router

from fenrun.analytics import selectors
from fenrun.analytics.access import display_name, resolve_member
from fenrun.analytics.api.common import period, viewer
from fenrun.analytics.api.schemas import ON_MEMBER, DateParams, DownlineOut, LevelsOut
from fenrun.core.paging import LimitOffsetPage
from fenrun.core.permissions import member_only
from fenrun.core.schemas import Id

router = Router()


@router.get(
    "/members/{id:member_id}/levels",
    response={200: LevelsOut, **ON_MEMBER},
    summary="Per-level figures (levels 1-20 and deeper) of a member for a date range",
    **member_only(),
)
def member_levels(request, member_id: Id, dates: Query[DateParams]):
    who = viewer(request)
    days = period(dates)
    member, node = resolve_member(who, member_id)
    return selectors.level_figures(member.pk, node, days)


@router.get(
    "/members/{id:member_id}/downline",
    response={200: DownlineOut, **ON_MEMBER},
    summary="A page of a member's downline in tree order, with personal figures",
    **member_only(),
)
def member_downline(
    request,
    member_id: Id,
    dates: Query[DateParams],
    paging: Query[LimitOffsetPage.Input],
):
    who = viewer(request)
    days = period(dates)
    _member, node = resolve_member(who, member_id)
    rows, total = selectors.downline_page(node, days, offset=paging.offset, limit=paging.limit)
    return {
        "count": total,
        "limit": paging.limit,
        "offset": paging.offset,
        "period": days,
        "items": [replace(r, name=display_name(who, r.user_id, r.name, r.email)) for r in rows],
    }
