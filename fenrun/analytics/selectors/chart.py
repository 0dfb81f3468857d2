"""The organisation chart: a node's figures, its direct referrals page by page, the sources,
the breadcrumb above a node and the member search."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Q, Sum

from fenrun.analytics.models import DownlineSalesDay
from fenrun.analytics.periods import DateRange
from fenrun.analytics.selectors.base import (
    ZERO,
    User,
    _fetch,
    _personal_sales,
    _tables,
    codes_of,
    direct_referral_counts,
    money,
    olap,
    subtree,
    tags_of,
)
from fenrun.referrals.models import ReferralNode
from fenrun.referrals.tree import upline_ids
from fenrun.referrals.tree_queries import ancestor_at_depth_sql, sibling_subtrees_sql

CHILDREN_PAGE = 50
SEARCH_LIMIT = 20


@dataclass
class NodeFigures:
    user_id: int
    name: str
    email: str
    phone: str
    joined: datetime
    depth: int | None
    sponsor_id: int | None
    direct_referrals: int = 0
    downline: int = 0
    personal_orders: int = 0
    personal_sales: Decimal = ZERO
    downline_orders: int = 0
    downline_sales: Decimal = ZERO
    tags: list = field(default_factory=list)
    code: str = ""
    has_sales: bool = True


def _rollup_sums(user_ids: list[int], period: DateRange) -> dict[int, tuple]:
    """{member: (own orders, own sales, downline orders, downline sales)} in the period, from
    the members' own roll-up rows: one query over the (member, day, level) index."""
    rows = (
        DownlineSalesDay.objects.filter(
            member_id__in=user_ids, day__gte=period.start, day__lte=period.end
        )
        .values("member_id")
        .annotate(
            own_n=Sum("orders", filter=Q(level=0)),
            own_v=Sum("sales", filter=Q(level=0)),
            down_n=Sum("orders", filter=Q(level__gte=1)),
            down_v=Sum("sales", filter=Q(level__gte=1)),
        )
        .order_by()
    )
    return {
        r["member_id"]: (r["own_n"] or 0, money(r["own_v"]), r["down_n"] or 0, money(r["down_v"]))
        for r in rows
    }


def _subtree_totals(nodes: list[ReferralNode]) -> dict[int, dict]:
    """Downline size of each node (all at one depth, sorted by path) in one grouped query over
    the range their subtrees cover."""
    if not nodes:
        return {}
    depth = nodes[0].depth
    assert all(n.depth == depth for n in nodes)
    where_sql, params = sibling_subtrees_sql("n", nodes[0].path, nodes[-1].path, depth)
    group = ancestor_at_depth_sql("n", depth)
    t = _tables()
    result = {n.pk: {"downline": 0} for n in nodes}
    for top_id, count in _fetch(
        f"SELECT {group}, COUNT(*) FROM {t['node']} n WHERE {where_sql} GROUP BY {group}", params
    ):
        if top_id in result:
            result[top_id]["downline"] = count
    return result


@olap
def figures_for_nodes(
    nodes: list[ReferralNode], period: DateRange, *, with_sales: bool = True
) -> list[NodeFigures]:
    """The chart's figures for siblings (or one node): a fixed number of queries per call.

    ``with_sales=False`` leaves out the roll-up query (sales are zero, ``has_sales`` False):
    what is left reads only the tree's index, so a huge downline's structure draws at once and
    its sales follow in a second request.
    """
    if not nodes:
        return []
    nodes = sorted(nodes, key=lambda n: n.path)
    ids = [n.pk for n in nodes]
    users = User.objects.in_bulk(ids)
    directs = direct_referral_counts(ids)
    sums = _rollup_sums(ids, period) if with_sales else {}
    totals = _subtree_totals(nodes)
    tags = tags_of(ids)
    codes = codes_of(ids)
    result = []
    for node in nodes:
        user = users[node.pk]
        own_orders, own_sales, down_orders, down_sales = sums.get(node.pk, (0, ZERO, 0, ZERO))
        total = totals[node.pk]
        result.append(
            NodeFigures(
                user_id=node.pk,
                name=user.name,
                email=user.email,
                phone=user.phone,
                joined=user.date_joined,
                depth=node.depth,
                sponsor_id=node.sponsor_id,
                direct_referrals=directs.get(node.pk, 0),
                downline=total["downline"],
                personal_orders=own_orders,
                personal_sales=own_sales,
                downline_orders=down_orders,
                downline_sales=down_sales,
                tags=tags.get(node.pk, []),
                code=codes.get(node.pk, ""),
                has_sales=with_sales,
            )
        )
    return result


