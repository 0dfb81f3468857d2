"""Referral use cases: codes, clicks, binding sponsors, re-assignment, order attribution."""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from fenrun.accounts import limits
from fenrun.core import events
from fenrun.core.clients import client_ip
from fenrun.core.errors import DomainError
from fenrun.core.permissions import Capability, has
from fenrun.core.validators import normalize_tw_mobile
from fenrun.referrals import codes as code_rules
from fenrun.referrals import selectors, signups
from fenrun.referrals.events import SubtreeMoved
from fenrun.referrals.models import (
    Campaign,
    Click,
    OrderAttribution,
    ReferralCode,
    ReferralNode,
    ReferralSettings,
    SponsorChange,
)
from fenrun.referrals.tree import segment, subtree_lookup

User = get_user_model()

SETTINGS_CACHE_KEY = "referrals:settings:v1"
GUESS_WINDOW_SECONDS = 3600


class ReferralError(DomainError):
    """A referral action that cannot be done; ``field`` names the input at fault."""

    code = "referral_refused"


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class SettingsSnapshot:
    attribution_window_days: int
    unknown_code_limit: int
    members_create_campaigns: bool


def current_settings() -> SettingsSnapshot:
    """The settings row, cached briefly: the middleware reads it on every attributed request."""
    snapshot = cache.get(SETTINGS_CACHE_KEY)
    if snapshot is None:
        row = ReferralSettings.load()
        snapshot = SettingsSnapshot(
            row.attribution_window_days, row.unknown_code_limit, row.members_create_campaigns
        )
        cache.set(SETTINGS_CACHE_KEY, snapshot, 60)
    return snapshot


def forget_settings_cache() -> None:
    cache.delete(SETTINGS_CACHE_KEY)


# ---------------------------------------------------------------- codes


def ensure_code(user) -> ReferralCode:
    """The member's generated code, created on first need."""
    existing = ReferralCode.objects.filter(user=user, kind=ReferralCode.Kind.GENERATED).first()
    if existing:
        return existing
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(
                    user=user, code=code_rules.generate_code(), kind=ReferralCode.Kind.GENERATED
                )
        except IntegrityError:
            existing = ReferralCode.objects.filter(
                user=user, kind=ReferralCode.Kind.GENERATED
            ).first()
            if existing:
                return existing
    raise RuntimeError("could not allocate a referral code")


def choose_vanity_code(user, raw: str, *, ip_hash: str | None = None) -> ReferralCode:
    """Give the member the code they chose, once. Raises ReferralError with a clear message.

    "Taken" tells which codes exist: with the client's ``ip_hash`` each one counts against the
    same guessing budget as unknown codes on share links, and over it nothing is tried.
    """
    if ip_hash is not None and guessing_blocked(ip_hash):
        raise ReferralError(
            _("Too many codes were tried from your connection. Try again in an hour."),
            "code",
            status=429,
            code="referral_code_guessing",
        )
    try:
        code = code_rules.validate_vanity(raw)
    except ValidationError as exc:
        raise ReferralError(exc.messages[0], "code") from exc
    if ReferralCode.objects.filter(user=user, kind=ReferralCode.Kind.VANITY).exists():
        raise ReferralError(_("You have already chosen your code."), "code", code="code_chosen")
    try:
        with transaction.atomic():
            return ReferralCode.objects.create(user=user, code=code, kind=ReferralCode.Kind.VANITY)
    except IntegrityError:
        if ReferralCode.objects.filter(user=user, kind=ReferralCode.Kind.VANITY).exists():
            raise ReferralError(
                _("You have already chosen your code."), "code", code="code_chosen"
            ) from None
        if ip_hash is not None:
            _count_unknown_code(ip_hash)
        raise ReferralError(
            _("“%(code)s” is taken; choose another.") % {"code": code}, "code", code="code_taken"
        ) from None


# ---------------------------------------------------------------- the tree


def ensure_node(user) -> ReferralNode:
    """The member's node; a member nobody bound yet is an (unbound) source."""
    user_id = user if isinstance(user, int) else user.pk
    node, _created = ReferralNode.objects.get_or_create(
        user_id=user_id, defaults={"depth": 1, "path": segment(user_id), "sponsor": None}
    )
    return node


