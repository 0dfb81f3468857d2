"""Read queries of the referral tree, links and campaigns, shared by pages, API and other apps."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse

from fenrun.core import privacy
from fenrun.referrals.models import (
    Campaign,
    Click,
    OrderAttribution,
    ReferralCode,
    ReferralNode,
    SponsorChange,
)
from fenrun.referrals.tree import SEGMENT_WIDTH, path_ids, subtree_lookup

User = get_user_model()


@dataclass(frozen=True)
class Upline:
    user_id: int
    level: int  # 1 = the member's sponsor, 2 = the sponsor's sponsor, ...
    tree_level: int  # absolute: a source is 1
    group_id: int | None
    is_active: bool  # active account and not banned


def _node_table() -> str:
    return connection.ops.quote_name(ReferralNode._meta.db_table)


def _user_table() -> str:
    return connection.ops.quote_name(User._meta.db_table)


# The member's path is read once; each upline's id is a fixed-width slice of it, CAST back to an
# integer and joined on the primary key. One statement on SQLite and PostgreSQL alike.
_UPLINES_SQL = """
WITH RECURSIVE me(path, depth) AS (
    SELECT path, depth FROM {node} WHERE user_id = %s
), lv(d) AS (
    SELECT depth - 1 FROM me WHERE depth > 1
    UNION ALL
    SELECT lv.d - 1 FROM lv, me WHERE lv.d > 1 AND lv.d > me.depth - %s
)
SELECT a.user_id, me.depth - a.depth, a.depth, u.group_id, u.is_active, u.is_banned
FROM lv
CROSS JOIN me
JOIN {node} a ON a.user_id = CAST(SUBSTR(me.path, (lv.d - 1) * {w} + 1, {w}) AS BIGINT)
JOIN {user} u ON u.id = a.user_id
ORDER BY a.depth DESC
"""


def _uplines(rows) -> list[Upline]:
    return [
        Upline(
            user_id=row[0],
            level=row[1],
            tree_level=row[2],
            group_id=row[3],
            is_active=bool(row[4]) and not bool(row[5]),
        )
        for row in rows
    ]


def upline_chain(user_id: int, limit: int | None = 20) -> list[Upline]:
    """The member's uplines, nearest first (the sponsor has level 1); at most ``limit``."""
    if limit is not None and limit <= 0:
        return []
    if limit is None or limit > LONG_CHAIN:
        return _long_upline_chain(user_id, limit)
    sql = _UPLINES_SQL.format(node=_node_table(), user=_user_table(), w=SEGMENT_WIDTH)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, limit if limit is not None else 2**31 - 1])
        return _uplines(cursor.fetchall())


# Beyond this many uplines, slicing the path in SQL once per upline costs more (on PostgreSQL
# each slice of a long text re-reads it from the start) than reading the path and fetching the
# uplines by primary key: two queries instead of one.
LONG_CHAIN = 200


def _long_upline_chain(user_id: int, limit: int | None) -> list[Upline]:
    node = ReferralNode.objects.filter(pk=user_id).values_list("path", "depth").first()
    if node is None:
        return []
    path, depth = node
    ids = path_ids(path)[:-1][::-1]
    if limit is not None:
        ids = ids[:limit]
    users = {
        row[0]: row
        for row in User.objects.filter(pk__in=ids).values_list(
            "pk", "group_id", "is_active", "is_banned"
        )
    }
    return [
        Upline(
            user_id=uid,
            level=level,
            tree_level=depth - level,
            group_id=users[uid][1],
            is_active=bool(users[uid][2]) and not bool(users[uid][3]),
        )
        for level, uid in enumerate(ids, start=1)
    ]


