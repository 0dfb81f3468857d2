"""High-contribution tags, and the sales roll-ups the reports read.

Tags are a decision ("this member is a 轉單王 this month") that lists and the chart show without
recounting. The roll-ups (``DownlineSalesDay``, ``SalesMonth``) are sums of orders kept up to
date by the order and tree events (``fenrun.analytics.rollups``), so that a member's downline
sales need no walk over a million orders; ``manage.py rebuild_sales_rollups`` recomputes them
from the orders and checks them (see docs/analytics.md).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Metric(models.TextChoices):
    DOWNLINE_SALES = "downline_sales", _("Downline sales")
    PERSONAL_SALES = "personal_sales", _("Personal sales")
    NEW_MEMBERS = "new_members", _("New direct referrals")
    DOWNLINE_NEW_MEMBERS = "downline_new_members", _("New members in the downline")
    COMMISSIONS = "commissions", _("Commissions earned")


class Period(models.TextChoices):
    ROLLING = "rolling", _("The last N days")
    THIS_MONTH = "this_month", _("This calendar month")
    LAST_MONTH = "last_month", _("Last calendar month")


class TagRule(models.Model):
    """ "Downline sales in the last 30 days ≥ NT$50,000" or "top 5% by new members this month"."""

    name = models.CharField(_("tag"), max_length=30, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    color = models.CharField(
        _("colour"),
        max_length=7,
        default="#d9480f",
        help_text=_("Shown on the tag badge and the chart node, e.g. #d9480f."),
    )
    metric = models.CharField(_("metric"), max_length=24, choices=Metric.choices)
    period = models.CharField(
        _("period"), max_length=12, choices=Period.choices, default=Period.ROLLING
    )
    period_days = models.PositiveSmallIntegerField(
        _("days"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("Only for “the last N days”."),
    )
    threshold = models.DecimalField(
        _("at least"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Members whose figure reaches this value get the tag."),
    )
    top_percent = models.DecimalField(
        _("top percent"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text=_("Or: the best N percent of the members with a figure above zero get the tag."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_computed_at = models.DateTimeField(_("last computed"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag rule")
        verbose_name_plural = _("tag rules")
        constraints = [
            # Exactly one of the two ways of choosing members.
            models.CheckConstraint(
                condition=Q(threshold__isnull=False, top_percent__isnull=True)
                | Q(threshold__isnull=True, top_percent__isnull=False),
                name="tagrule_threshold_xor_top_percent",
            ),
            models.CheckConstraint(
                condition=Q(top_percent__isnull=True)
                | (Q(top_percent__gt=0) & Q(top_percent__lte=100)),
                name="tagrule_top_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(threshold__isnull=True) | Q(threshold__gte=0),
                name="tagrule_threshold_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(period_days__gte=1) & Q(period_days__lte=366),
                name="tagrule_period_days_range",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if (self.threshold is None) == (self.top_percent is None):
            raise ValidationError(
                {"threshold": _("Give either a threshold or a top percent, not both.")}
            )


class MemberTag(models.Model):
    """A member holds a rule's tag until the next recompute says otherwise."""

    rule = models.ForeignKey(
        TagRule, verbose_name=_("tag rule"), on_delete=models.CASCADE, related_name="tags"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="analytics_tags",
    )
    value = models.DecimalField(_("figure"), max_digits=16, decimal_places=2)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        ordering = ["rule__name", "-value"]
        verbose_name = _("member tag")
        verbose_name_plural = _("member tags")
        constraints = [
            models.UniqueConstraint(fields=["rule", "member"], name="membertag_one_per_rule"),
        ]
        indexes = [models.Index(fields=["member", "rule"], name="membertag_member")]

    def __str__(self):
        return f"{self.member_id}: {self.rule_id}"


# Sums over many orders outgrow an order's own 12 digits; the cents stay the same.
ROLLUP_MONEY = {"max_digits": 16, "decimal_places": 2}
DEEPER_LEVEL = 21  # buyers more than 20 levels below the member


class DownlineSalesDay(models.Model):
    """Sales of one day, by how far below ``member`` the buyer is.

    Level 0: the member's own orders; 1..20: a buyer that many levels below; 21: deeper. The
    day is the local date (settings.TIME_ZONE) of ``placed_at``, like every report range.
    """

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique (member, day, level) index starts with it
    )
    day = models.DateField()
    level = models.PositiveSmallIntegerField()
    orders = models.IntegerField(default=0)
    sales = models.DecimalField(default=0, **ROLLUP_MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "day", "level"], name="downlinesalesday_member_day_level"
            ),
            models.CheckConstraint(
                condition=Q(level__gte=0) & Q(level__lte=DEEPER_LEVEL),
                name="downlinesalesday_level_range",
            ),
        ]
        # Leaderboards over days that are not a whole month read every member's rows of those
        # days.
        indexes = [models.Index(fields=["day"], name="downlinesalesday_day")]

    def __str__(self):
        return f"{self.member_id} {self.day} L{self.level}: {self.orders} / {self.sales}"


class SalesMonth(models.Model):
    """A member's own and downline sales of one calendar month (``month`` is its first day):
    what leaderboards and tags read for the whole months of a range."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField()
    own_orders = models.IntegerField(default=0)
    own_sales = models.DecimalField(default=0, **ROLLUP_MONEY)
    downline_orders = models.IntegerField(default=0)
    downline_sales = models.DecimalField(default=0, **ROLLUP_MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="salesmonth_member_month"),
        ]
        indexes = [models.Index(fields=["month"], name="salesmonth_month")]

    def __str__(self):
        return f"{self.member_id} {self.month}"