def _lock_tree() -> None:
    """Serialise every change of the tree's shape.

    A move rewrites an unbounded subtree; row locks on the rows a statement saw cannot cover a
    child inserted under a moving node after that statement's snapshot, so moves and bindings
    queue on one row instead. Bindings take milliseconds and re-assignments are rare staff
    actions, so the queue stays short. (SQLite serialises writers already.)
    """
    ReferralSettings.load()
    list(ReferralSettings.objects.select_for_update().filter(pk=1).values_list("pk"))


def _lock_nodes(*user_ids: int) -> dict[int, ReferralNode]:
    ids = sorted({i for i in user_ids if i is not None})
    return {
        n.pk: n for n in ReferralNode.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }


def is_in_subtree(node: ReferralNode, candidate: ReferralNode) -> bool:
    """Is ``candidate`` ``node`` itself or one of its descendants?"""
    return candidate.path.startswith(node.path)


def _move(node: ReferralNode, new_sponsor: ReferralNode | None) -> None:
    """Hang ``node`` (with its whole subtree) under ``new_sponsor`` (None: make it a source).

    Two statements: the node, then its descendants' paths and levels rewritten in one UPDATE.
    """
    old_path, old_depth = node.path, node.depth
    new_path = (new_sponsor.path if new_sponsor else "") + segment(node.pk)
    new_depth = (new_sponsor.depth + 1) if new_sponsor else 1
    ReferralNode.objects.filter(pk=node.pk).update(
        sponsor_id=new_sponsor.pk if new_sponsor else None, path=new_path, depth=new_depth
    )
    if new_path != old_path:
        ReferralNode.objects.filter(
            **subtree_lookup(old_path, old_depth, include_self=False)
        ).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + (new_depth - old_depth),
        )
    node.path, node.depth = new_path, new_depth
    node.sponsor_id = new_sponsor.pk if new_sponsor else None
    if new_path != old_path:
        events.publish(
            SubtreeMoved(
                member_id=node.pk,
                old_path=old_path,
                old_depth=old_depth,
                new_path=new_path,
                new_depth=new_depth,
            )
        )


def _canonical_email(email: str) -> str:
    local, _sep, domain = (email or "").strip().lower().partition("@")
    local = local.split("+", 1)[0]
    if domain in {"gmail.com", "googlemail.com"}:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def same_person(a_email: str, a_phone: str, b_email: str, b_phone: str) -> bool:
    """Two accounts (or an account and a guest order) that are evidently the same person."""
    if a_email and b_email and _canonical_email(a_email) == _canonical_email(b_email):
        return True
    a, b = normalize_tw_mobile(a_phone or ""), normalize_tw_mobile(b_phone or "")
    return bool(a and b and a == b)


def bind_sponsor(
    user,
    sponsor,
    *,
    via: str,
    click: Click | None = None,
    campaign: Campaign | None = None,
) -> ReferralNode:
    """Bind ``user`` to ``sponsor`` (None: a source) for good. The first binding wins.

    Raises ReferralError when the member is already bound or the binding would be a
    self-referral or a cycle.
    """
    with transaction.atomic():
        _lock_tree()
        ensure_node(user)
        if sponsor is not None:
            ensure_node(sponsor)
        nodes = _lock_nodes(user.pk, sponsor.pk if sponsor else None)
        node = nodes[user.pk]
        if node.bound_at is not None:
            raise ReferralError(
                _("This member's sponsor is already bound."), "sponsor", code="already_bound"
            )
        sponsor_node = None
        if sponsor is not None:
            sponsor_node = nodes[sponsor.pk]
            if sponsor.pk == user.pk or same_person(
                user.email, user.phone, sponsor.email, sponsor.phone
            ):
                raise ReferralError(
                    _("Members cannot refer themselves."), "sponsor", code="self_referral"
                )
            if not sponsor.is_active:
                raise ReferralError(
                    _("This sponsor's account is closed."), "sponsor", code="sponsor_closed"
                )
            if is_in_subtree(node, sponsor_node):
                raise ReferralError(
                    _("A member cannot be sponsored by their own downline."),
                    "sponsor",
                    code="sponsor_cycle",
                )
            _move(node, sponsor_node)
        node.bound_at = timezone.now()
        node.bound_via = via
        node.signup_click = click
        node.signup_campaign = campaign
        node.save(update_fields=["bound_at", "bound_via", "signup_click", "signup_campaign"])
        return node