def uplines_at_tree_levels(user_id: int, tree_levels: set[int]) -> list[Upline]:
    """The member's uplines standing on the given absolute tree levels (1 = a source), nearest
    first; levels at or below the member's own are ignored. For guaranteed levels."""
    levels = sorted({int(level) for level in tree_levels if int(level) >= 1})
    if not levels:
        return []
    level_rows = " UNION ALL ".join(["SELECT %s AS d"] * len(levels))
    sql = f"""
    SELECT a.user_id, me.depth - a.depth, a.depth, u.group_id, u.is_active, u.is_banned
    FROM {_node_table()} me
    JOIN ({level_rows}) lv ON lv.d < me.depth
    JOIN {_node_table()} a
      ON a.user_id = CAST(SUBSTR(me.path, (lv.d - 1) * {SEGMENT_WIDTH} + 1, {SEGMENT_WIDTH}) AS BIGINT)
    JOIN {_user_table()} u ON u.id = a.user_id
    WHERE me.user_id = %s
    ORDER BY a.depth DESC
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*levels, user_id])
        return _uplines(cursor.fetchall())


def chains_of(user_ids, *, limit: int, tree_levels=frozenset()) -> dict[int, list[Upline]]:
    """Many members' chains at once: each member first (level 0), then their uplines nearest
    first, at most ``limit`` of them, plus any upline standing on one of ``tree_levels``
    (absolute, 1 = a source) further up. Unknown users are left out.

    Two queries whatever the number of members: the nodes' paths, then the users on them. An
    upline's tree level is its position in the path, so no upline node is read.
    """
    ids = sorted({int(i) for i in user_ids})
    if not ids:
        return {}
    wanted_levels = {int(t) for t in tree_levels}
    nodes = dict(ReferralNode.objects.filter(pk__in=ids).values_list("pk", "path"))
    members: dict[int, list[tuple[int, int, int]]] = {}  # user → [(id, level, tree level)]
    for user_id in ids:
        path = nodes.get(user_id)
        if path is None:
            members[user_id] = [(user_id, 0, 1)]
            continue
        on_path = path_ids(path)
        depth = len(on_path)
        entries = [(user_id, 0, depth)]
        for level in range(1, depth):
            tree_level = depth - level
            if level <= limit or tree_level in wanted_levels:
                entries.append((on_path[tree_level - 1], level, tree_level))
        members[user_id] = entries
    flags = {
        row[0]: row
        for row in User.objects.filter(
            pk__in={uid for entries in members.values() for uid, _l, _t in entries}
        ).values_list("pk", "group_id", "is_active", "is_banned")
    }
    return {
        user_id: [
            Upline(
                user_id=uid,
                level=level,
                tree_level=tree_level,
                group_id=flags[uid][1],
                is_active=bool(flags[uid][2]) and not bool(flags[uid][3]),
            )
            for uid, level, tree_level in entries
            if uid in flags
        ]
        for user_id, entries in members.items()
        if user_id in flags
    }


def order_referrer_ids(order_ids) -> dict[int, int]:
    """{order id: referrer id} for the orders someone brought in."""
    return dict(
        OrderAttribution.objects.filter(
            order_id__in=list(order_ids), referrer__isnull=False
        ).values_list("order_id", "referrer_id")
    )


def order_referrer_id(order_id: int) -> int | None:
    """Who brought the order in, as fixed when it was placed (None: nobody)."""
    return (
        OrderAttribution.objects.filter(order_id=order_id)
        .values_list("referrer_id", flat=True)
        .first()
    )


def node_of(user_id: int) -> ReferralNode | None:
    return ReferralNode.objects.filter(pk=user_id).first()


def tree_level_of(user_id: int) -> int | None:
    return ReferralNode.objects.filter(pk=user_id).values_list("depth", flat=True).first()


def _subtree(node: ReferralNode, *, include_self: bool = False):
    return ReferralNode.objects.filter(
        **subtree_lookup(node.path, node.depth, include_self=include_self)
    )


def downline_ids(user_id: int):
    """A queryset of the ids of everyone below the member, any depth (for subqueries)."""
    node = node_of(user_id)
    if node is None:
        return ReferralNode.objects.none().values_list("pk", flat=True)
    return _subtree(node).values_list("pk", flat=True)


def downline_count(user_id: int) -> int:
    node = node_of(user_id)
    return _subtree(node).count() if node else 0


def downline_counts_by_level(user_id: int) -> dict[int, int]:
    """How many members stand 1, 2, 3, ... levels below the member: one grouped range scan."""
    node = node_of(user_id)
    if node is None:
        return {}
    rows = _subtree(node).values("depth").annotate(n=Count("pk")).order_by("depth")
    return {row["depth"] - node.depth: row["n"] for row in rows}


def direct_referrals(user_id: int):
    """The members the given member sponsors, with their account, newest first."""
    return (
        ReferralNode.objects.filter(sponsor_id=user_id)
        .select_related("user")
        .order_by("-bound_at", "-pk")
    )


def mask_name(user) -> str:
    """A member as another member sees them (their upline, or a visitor on the registration
    page): the shop's one masking style, on the name or, without one, the e-mail's local part."""
    return privacy.mask_name(user.name or user.email.split("@")[0])


def recent_referrals(user_id: int, limit: int = 10) -> list[dict]:
    """The member's newest direct referrals, masked (personal data stays with staff)."""
    return [
        {
            "name": mask_name(node.user),
            "bound_at": node.bound_at,
            "via": node.get_bound_via_display(),
        }
        for node in direct_referrals(user_id)[:limit]
    ]


@dataclass(frozen=True)
class TreeView:
    member: object
    node: ReferralNode | None
    sponsor: object | None
    uplines: list  # users, nearest first
    directs: list  # ReferralNode with .user and .direct_count
    counts_by_level: dict[int, int]
    total_downline: int
    changes: list


