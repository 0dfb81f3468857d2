"""The organisation chart's data: a node, its direct referrals, the sources, the search."""

from ninja import Query, Router
from ninja.pagination import paginate

from fenrun.analytics import selectors
from fenrun.analytics.access import resolve_member
from fenrun.analytics.api.common import period, viewer
from fenrun.analytics.api.schemas import (
    FILTERED,
    ON_MEMBER,
    SALES_FLAG,
    STAFF_REPORT,
    ChildrenOut,
    DateParams,
    NodeDetailOut,
    SearchHitOut,
)
from fenrun.analytics.presenters import crumbs, node_payload, search_hit
from fenrun.core.paging import LimitOffsetPage
from fenrun.core.permissions import Capability, member_only, staff_only
from fenrun.core.schemas import Id

router = Router()


@router.get(
    "/members/{id:member_id}/node",
    response={200: NodeDetailOut, **ON_MEMBER},
    summary="A member's chart node with figures",
    **member_only(),
)
def member_node(
    request,
    member_id: Id,
    dates: Query[DateParams],
    sales: bool = Query(True, description=SALES_FLAG),
):
    who = viewer(request)
    days = period(dates)
    member, node = resolve_member(who, member_id)
    fig = selectors.member_figures(member, node, days, with_sales=sales)
    return {"period": days, "node": node_payload(fig, who), "uplines": crumbs(who, node)}


def _children(who, days, parent_id, page) -> dict:
    return {
        "count": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "period": days,
        "parent_id": parent_id,
        "items": [node_payload(f, who) for f in page.children],
    }


@router.get(
    "/members/{id:member_id}/children",
    response={200: ChildrenOut, **ON_MEMBER},
    summary="A page of a member's direct referrals with figures (the chart's lazy expansion)",
    **member_only(),
)
def member_children(
    request,
    member_id: Id,
    dates: Query[DateParams],
    paging: Query[LimitOffsetPage.Input],
    sales: bool = Query(True, description=SALES_FLAG),
):
    who = viewer(request)
    days = period(dates)
    _member, node = resolve_member(who, member_id)
    page = selectors.children_page(
        node, days, offset=paging.offset, limit=paging.limit, with_sales=sales
    )
    return _children(who, days, member_id, page)


@router.get(
    "/sources",
    response={200: ChildrenOut, **STAFF_REPORT},
    summary="Staff: the organisation's sources (members without a sponsor), with figures",
    **staff_only(Capability.VIEW_REPORTS),
)
def sources(
    request,
    dates: Query[DateParams],
    paging: Query[LimitOffsetPage.Input],
    sales: bool = Query(True, description=SALES_FLAG),
):
    who = viewer(request)
    days = period(dates)
    page = selectors.sources_page(days, offset=paging.offset, limit=paging.limit, with_sales=sales)
    return _children(who, days, None, page)


@router.get(
    "/search",
    response={200: list[SearchHitOut], **FILTERED},
    summary="Find a member (members: in their downline, by name or code)",
    **member_only(),
)
@paginate(LimitOffsetPage)
def search(request, q: str = Query(..., min_length=1, max_length=60)):
    who = viewer(request)
    hits = selectors.search_members(
        q, within=who.node, staff=who.is_staff, contact=who.sees_contact_data
    )
    return [search_hit(who, hit) for hit in hits]