def reassign_sponsor(
    member, new_sponsor, *, actor, reason: str, sponsor_field: str = "sponsor"
) -> SponsorChange:
    """Staff move a member (and their downline) under another sponsor, or make them a source.

    The tree stays a tree: a member can never be moved under themselves or their downline.
    Orders placed from now on follow the new tree; placed orders keep their attribution.
    ``sponsor_field`` names the caller's input for the new sponsor, so a refusal lands on it.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReferralError(_("Give a reason for the change."), "reason")
    if len(reason) > 300:
        raise ReferralError(_("Keep the reason under 300 characters."), "reason")
    with transaction.atomic():
        _lock_tree()
        ensure_node(member)
        if new_sponsor is not None:
            ensure_node(new_sponsor)
        nodes = _lock_nodes(member.pk, new_sponsor.pk if new_sponsor else None)
        node = nodes[member.pk]
        old_sponsor_id = node.sponsor_id
        new_node = None
        if new_sponsor is not None:
            new_node = nodes[new_sponsor.pk]
            if new_sponsor.pk == member.pk:
                raise ReferralError(
                    _("A member cannot sponsor themselves."), sponsor_field, code="self_referral"
                )
            if is_in_subtree(node, new_node):
                raise ReferralError(
                    _("%(sponsor)s is in %(member)s's downline: that would make a cycle.")
                    % {"sponsor": new_sponsor, "member": member},
                    sponsor_field,
                    code="sponsor_cycle",
                )
        if old_sponsor_id == (new_sponsor.pk if new_sponsor else None):
            raise ReferralError(
                _("That is already the member's sponsor."), sponsor_field, code="same_sponsor"
            )
        _move(node, new_node)
        update = {"bound_via": ReferralNode.BoundVia.STAFF}
        if node.bound_at is None:
            update["bound_at"] = timezone.now()
        ReferralNode.objects.filter(pk=node.pk).update(**update)
        return SponsorChange.objects.create(
            member=member,
            old_sponsor_id=old_sponsor_id,
            new_sponsor=new_sponsor,
            reason=reason,
            actor=actor,
        )


# ---------------------------------------------------------------- clicks and attribution


BOT_PATTERN = re.compile(
    r"facebookexternalhit|facebot|facebookcatalog|meta-externalagent|line-poker|linespider|line-crawler|"
    r"twitterbot|googlebot|adsbot-google|google-inspectiontool|googleother|mediapartners-google|"
    r"bingbot|bingpreview|slackbot|slack-imgproxy|discordbot|whatsapp|telegrambot|linkedinbot|"
    r"pinterest|applebot|yandex|baiduspider|duckduckbot|petalbot|embedly|skypeuripreview|"
    r"redditbot|iframely|vkshare|bot/|bot;|crawler|spider|headlesschrome|python-requests|curl/|wget/",
    re.IGNORECASE,
)


def is_crawler(user_agent: str) -> bool:
    """Link-preview fetchers and crawlers (an empty agent counts as one)."""
    return not user_agent or bool(BOT_PATTERN.search(user_agent))


def client_hash(request, kind: str) -> str:
    if kind == "ip":
        # Behind nginx every request comes from the proxy: read the client through it.
        value = client_ip(request)
    else:
        value = request.META.get("HTTP_USER_AGENT", "")
    return salted_hmac(f"fenrun.referrals.{kind}", value).hexdigest()


# Wrong codes, wherever they are tried (a share link, the registration form, its preview, a
# vanity code already taken), count against one budget per client address: each is an answer
# about which codes exist.
GUESS_KIND = "referral-guess"


def guessing_blocked(ip_hash: str) -> bool:
    return limits.hits(GUESS_KIND, ip_hash) >= current_settings().unknown_code_limit


def _count_unknown_code(ip_hash: str) -> None:
    limits.hit(GUESS_KIND, ip_hash, window=GUESS_WINDOW_SECONDS)


def lookup_code(raw, *, ip_hash: str) -> ReferralCode | None:
    """The code a link carries, or None; unknown codes count towards the guessing limit, and
    once over it nothing is looked up for that visitor (the answer would leak which exist)."""
    if guessing_blocked(ip_hash):
        return None
    code = code_rules.normalize(raw)
    found = ReferralCode.objects.select_related("user").filter(code=code).first() if code else None
    if found is None or not found.user.is_active:
        _count_unknown_code(ip_hash)
        return None
    return found


def campaign_for(raw, code: ReferralCode) -> Campaign | None:
    """A campaign a link may carry: an active shop-wide one, or one of the link owner's own."""
    if not isinstance(raw, str) or not raw or len(raw) > 40:
        return None
    campaign = Campaign.objects.filter(slug=raw.strip().lower(), is_active=True).first()
    if campaign is None or (campaign.owner_id and campaign.owner_id != code.user_id):
        return None
    return campaign