@olap
def member_figures(
    member, node: ReferralNode | None, period: DateRange, *, with_sales: bool = True
) -> NodeFigures:
    """One member's chart node; a member outside the tree is a node without a downline."""
    if node is not None:
        return figures_for_nodes([node], period, with_sales=with_sales)[0]
    own_orders, own_sales = _personal_sales([member.pk], period).get(member.pk, (0, ZERO))
    return NodeFigures(
        user_id=member.pk,
        name=member.name,
        email=member.email,
        phone=member.phone,
        joined=member.date_joined,
        depth=None,
        sponsor_id=None,
        personal_orders=own_orders,
        personal_sales=own_sales,
        tags=tags_of([member.pk]).get(member.pk, []),
        code=codes_of([member.pk]).get(member.pk, ""),
    )


@dataclass
class ChildrenPage:
    children: list[NodeFigures]
    total: int
    offset: int
    limit: int


def children_page(
    node: ReferralNode | None,
    period: DateRange,
    *,
    offset: int = 0,
    limit: int = CHILDREN_PAGE,
    with_sales: bool = True,
) -> ChildrenPage:
    """A page of the member's direct referrals with their figures, in path (= id) order."""
    if node is None:
        return ChildrenPage([], 0, offset, limit)
    qs = ReferralNode.objects.filter(sponsor_id=node.pk).order_by("pk")
    total = qs.count()
    page = list(qs[offset : offset + limit]) if offset < total else []
    return ChildrenPage(
        figures_for_nodes(page, period, with_sales=with_sales), total, offset, limit
    )


def sources_page(
    period: DateRange, *, offset: int = 0, limit: int = CHILDREN_PAGE, with_sales: bool = True
) -> ChildrenPage:
    """A page of the organisation's sources (members without a sponsor), for the staff chart."""
    qs = ReferralNode.objects.filter(depth=1).order_by("pk")
    total = qs.count()
    page = list(qs[offset : offset + limit]) if offset < total else []
    return ChildrenPage(
        figures_for_nodes(page, period, with_sales=with_sales), total, offset, limit
    )


def upline_ids_within(node: ReferralNode | None, top: ReferralNode | None) -> list[int]:
    """Ids from ``top`` (included) down to the node's sponsor; everything above the node when
    ``top`` is None. For the chart's breadcrumb."""
    if node is None:
        return []
    ids = upline_ids(node.path)
    if top is not None:
        ids = ids[top.depth - 1 :]
    return ids


@dataclass
class SearchHit:
    user_id: int
    name: str
    email: str
    phone: str
    joined: datetime
    code: str
    depth: int | None  # None: not in the tree


def search_members(
    query: str,
    *,
    within: ReferralNode | None,
    staff: bool,
    contact: bool = False,
    limit=SEARCH_LIMIT,
) -> list[SearchHit]:
    """Members matching a name, a referral code, an id (staff) or a phone number or e-mail
    (staff who may see contact data).

    A member searches their own downline only, and nobody searches by phone or e-mail who may
    not see them: a hit would tell them a number they typed belongs to someone.
    """
    query = (query or "").strip()[:60]
    if len(query) < 1:
        return []
    condition = Q(name__icontains=query) | Q(referral_codes__code=query.lower())
    if staff:
        if contact:
            digits = "".join(ch for ch in query if ch.isdigit())
            if len(digits) >= 4:
                condition |= Q(phone__contains=digits)
            if "@" in query or len(query) >= 3:
                condition |= Q(email__icontains=query)
        if query.isdigit() and len(query) <= 12:
            condition |= Q(pk=int(query))
    users = User.objects.filter(condition)
    if not staff:
        if within is None:
            return []
        users = users.filter(pk__in=subtree(within).values("pk"))
    ids = list(users.order_by("pk").values_list("pk", flat=True).distinct()[:limit])
    found = User.objects.in_bulk(ids)
    depths = dict(ReferralNode.objects.filter(pk__in=ids).values_list("pk", "depth"))
    codes = codes_of(ids)
    return [
        SearchHit(
            user_id=i,
            name=found[i].name,
            email=found[i].email,
            phone=found[i].phone,
            joined=found[i].date_joined,
            code=codes.get(i, ""),
            depth=depths.get(i),
        )
        for i in ids
    ]
