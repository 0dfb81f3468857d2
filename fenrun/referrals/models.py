"""Referral codes, share-link clicks, campaigns and the referral tree.

The tree is a materialized path (see docs/referral-tree.md for the measurements behind the
choice): every member's node stores the ids of its whole upline chain, root first, each id
zero-padded to ``SEGMENT_WIDTH`` digits and ending with the member's own id. Uplines are read
out of the path (one indexed query), descendants are a range scan of one index, per-level
counts a GROUP BY over that range.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from fenrun.referrals.tree import MAX_NODE_ID, SEGMENT_WIDTH, PathHead, PathLength, PathTailId


class ReferralSettings(models.Model):
    """The shop's referral settings: one row, edited by staff."""

    attribution_window_days = models.PositiveSmallIntegerField(
        _("attribution window (days)"),
        default=30,
        help_text=_("How long a click on a share link keeps attributing sign-ups and orders."),
    )
    unknown_code_limit = models.PositiveSmallIntegerField(
        _("unknown codes per visitor per hour"),
        default=30,
        help_text=_("After this many unknown codes, a visitor's codes are ignored for an hour."),
    )
    members_create_campaigns = models.BooleanField(
        _("every member may create campaigns"),
        default=False,
        help_text=_(
            "Otherwise only staff and members given the “add campaign” permission may create them."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("referral settings")
        verbose_name_plural = _("referral settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="referral_settings_singleton"),
            models.CheckConstraint(
                condition=Q(attribution_window_days__gte=1) & Q(attribution_window_days__lte=365),
                name="referral_window_1_to_365_days",
            ),
        ]

    def __str__(self):
        return str(_("Referral settings"))

    @classmethod
    def load(cls) -> "ReferralSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class ReferralCode(models.Model):
    """A code that identifies a member in share links. Codes are stored lower-case."""

    class Kind(models.TextChoices):
        GENERATED = "generated", _("Generated")
        VANITY = "vanity", _("Chosen by the member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="referral_codes",
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")
        constraints = [
            # One generated code and at most one vanity code per member: "choose once".
            models.UniqueConstraint(fields=["user", "kind"], name="referral_code_one_per_kind"),
            models.CheckConstraint(condition=Q(code=Lower("code")), name="referral_code_lowercase"),
            models.CheckConstraint(
                condition=Q(kind__in=["generated", "vanity"]), name="referral_code_kind_known"
            ),
        ]

    def __str__(self):
        return self.code


class Campaign(models.Model):
    """A live stream or another push whose links, sign-ups and orders are attributed to it."""

    class Kind(models.TextChoices):
        LIVE = "live", _("Live stream")
        PROMOTION = "promotion", _("Promotion")

    slug = models.SlugField(_("campaign code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.LIVE)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    stream_url = models.URLField(_("live-stream URL"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_campaigns",
        help_text=_("Empty for a shop-wide campaign every member can share."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="campaign_ends_after_start"
            )
        ]

    def __str__(self):
        return self.title


class Click(models.Model):
    """One human visit through a share link (crawlers and link previews are not recorded)."""

    code = models.ForeignKey(
        ReferralCode, verbose_name=_("code"), on_delete=models.CASCADE, related_name="clicks"
    )
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("link owner"),
        on_delete=models.CASCADE,
        related_name="referral_clicks",
    )
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty for the shop link."),
    )
    target_path = models.CharField(_("landing page"), max_length=300)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clicks",
    )
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=100, blank=True)
    utm_term = models.CharField(max_length=100, blank=True)
    has_fbclid = models.BooleanField(default=False)
    has_gclid = models.BooleanField(default=False)
    referring_host = models.CharField(_("referring site"), max_length=255, blank=True)
    # Salted hashes, never the address or agent themselves: enough to spot repeats, not to track.
    ip_hash = models.CharField(max_length=64, blank=True)
    ua_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("click")
        verbose_name_plural = _("clicks")
        indexes = [
            models.Index(fields=["referrer", "product"], name="click_referrer_product"),
            models.Index(fields=["campaign", "created_at"], name="click_campaign_time"),
            models.Index(fields=["utm_source", "utm_medium"], name="click_utm_source_medium"),
        ]

    def __str__(self):
        return f"{self.code_id} → {self.target_path}"


