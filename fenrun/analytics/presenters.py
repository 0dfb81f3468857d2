"""What a viewer is shown of a member: one function for the chart page and the API alike."""

from fenrun.analytics.access import Viewer, display_name
from fenrun.analytics.selectors import NodeFigures


def _money(value) -> str:
    return f"{value:.2f}"


def node_payload(fig: NodeFigures, viewer: Viewer) -> dict:
    """A chart node. ``level`` counts from the viewer for members (1 = direct referral) and is
    the absolute tree level for staff. Phone and e-mail only for staff and the member
    themselves."""
    if viewer.is_staff:
        level = fig.depth
    elif fig.depth is not None and viewer.node is not None:
        level = fig.depth - viewer.node.depth
    else:
        level = 0
    payload = {
        "id": fig.user_id,
        "name": display_name(viewer, fig.user_id, fig.name, fig.email),
        "joined": fig.joined.date().isoformat() if fig.joined else None,
        "level": level,
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
        "email": None,
        "phone": None,
    }
    if viewer.shows_personal_data_of(fig.user_id):
        payload["email"] = fig.email
        payload["phone"] = fig.phone or None
    return payload