def tree_around(user_id: int, *, upline_limit: int = 20, direct_limit: int = 200) -> TreeView:
    member = User.objects.get(pk=user_id)
    node = node_of(user_id)
    chain = upline_chain(user_id, upline_limit) if node else []
    users = User.objects.in_bulk([u.user_id for u in chain])
    uplines = [(up, users.get(up.user_id)) for up in chain]
    directs = list(
        direct_referrals(user_id).annotate(direct_count=Count("user__referral_children"))[
            :direct_limit
        ]
    )
    counts = downline_counts_by_level(user_id)
    return TreeView(
        member=member,
        node=node,
        sponsor=users.get(node.sponsor_id) if node and node.sponsor_id else None,
        uplines=uplines,
        directs=directs,
        counts_by_level=counts,
        total_downline=sum(counts.values()),
        changes=list(
            SponsorChange.objects.filter(member_id=user_id).select_related(
                "old_sponsor", "new_sponsor", "actor"
            )[:20]
        ),
    )


# ---------------------------------------------------------------- links and statistics


def member_codes(user) -> list[ReferralCode]:
    return list(ReferralCode.objects.filter(user=user).order_by("kind", "id"))


def primary_code(codes: list[ReferralCode]) -> ReferralCode | None:
    """The code links are built with: the chosen one if any, else the generated one."""
    vanity = [c for c in codes if c.kind == ReferralCode.Kind.VANITY]
    generated = [c for c in codes if c.kind == ReferralCode.Kind.GENERATED]
    return (vanity or generated or [None])[0]


def share_path(code: str, product_slug: str | None = None, campaign: str | None = None) -> str:
    if product_slug:
        path = reverse("referrals:share_product", args=[code, product_slug])
    else:
        path = reverse("referrals:share", args=[code])
    return f"{path}?c={campaign}" if campaign else path


def target_path(product_slug: str | None = None) -> str:
    """The page a share link lands on; "/" if the shop's pages are not mounted."""
    try:
        if product_slug:
            return reverse("storefront:product", args=[product_slug])
        return reverse("storefront:home")
    except NoReverseMatch:
        return "/"


@dataclass
class LinkStats:
    clicks: int = 0
    signups: int = 0
    orders: int = 0


def link_stats(user_id: int) -> dict[int | None, LinkStats]:
    """Clicks, sign-ups and orders per link of a member, keyed by product id (None: shop)."""
    stats: dict[int | None, LinkStats] = {}
    for row in (
        Click.objects.filter(referrer_id=user_id).values("product_id").annotate(n=Count("pk"))
    ):
        stats.setdefault(row["product_id"], LinkStats()).clicks = row["n"]
    signups = (
        ReferralNode.objects.filter(sponsor_id=user_id, signup_click__referrer_id=user_id)
        .values("signup_click__product_id")
        .annotate(n=Count("pk"))
    )
    for row in signups:
        stats.setdefault(row["signup_click__product_id"], LinkStats()).signups = row["n"]
    orders = (
        OrderAttribution.objects.filter(referrer_id=user_id, click__referrer_id=user_id)
        .values("click__product_id")
        .annotate(n=Count("pk"))
    )
    for row in orders:
        stats.setdefault(row["click__product_id"], LinkStats()).orders = row["n"]
    return stats


def member_totals(user_id: int) -> LinkStats:
    return LinkStats(
        clicks=Click.objects.filter(referrer_id=user_id).count(),
        signups=ReferralNode.objects.filter(sponsor_id=user_id).count(),
        orders=OrderAttribution.objects.filter(referrer_id=user_id).count(),
    )


def campaigns_for(user):
    """Campaigns a member can share: active shop-wide ones and their own."""
    return Campaign.objects.filter(Q(owner__isnull=True) | Q(owner=user), is_active=True).order_by(
        "-starts_at", "-id"
    )


def campaign_stats(campaign_ids: list[int], referrer_id: int | None = None) -> dict[int, LinkStats]:
    """Clicks, sign-ups and orders per campaign (optionally only one member's)."""
    result = {pk: LinkStats() for pk in campaign_ids}
    clicks = Click.objects.filter(campaign_id__in=campaign_ids)
    signups = ReferralNode.objects.filter(signup_campaign_id__in=campaign_ids)
    orders = OrderAttribution.objects.filter(campaign_id__in=campaign_ids)
    if referrer_id is not None:
        clicks = clicks.filter(referrer_id=referrer_id)
        signups = signups.filter(sponsor_id=referrer_id)
        orders = orders.filter(Q(referrer_id=referrer_id) | Q(click__referrer_id=referrer_id))
    for qs, attr, key in (
        (clicks, "clicks", "campaign_id"),
        (signups, "signups", "signup_campaign_id"),
        (orders, "orders", "campaign_id"),
    ):
        for row in qs.values(key).annotate(n=Count("pk")).order_by():
            setattr(result[row[key]], attr, row["n"])
    return result
