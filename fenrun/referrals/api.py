"""Referral API: a member's codes, links, campaigns and statistics; staff tree look-ups."""

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from fenrun.accounts.contact import email_for
from fenrun.accounts.lookup import find_member
from fenrun.catalog.models import Product
from fenrun.core.api_errors import ApiError, errors
from fenrun.core.paging import LimitOffsetPage, MappedPage, each
from fenrun.core.permissions import Capability, member_only, staff_only
from fenrun.core.schemas import Id, InputSchema
from fenrun.core.scopes import Scope
from fenrun.referrals import selectors, services

router = Router(tags=["referrals"])

READ = errors(401, 403)
FILTERED = errors(401, 403, 422)
ON_MEMBER = errors(401, 403, 404)
ON_MEMBER_FILTERED = errors(401, 403, 404, 422)


class StatsOut(Schema):
    clicks: int
    signups: int
    orders: int


class CodeOut(Schema):
    code: str
    kind: str
    created_at: datetime


class LinkOut(Schema):
    product_id: int | None
    product_slug: str | None
    title: str
    url: str
    qr_png_url: str
    stats: StatsOut


class MeOut(Schema):
    user_id: int
    primary_code: str
    codes: list[CodeOut]
    sponsor_id: int | None
    tree_level: int
    shop_link: LinkOut
    totals: StatsOut


class VanityIn(InputSchema):
    code: str = Field(..., max_length=40)


class CampaignIn(InputSchema):
    title: str = Field(..., max_length=120)
    slug: str = Field(..., max_length=40)
    kind: str = "live"
    starts_at: datetime
    ends_at: datetime
    stream_url: str = Field("", max_length=200)


class CampaignOut(Schema):
    id: int
    slug: str
    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    stream_url: str
    shop_wide: bool
    url: str
    stats: StatsOut


class UplineOut(Schema):
    user_id: int
    level: int
    tree_level: int
    group_id: int | None
    is_active: bool


class MemberOut(Schema):
    user_id: int
    name: str
    email: str
    tree_level: int | None
    direct_count: int | None = None


class TreeOut(Schema):
    member: MemberOut
    sponsor: MemberOut | None
    uplines: list[UplineOut]
    directs: list[MemberOut]
    downline_total: int
    downline_by_level: dict[int, int]


class ReassignIn(InputSchema):
    sponsor_id: int | None = Field(None, description="Empty: the member becomes a source.")
    reason: str = Field(..., max_length=300)


class SponsorChangeOut(Schema):
    id: int
    member_id: int
    old_sponsor_id: int | None
    new_sponsor_id: int | None
    reason: str
    actor_id: int | None
    created_at: datetime


def _stats(s) -> dict:
    return {"clicks": s.clicks, "signups": s.signups, "orders": s.orders}


def _code(request):
    services.ensure_node(request.user)
    return selectors.primary_code(selectors.member_codes(request.user)) or services.ensure_code(
        request.user
    )


def _link(request, code, product, stats) -> dict:
    from django.urls import reverse

    slug = product.slug if product else None
    qr = reverse("referrals:qr_png") + (f"?p={slug}" if slug else "")
    return {
        "product_id": product.pk if product else None,
        "product_slug": slug,
        "title": product.name if product else "",
        "url": request.build_absolute_uri(selectors.share_path(code.code, slug)),
        "qr_png_url": request.build_absolute_uri(qr),
        "stats": _stats(stats.get(product.pk if product else None, selectors.LinkStats())),
    }


@router.get(
    "/me",
    response={200: MeOut, **READ},
    summary="My codes, shop link and totals",
    **member_only(),
)
def me(request):
    code = _code(request)
    node = selectors.node_of(request.user.pk)
    stats = selectors.link_stats(request.user.pk)
    shop = _link(request, code, None, stats)
    shop["title"] = "shop"
    return {
        "user_id": request.user.pk,
        "primary_code": code.code,
        "codes": selectors.member_codes(request.user),
        "sponsor_id": node.sponsor_id,
        "tree_level": node.depth,
        "shop_link": shop,
        "totals": _stats(selectors.member_totals(request.user.pk)),
    }


@router.get(
    "/me/links",
    response={200: list[LinkOut], **FILTERED},
    summary="My product links with clicks, sign-ups, orders",
    **member_only(),
)
@paginate(LimitOffsetPage)
def my_links(request, q: str = Query("", max_length=60)):
    code = _code(request)
    stats = selectors.link_stats(request.user.pk)
    products = Product.objects.active().search(q).only("id", "name", "slug")
    return each(products, lambda p: _link(request, code, p, stats))


@router.post(
    "/me/code",
    # 429: too many codes tried from this address (taken ones count, like unknown share links).
    response={201: CodeOut, **errors(401, 403, 422, 429)},
    summary="Choose my own code (once)",
    **member_only(),
)
def choose_code(request, payload: VanityIn):
    return Status(
        201,
        services.choose_vanity_code(
            request.user, payload.code, ip_hash=services.client_hash(request, "ip")
        ),
    )


def _campaign_out(request, code, campaign, stats) -> dict:
    return {
        "id": campaign.pk,
        "slug": campaign.slug,
        "title": campaign.title,
        "kind": campaign.kind,
        "starts_at": campaign.starts_at,
        "ends_at": campaign.ends_at,
        "stream_url": campaign.stream_url,
        "shop_wide": campaign.owner_id is None,
        "url": request.build_absolute_uri(selectors.share_path(code.code, campaign=campaign.slug)),
        "stats": _stats(stats.get(campaign.pk, selectors.LinkStats())),
    }