def record_click(
    request, code: ReferralCode, *, product=None, target_path: str, campaign=None
) -> Click:
    params = request.GET
    referer = request.META.get("HTTP_REFERER", "")
    host = ""
    if referer:
        try:
            host = (urlsplit(referer).hostname or "")[:255]
        except ValueError:
            host = ""

    def utm(name):
        value = params.get(name, "")
        return value[:100] if isinstance(value, str) else ""

    return Click.objects.create(
        code=code,
        referrer_id=code.user_id,
        product=product,
        target_path=target_path[:300],
        campaign=campaign,
        utm_source=utm("utm_source"),
        utm_medium=utm("utm_medium"),
        utm_campaign=utm("utm_campaign"),
        utm_content=utm("utm_content"),
        utm_term=utm("utm_term"),
        has_fbclid="fbclid" in params,
        has_gclid="gclid" in params,
        referring_host=host,
        ip_hash=client_hash(request, "ip"),
        ua_hash=client_hash(request, "ua"),
    )


def visit_through_link(request, raw_code, *, product=None, target_path: str) -> dict | None:
    """A human followed a share link: record the click and return the attribution to keep in
    the cookie, or None (unknown code, rate-limited, or the member's own link)."""
    code = lookup_code(raw_code, ip_hash=client_hash(request, "ip"))
    if code is None:
        return None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.pk == code.user_id:
        return None
    campaign = campaign_for(request.GET.get("c"), code)
    click = record_click(request, code, product=product, target_path=target_path, campaign=campaign)
    return {
        "code": code.code,
        "campaign": campaign.slug if campaign else None,
        "click_id": click.pk,
    }


def _resolve_attribution(attribution) -> tuple[ReferralCode | None, Campaign | None, Click | None]:
    if not isinstance(attribution, dict):
        return None, None, None
    code = code_rules.normalize(attribution.get("code"))
    ref = ReferralCode.objects.select_related("user").filter(code=code).first() if code else None
    if ref is None:
        return None, None, None
    campaign = campaign_for(attribution.get("campaign"), ref)
    click = None
    click_id = attribution.get("click_id")
    if isinstance(click_id, int):
        click = Click.objects.filter(pk=click_id, code=ref).first()
    return ref, campaign, click


def sponsor_preview(request) -> str:
    """Registration page: 「由 王○明 推薦」 for the member the visitor will be bound to.

    A code in the page's address (``?ref=`` / ``?code=``, which the form carries as the typed
    code) comes first, then the share-link cookie, as at binding. Nothing for an unknown code
    or an inactive member; the name is masked as anywhere a member sees another.
    """
    typed = request.GET.get("ref") or request.GET.get("code") or ""
    ref = None
    if typed.strip():
        # Through the guessing budget: the preview would otherwise tell, code by code, which exist.
        ref = lookup_code(typed[:40], ip_hash=client_hash(request, "ip"))
    else:
        ref, _campaign, _click = _resolve_attribution(getattr(request, "attribution", None))
    if ref is None or not ref.user.is_active:
        return ""
    return _("Referred by %(name)s") % {"name": selectors.mask_name(ref.user)}