class ReferralNode(models.Model):
    """A member's place in the referral tree."""

    class BoundVia(models.TextChoices):
        LINK = "link", _("Share link")
        CODE = "code", _("Code typed at registration")
        GUEST_ORDER = "guest_order", _("Earlier guest order")
        NONE = "none", _("No sponsor (source)")
        STAFF = "staff", _("Staff")
        IMPORT = "import", _("Import")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="referral_node",
    )
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sponsor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referral_children",
    )
    depth = models.PositiveIntegerField(_("tree level"), help_text=_("A source is level 1."))
    path = models.TextField(editable=False)
    # A stored copy of the path's first 200 levels, kept by the database: the range index is on
    # this plain column, so scans compare strings instead of evaluating SUBSTR per row (which
    # costs PostgreSQL microseconds a row on UTF-8 text).
    path_head = models.GeneratedField(
        expression=PathHead("path"), output_field=models.TextField(), db_persist=True
    )
    bound_at = models.DateTimeField(
        _("bound"),
        null=True,
        blank=True,
        help_text=_("When the sponsor (or having none) became permanent; empty: not yet bound."),
    )
    bound_via = models.CharField(
        _("bound via"), max_length=12, choices=BoundVia.choices, blank=True
    )
    signup_click = models.ForeignKey(
        Click,
        verbose_name=_("sign-up click"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signups",
    )
    signup_campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("sign-up campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signups",
    )
    # A keyed hash of the client address the member signed up from (never the address): bursts
    # of sign-ups under one sponsor from one address are flagged (fenrun.referrals.signups).
    signup_ip_hash = models.CharField(
        max_length=64, blank=True, default="", db_default="", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("referral tree node")
        verbose_name_plural = _("referral tree")
        indexes = [
            # Descendants: a range scan on the path head; depth inside the index makes per-level
            # counts an index-only scan on PostgreSQL.
            models.Index(fields=["path_head", "depth"], name="refnode_path_head_depth"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(depth__gte=1), name="refnode_depth_positive"),
            models.CheckConstraint(
                condition=Q(user_id__lte=MAX_NODE_ID), name="refnode_id_fits_segment"
            ),
            models.CheckConstraint(
                condition=Q(sponsor__isnull=True, depth=1) | Q(sponsor__isnull=False, depth__gt=1),
                name="refnode_root_iff_level_1",
            ),
            models.CheckConstraint(condition=~Q(sponsor=F("user")), name="refnode_not_own_sponsor"),
            # The path is the chain of ids ending with the member's own: with the primary key,
            # this makes every path unique and its length match the level.
            models.CheckConstraint(
                condition=Exact(PathLength("path"), F("depth") * SEGMENT_WIDTH),
                name="refnode_path_length_matches_depth",
            ),
            models.CheckConstraint(
                condition=Exact(PathTailId("path"), F("user_id")),
                name="refnode_path_ends_with_own_id",
            ),
        ]

    def __str__(self):
        return f"{self.user_id} (L{self.depth})"


class SponsorChange(models.Model):
    """Audit record of a staff re-assignment (and of the first binding, for completeness)."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="sponsor_changes",
    )
    old_sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("old sponsor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    new_sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("new sponsor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sponsor change")
        verbose_name_plural = _("sponsor changes")

    def __str__(self):
        return f"{self.member_id}: {self.old_sponsor_id} → {self.new_sponsor_id}"


class OrderAttribution(models.Model):
    """Who brought an order in, fixed when it is placed."""

    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="attribution",
    )
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referrer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attributed_orders",
        help_text=_("The buyer's sponsor when the order was placed, or the link owner for guests."),
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    click = models.ForeignKey(
        Click,
        verbose_name=_("click"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order attribution")
        verbose_name_plural = _("order attributions")
        indexes = [
            models.Index(fields=["referrer", "created_at"], name="orderattr_referrer_time"),
        ]

    def __str__(self):
        return f"{self.order_id} ← {self.referrer_id}"


class SignupReview(models.Model):
    """A sign-up flagged as part of a burst under one sponsor, waiting for staff.

    Until it is approved the member counts for nobody's recruiting figures (leaderboards, tags)
    and gets no member tag; a rejected sign-up never counts. The binding itself stands: staff
    who decide it was a fake downline re-assign or close the account with the usual tools.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="signup_review",
    )
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sponsor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("why flagged"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    flagged_at = models.DateTimeField(_("flagged"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-flagged_at", "-id"]
        verbose_name = _("flagged sign-up")
        verbose_name_plural = _("flagged sign-ups")
        indexes = [models.Index(fields=["status"], name="signupreview_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected"]),
                name="signupreview_status_known",
            )
        ]

    def __str__(self):
        return f"{self.member_id} ({self.status})"
