"""What a viewer is shown of a member: one set of functions for the pages, the exports and the
API alike, so the masking rules (``fenrun.analytics.access``) apply the same everywhere."""

from dataclasses import replace

from fenrun.analytics.access import Viewer, display_name
from fenrun.analytics.selectors import NodeFigures, SearchHit, User, upline_ids_within
from fenrun.referrals.models import ReferralNode


def _money(value) -> str:
    return f"{value:.2f}"


def chart_level(depth: int | None) -> int | None:
    """The staff chart's 層 of a member on absolute tree level ``depth`` (a source is 0)."""
    return depth - 1 if depth is not None else None


def node_payload(fig: NodeFigures, viewer: Viewer) -> dict:
    """A chart node. ``level`` is the glossary's 層 on both charts: the distance from the top of
    the chart, 1 = a direct referral. The top is the member for their own chart (0 = you) and
    the source for the staff's (0 = a source, one less than the absolute tree level
    ``ReferralNode.depth``). Phone and e-mail only for staff (masked without the contact-data
    capability) and the member themselves."""
    if viewer.is_staff:
        level = chart_level(fig.depth)
    elif fig.depth is not None and viewer.node is not None:
        level = fig.depth - viewer.node.depth
    else:
        level = 0
    email, phone = viewer.contact(fig.user_id, fig.email, fig.phone)
    return {
        "id": fig.user_id,
        "name": display_name(viewer, fig.user_id, fig.name, fig.email),
        "joined": fig.joined.date().isoformat() if fig.joined else None,
        "level": level,
        "tree_level": fig.depth if viewer.is_staff else None,
        "sponsor_id": fig.sponsor_id
        if fig.sponsor_id is not None and (viewer.is_staff or level >= 1)
        else None,
        "direct_referrals": fig.direct_referrals,
        "downline": fig.downline,
        "personal_orders": fig.personal_orders,
        "personal_sales": _money(fig.personal_sales),
        "downline_orders": fig.downline_orders,
        "downline_sales": _money(fig.downline_sales),
        "tags": fig.tags,
        "code": fig.code,
        "has_sales": fig.has_sales,
        "email": email,
        "phone": phone,
    }


def shown(viewer: Viewer, row):
    """A copy of a report row (any dataclass with ``user_id``, ``name`` and ``email``, and
    maybe ``phone``) with what the viewer may see: the display name, contact data in full,
    masked or empty."""
    if getattr(row, "user_id", None) is None:
        return row
    email, phone = viewer.contact(row.user_id, row.email, getattr(row, "phone", ""))
    changes = {"name": display_name(viewer, row.user_id, row.name, row.email), "email": email or ""}
    if hasattr(row, "phone"):
        changes["phone"] = phone or ""
    return replace(row, **changes)


def shown_all(viewer: Viewer, rows) -> list:
    return [shown(viewer, row) for row in rows]


def search_hit(viewer: Viewer, hit: SearchHit) -> dict:
    if viewer.is_staff:
        level = chart_level(hit.depth)
    else:
        level = hit.depth - viewer.node.depth if hit.depth and viewer.node else None
    return {
        "id": hit.user_id,
        "name": display_name(viewer, hit.user_id, hit.name, hit.email),
        "code": hit.code,
        "level": level,
        "joined": hit.joined.date(),
    }


def crumbs(viewer: Viewer, node: ReferralNode | None) -> list[dict]:
    """The chart's breadcrumb: the uplines the viewer may see, top first."""
    top = None if viewer.is_staff else viewer.node
    ids = upline_ids_within(node, top)
    if not viewer.is_staff and node is not None and node.pk == viewer.user_id:
        ids = []
    users = User.objects.in_bulk(ids)
    return [
        {"id": i, "name": display_name(viewer, i, users[i].name, users[i].email)}
        for i in ids
        if i in users
    ]