def attribute_order(order_id: int, attribution) -> OrderAttribution:
    """Fix who brought an order in: the member's sponsor, or for a guest the link's owner.

    A member's own link never attributes their own order, and neither does a link whose
    owner is evidently the guest (same e-mail or phone).

    An attribution marked ``typed`` holds a code the buyer gave (an integrator's push, a POS
    till): a stale cookie is ignored, but a code somebody just typed that is unknown, inactive
    or the buyer's own refuses the order with ``unknown_referral_code`` / ``own_referral_code``,
    the codes registration uses; the order's transaction rolls back.
    """
    from fenrun.orders.models import Order

    existing = OrderAttribution.objects.filter(order_id=order_id).first()
    if existing:
        return existing
    order = Order.objects.select_related("user").get(pk=order_id)
    ref, campaign, click = _resolve_attribution(attribution)
    typed = isinstance(attribution, dict) and bool(attribution.get("typed"))
    buyer = order.user
    if typed and (ref is None or not ref.user.is_active):
        raise ReferralError(
            _("No member has the referral code “%(code)s”.")
            % {"code": str(attribution.get("code") or "").strip()[:40]},
            "referral_code",
            code="unknown_referral_code",
        )
    if ref is not None:
        own = (buyer is not None and buyer.pk == ref.user_id) or same_person(
            order.email, order.recipient_phone, ref.user.email, ref.user.phone
        )
        if own and typed:
            raise ReferralError(
                _("You cannot use your own referral code."),
                "referral_code",
                code="own_referral_code",
            )
        if own or not ref.user.is_active:
            ref, campaign, click = None, None, None
    if buyer is not None:
        referrer_id = ensure_node(buyer).sponsor_id
        if click is not None and click.referrer_id != referrer_id:
            # The buyer's sponsor is paid, not the owner of the link clicked last: the order
            # is not counted as that link's.
            click = None
    else:
        referrer_id = ref.user_id if ref else None
    return OrderAttribution.objects.create(
        order=order, referrer_id=referrer_id, campaign=campaign, click=click
    )


def _guest_order_sponsor(user):
    """The referrer of the earliest *paid* guest order placed with this member's e-mail or phone.

    Only a sale counts (paid, shipped, completed: ``SALE_STATUSES``): anyone can type someone
    else's e-mail into a guest order, but nobody pays for an order to steal a referral, and a
    pending, cancelled or refunded order shows nothing the person did.
    """
    from fenrun.orders.status import SALE_STATUSES

    candidates = OrderAttribution.objects.filter(
        order__user__isnull=True, referrer__isnull=False, order__status__in=SALE_STATUSES
    ).select_related("referrer", "order")
    phone = normalize_tw_mobile(user.phone or "")
    matches = candidates.filter(order__email__iexact=user.email)
    if phone:
        matches = matches | candidates.filter(order__recipient_phone=phone)
    return matches.order_by("order__placed_at", "order_id").first()


def check_typed_code(request, referral_code: str, *, email: str, phone: str = "") -> ReferralCode:
    """The member whose code a registering visitor typed, or ValidationError: unknown (which
    counts against the visitor's guessing budget), the visitor's own, or too many guesses.

    Registration calls it before it knows whether the address is new (``check_registration``),
    so a taken address and a new one get the same answer about the code.
    """
    ip_hash = client_hash(request, "ip") if request is not None else ""
    if request is not None and guessing_blocked(ip_hash):
        # The visitor has guessed enough codes (here or through /r/): nothing is looked up.
        raise ValidationError(
            _(
                "Too many unknown referral codes were tried from your connection. "
                "Try again in an hour, or register without a code."
            ),
            code="referral_code_guessing",
        )
    typed = code_rules.normalize(referral_code)
    ref = ReferralCode.objects.select_related("user").filter(code=typed).first() if typed else None
    if ref is None or not ref.user.is_active:
        if request is not None:
            _count_unknown_code(ip_hash)
        raise ValidationError(
            _("No member has the referral code “%(code)s”.") % {"code": referral_code.strip()[:40]},
            code="unknown_referral_code",
        )
    if same_person(email, phone, ref.user.email, ref.user.phone):
        raise ValidationError(_("You cannot use your own referral code."), code="own_referral_code")
    return ref


def check_registration(request, *, email: str, phone: str, referral_code: str) -> None:
    """Registration check hook (fenrun.accounts.hooks.REGISTRATION_CHECKS)."""
    if isinstance(referral_code, str) and referral_code.strip():
        check_typed_code(request, referral_code, email=email, phone=phone)


