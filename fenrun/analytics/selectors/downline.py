"""A member's downline as a list in tree order, paged for the pages and streamed for exports."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fenrun.analytics.periods import DateRange
from fenrun.analytics.selectors.base import (
    ZERO,
    User,
    _personal_sales,
    direct_referral_counts,
    subtree,
    tags_of,
)
from fenrun.referrals.models import ReferralNode


@dataclass
class DownlineRow:
    user_id: int
    level: int
    name: str
    email: str
    phone: str
    joined: datetime
    sponsor_id: int | None
    direct_referrals: int
    orders: int
    sales: Decimal
    tags: list


DOWNLINE_CHUNK = 2000


def _downline_rows(nodes: list[ReferralNode], base_depth: int, period: DateRange):
    ids = [n.pk for n in nodes]
    users = User.objects.in_bulk(ids)
    directs = direct_referral_counts(ids)
    personal = _personal_sales(ids, period)
    tags = tags_of(ids)
    for n in nodes:
        user = users[n.pk]
        orders, sales = personal.get(n.pk, (0, ZERO))
        yield DownlineRow(
            user_id=n.pk,
            level=n.depth - base_depth,
            name=user.name,
            email=user.email,
            phone=user.phone,
            joined=user.date_joined,
            sponsor_id=n.sponsor_id,
            direct_referrals=directs.get(n.pk, 0),
            orders=orders,
            sales=sales,
            tags=tags.get(n.pk, []),
        )


def iter_downline(node: ReferralNode | None, period: DateRange, *, chunk: int | None = None):
    """Every member below ``node`` in tree order, with personal figures for the period.

    Keyset pagination over the path keeps memory flat for any size of downline: exports stream
    this without building the table first.
    """
    if node is None:
        return
    chunk = chunk or DOWNLINE_CHUNK
    base = subtree(node).order_by("path").only("pk", "depth", "path", "sponsor_id")
    last_path = None
    while True:
        qs = base if last_path is None else base.filter(path__gt=last_path)
        nodes = list(qs[:chunk])
        if not nodes:
            return
        yield from _downline_rows(nodes, node.depth, period)
        if len(nodes) < chunk:
            return
        last_path = nodes[-1].path


def downline_page(node: ReferralNode | None, period: DateRange, *, offset: int, limit: int):
    """``limit`` members of the downline in tree order from ``offset``, and the downline's size."""
    if node is None:
        return [], 0
    total = subtree(node).count()
    if offset >= total:
        return [], total
    nodes = list(
        subtree(node)
        .order_by("path")
        .only("pk", "depth", "path", "sponsor_id")[offset : offset + limit]
    )
    return list(_downline_rows(nodes, node.depth, period)), total