@router.get(
    "/me/campaigns",
    response={200: list[CampaignOut], **FILTERED},
    summary="Campaigns I can share, with my figures",
    **member_only(),
)
@paginate(LimitOffsetPage)
def my_campaigns(request):
    code = _code(request)

    def page(campaigns):
        stats = selectors.campaign_stats([c.pk for c in campaigns], referrer_id=request.user.pk)
        return [_campaign_out(request, code, c, stats) for c in campaigns]

    return MappedPage(selectors.campaigns_for(request.user), page)


@router.post(
    "/campaigns",
    response={201: CampaignOut, **FILTERED},
    summary="Create a campaign (staff who manage campaigns: shop-wide; allowed members: their own)",
    # A member operation: members the shop allows create their own campaigns. Whether the
    # campaign is shop-wide is decided by MANAGE_CAMPAIGNS in the service; a caller who may
    # not create campaigns at all gets 403 from it.
    **member_only(),
)
def create_campaign(request, payload: CampaignIn):
    campaign = services.create_campaign(actor=request.user, **payload.dict())
    return Status(201, _campaign_out(request, _code(request), campaign, {}))


def _member(viewer, user, depth=None, direct_count=None) -> dict:
    return {
        "user_id": user.pk,
        "name": user.display_name,
        "email": email_for(viewer, user),
        "tree_level": depth,
        "direct_count": direct_count,
    }


class MemberLookupOut(Schema):
    user_id: int
    name: str = Field(..., description="Masked, as one member sees another (王○明).")
    referral_code: str = Field(..., description="The member's code, as links carry it.")
    sponsor_id: int | None


@router.get(
    "/members/lookup",
    response={200: MemberLookupOut, **ON_MEMBER_FILTERED},
    summary="Find a member by e-mail or mobile number (a POS asking whether a buyer is one)",
    **staff_only(Capability.VIEW_CONTACT_DATA, scope=Scope.MEMBERS_READ),
)
def lookup_member(
    request,
    email: str = Query("", max_length=254),
    phone: str = Query("", max_length=20),
):
    """An active member with this e-mail and/or mobile number; 404 when none is."""
    if not email.strip() and not phone.strip():
        raise ApiError(
            422, _("Invalid input."), {"email": [_("Give an e-mail or a mobile number.")]}
        )
    member = find_member(email=email, phone=phone)
    if member is None:
        raise ApiError(404, _("No such member."), code="member_not_found")
    node = services.ensure_node(member)
    code = selectors.primary_code(selectors.member_codes(member)) or services.ensure_code(member)
    return {
        "user_id": member.pk,
        "name": selectors.mask_name(member),
        "referral_code": code.code,
        "sponsor_id": node.sponsor_id,
    }


class UplinePage(Sequence):
    """A member's upline chain read a page at a time: nearest first, never past the page."""

    def __init__(self, user_id: int, *, uplines: int):
        self.user_id, self.uplines = user_id, max(uplines, 0)

    def __len__(self) -> int:
        return self.uplines

    def __getitem__(self, index):
        start, stop, _step = index.indices(self.uplines)
        return selectors.upline_chain(self.user_id, stop)[start:stop] if stop > start else []


def _get_user(user_id: int):
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise ApiError(404, _("No such member."))
    return user


@router.get(
    "/members/{id:user_id}/tree",
    response={200: TreeOut, **ON_MEMBER},
    summary="Staff: the tree around a member (e-mail masked without contact-data access)",
    **staff_only(Capability.VIEW_REPORTS),
)
def member_tree(request, user_id: Id):
    viewer = request.auth
    services.ensure_node(_get_user(user_id))
    view = selectors.tree_around(user_id)
    sponsor_node = selectors.node_of(view.sponsor.pk) if view.sponsor else None
    return {
        "member": _member(viewer, view.member, view.node.depth),
        "sponsor": _member(viewer, view.sponsor, sponsor_node.depth) if view.sponsor else None,
        "uplines": [up for up, _user in view.uplines],
        "directs": [_member(viewer, n.user, n.depth, n.direct_count) for n in view.directs],
        "downline_total": view.total_downline,
        "downline_by_level": view.counts_by_level,
    }


@router.get(
    "/members/{id:user_id}/uplines",
    response={200: list[UplineOut], **ON_MEMBER_FILTERED},
    summary="Staff: a member's uplines, nearest first",
    **staff_only(Capability.VIEW_REPORTS),
)
@paginate(LimitOffsetPage)
def member_uplines(request, user_id: Id):
    node = services.ensure_node(_get_user(user_id))
    return UplinePage(user_id, uplines=node.depth - 1)


@router.post(
    "/members/{id:user_id}/sponsor",
    response={201: SponsorChangeOut, **ON_MEMBER_FILTERED},
    summary="Staff: re-assign a member's sponsor (audited)",
    **staff_only(Capability.CHANGE_SPONSORS),
)
def reassign(request, user_id: Id, payload: ReassignIn):
    member = _get_user(user_id)
    sponsor = None
    if payload.sponsor_id is not None:
        sponsor = get_user_model().objects.filter(pk=payload.sponsor_id).first()
        if sponsor is None:
            raise ApiError(422, _("No such sponsor."), {"sponsor_id": [_("No such member.")]})
    change = services.reassign_sponsor(
        member, sponsor, actor=request.auth, reason=payload.reason, sponsor_field="sponsor_id"
    )
    return Status(201, change)


@router.get(
    "/members/{id:user_id}/sponsor-changes",
    response={200: list[SponsorChangeOut], **ON_MEMBER_FILTERED},
    summary="Staff: a member's sponsor changes",
    **staff_only(Capability.VIEW_REPORTS, Capability.CHANGE_SPONSORS),
)
@paginate(LimitOffsetPage)
def sponsor_changes(request, user_id: Id):
    return _get_user(user_id).sponsor_changes.all()