def bind_at_registration(request, user, referral_code=None) -> ReferralNode:
    """Registration hook: bind the new member's sponsor, or make them a source.

    Only what the person did binds them. Precedence: a code they typed, then the share link
    they came through (the attribution cookie or ``?ref=``), and only when neither is there,
    the referrer of their earliest paid guest order with the same e-mail or phone (see
    ``_guest_order_sponsor``). A typed code that is unknown or the visitor's own raises
    ValidationError (the form shows it); other refused candidates (self-referral) fall through.
    docs/referral-tree.md ("Registration: binding the sponsor") explains the rule.
    """
    ensure_code(user)
    candidates: list[tuple] = []
    if isinstance(referral_code, str) and referral_code.strip():
        ref = check_typed_code(request, referral_code, email=user.email, phone=user.phone)
        if ref.user_id == user.pk:
            raise ValidationError(
                _("You cannot use your own referral code."), code="own_referral_code"
            )
        candidates.append((ref.user, ReferralNode.BoundVia.CODE, None, None))
    attribution = getattr(request, "attribution", None) if request is not None else None
    link_code, link_campaign, link_click = _resolve_attribution(attribution)
    if link_code:
        candidates.append((link_code.user, ReferralNode.BoundVia.LINK, link_click, link_campaign))
    if not candidates:
        guest = _guest_order_sponsor(user)
        if guest:
            candidates.append(
                (guest.referrer, ReferralNode.BoundVia.GUEST_ORDER, guest.click, guest.campaign)
            )
    for sponsor, via, click, campaign in candidates:
        try:
            node = bind_sponsor(user, sponsor, via=via, click=click, campaign=campaign)
        except ReferralError:
            node = ensure_node(user)
            if node.bound_at is not None:
                return node
        else:
            if request is not None:
                signups.record_signup(node, client_hash(request, "ip"))
            return node
    try:
        return bind_sponsor(user, None, via=ReferralNode.BoundVia.NONE)
    except ReferralError:
        return ensure_node(user)


# ---------------------------------------------------------------- campaigns


def creates_shop_campaigns(user) -> bool:
    """Staff who run campaigns create shop-wide ones; anyone else creates their own."""
    return has(user, Capability.MANAGE_CAMPAIGNS)


def can_create_campaigns(user) -> bool:
    if not user.is_authenticated:
        return False
    if creates_shop_campaigns(user):
        return True
    # A member the shop allowed one by one (the model permission), or every member by setting.
    if user.has_perm("referrals.add_campaign"):
        return True
    return current_settings().members_create_campaigns


def create_campaign(
    *, actor, title: str, slug: str, starts_at, ends_at, stream_url: str = "", kind: str = "live"
) -> Campaign:
    """Staff with MANAGE_CAMPAIGNS create shop-wide campaigns; allowed members their own."""
    if not can_create_campaigns(actor):
        raise ReferralError(
            _("You may not create campaigns."), status=403, code="campaigns_not_allowed"
        )
    title = (title or "").strip()
    slug = (slug or "").strip().lower()
    if not title:
        raise ReferralError(_("Enter a title."), "title")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,39}", slug):
        raise ReferralError(
            _("Use 2 to 40 letters a–z, digits and hyphens for the campaign code."), "slug"
        )
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        raise ReferralError(_("The end must be after the start."), "ends_at")
    if kind not in Campaign.Kind.values:
        raise ReferralError(_("Choose a kind."), "kind")
    if stream_url:
        try:
            URLValidator(schemes=["http", "https"])(stream_url)
        except ValidationError:
            raise ReferralError(_("Enter a valid web address."), "stream_url") from None
    try:
        with transaction.atomic():
            return Campaign.objects.create(
                title=title[:120],
                slug=slug,
                kind=kind,
                starts_at=starts_at,
                ends_at=ends_at,
                stream_url=stream_url or "",
                owner=None if creates_shop_campaigns(actor) else actor,
                created_by=actor,
            )
    except IntegrityError:
        raise ReferralError(
            _("That campaign code is taken."), "slug", code="campaign_code_taken"
        ) from None
