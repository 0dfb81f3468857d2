"""High-contribution tags: rules staff define, and the tags a recompute gives members.

Everything else in analytics is read straight from the orders, the referral tree and the
commissions (see docs/analytics.md): the tags are the only figures kept, because they are a
decision ("this member is a 轉單王 this month") that lists and the chart show without recounting.
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
