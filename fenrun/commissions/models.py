"""Commission plans (versioned), their assignments, and the commissions paid from orders.

A plan's rules live in immutable ``PlanVersion`` rows: editing a plan adds a version, and every
order line records the version that applied when the order was placed (``OrderLinePlan``), so
changing or switching plans never touches past orders.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fenrun.commissions import engine

MONEY = {"max_digits": 12, "decimal_places": 2}
RATE = {"max_digits": 5, "decimal_places": 2}


class CommissionSettings(models.Model):
    """Shop-wide commission settings: one row, edited by staff."""

    automatic = models.BooleanField(
        _("create commissions automatically"),
        default=True,
        help_text=_(
            "When an order is completed. Otherwise staff create them from the order's commission "
            "page (“新增推薦獎金”)."
        ),
    )
    hold_days = models.PositiveSmallIntegerField(
        _("hold period (days)"),
        default=7,
        help_text=_(
            "Commissions stay pending this many days after the order is completed (the 7-day "
            "appraisal period); 0 makes them available at once."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("commission settings")
        verbose_name_plural = _("commission settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="commission_settings_singleton"),
            models.CheckConstraint(
                condition=Q(hold_days__lte=365), name="commission_hold_at_most_a_year"
            ),
        ]

    def __str__(self):
        return str(_("Commission settings"))

    @classmethod
    def load(cls) -> "CommissionSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class CommissionPlan(models.Model):
    """A named set of rules (分潤方案); its rules are in its latest ``PlanVersion``."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.TextField(
        _("description"), blank=True, help_text=_("To tell plans apart: who it is for, and why.")
    )
    is_default = models.BooleanField(
        _("default plan"),
        default=False,
        help_text=_("Applies to every order line no assignment covers."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-is_default", "name", "id"]
        verbose_name = _("commission plan")
        verbose_name_plural = _("commission plans")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_plan"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def current_version(self) -> "PlanVersion | None":
        cached = getattr(self, "_current_version", None)
        if cached is None:
            cached = self.versions.order_by("-number").first()
            self._current_version = cached
        return cached


class PlanVersion(models.Model):
    """The rules of a plan from one edit on. Never updated once written: edits add a version."""

    class Mode(models.TextChoices):
        LEVELS = engine.LEVELS, _("A rate per level")
        MATRIX = engine.MATRIX, _("Rates by the number of uplines (matrix)")

    class InactiveRule(models.TextChoices):
        PASS_UP = engine.PASS_UP, _("Pass the level up to the next active upline")
        FORFEIT = engine.FORFEIT, _("Forfeit the level (nobody is paid for it)")

    class RoundingMode(models.TextChoices):
        HALF_UP = "half_up", _("Round half up")
        DOWN = "down", _("Round down")

    class RoundingPlaces(models.IntegerChoices):
        WHOLE = 0, _("Whole NT$")
        CENT = 2, _("Cents")

    plan = models.ForeignKey(
        CommissionPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    mode = models.CharField(_("rates"), max_length=10, choices=Mode.choices, default=Mode.LEVELS)
    levels = models.PositiveSmallIntegerField(_("levels"))
    cap = models.DecimalField(
        _("cap (percent of the base)"),
        null=True,
        blank=True,
        help_text=_("The most one order line pays out in total; empty for no cap."),
        **RATE,
    )
    include_shipping = models.BooleanField(_("shipping is in the base"), default=False)
    include_credit = models.BooleanField(
        _("the part paid with shopping credit is in the base"), default=False
    )
    inactive_rule = models.CharField(
        _("inactive or banned uplines"),
        max_length=10,
        choices=InactiveRule.choices,
        default=InactiveRule.PASS_UP,
    )
    self_pay = models.BooleanField(
        _("pay the buyer for their own order"),
        default=False,
        help_text=_("The buyer then takes the first level and their uplines move up one."),
    )
    rounding_mode = models.CharField(
        _("rounding"), max_length=10, choices=RoundingMode.choices, default=RoundingMode.HALF_UP
    )
    rounding_places = models.PositiveSmallIntegerField(
        _("round to"), choices=RoundingPlaces.choices, default=RoundingPlaces.WHOLE
    )
    legal_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("legal warning acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    legal_acknowledged_at = models.DateTimeField(
        _("legal warning acknowledged at"), null=True, blank=True
    )
    note = models.CharField(_("change note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["plan", "-number"]
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number_unique"),
            models.CheckConstraint(
                condition=Q(levels__gte=1) & Q(levels__lte=engine.MAX_LEVELS),
                name="plan_version_levels_1_to_20",
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | (Q(cap__gte=0) & Q(cap__lte=100)),
                name="plan_version_cap_0_to_100",
            ),
            models.CheckConstraint(
                condition=Q(mode__in=[engine.LEVELS, engine.MATRIX]), name="plan_version_mode_known"
            ),
            models.CheckConstraint(
                condition=Q(inactive_rule__in=[engine.PASS_UP, engine.FORFEIT]),
                name="plan_version_inactive_rule_known",
            ),
            models.CheckConstraint(
                condition=Q(rounding_mode__in=["half_up", "down"]) & Q(rounding_places__in=[0, 2]),
                name="plan_version_rounding_known",
            ),
            # Three levels or more is direct selling: no such version without the acknowledgement.
            models.CheckConstraint(
                condition=Q(levels__lt=engine.LEGAL_WARNING_LEVELS)
                | Q(legal_acknowledged_at__isnull=False),
                name="plan_version_legal_acknowledged",
            ),
        ]

    def __str__(self):
        return f"{self.plan} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("plan versions are immutable: create a new version instead")
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.levels is not None and not 1 <= self.levels <= engine.MAX_LEVELS:
            errors["levels"] = _("A plan has 1 to 20 levels.")
        if self.cap is not None and not 0 <= self.cap <= 100:
            errors["cap"] = _("The cap is a percentage from 0 to 100.")
        if (self.levels or 0) >= engine.LEGAL_WARNING_LEVELS and self.legal_acknowledged_at is None:
            errors["levels"] = _("Plans of three or more levels need the legal acknowledgement.")
        if errors:
            raise ValidationError(errors)

    @property
    def needs_legal_warning(self) -> bool:
        return self.levels >= engine.LEGAL_WARNING_LEVELS

    def to_rules(self) -> engine.PlanRules:
        """The engine's view of this version (uses prefetched rates when present)."""
        rates = sorted(self.rates.all(), key=lambda r: (r.row, r.level))
        guaranteed = sorted(self.guaranteed_levels.all(), key=lambda g: g.tree_level)
        if self.mode == engine.LEVELS:
            per_level = tuple(r.rate for r in rates if r.row == 0)
            matrix: tuple = ()
        else:
            per_level = ()
            matrix = tuple(
                tuple(r.rate for r in rates if r.row == n) for n in range(1, self.levels + 1)
            )
        return engine.PlanRules(
            version_id=self.pk,
            levels=self.levels,
            mode=self.mode,
            rates=per_level,
            matrix=matrix,
            cap=self.cap,
            guaranteed=tuple((g.tree_level, g.rate) for g in guaranteed),
            include_shipping=self.include_shipping,
            include_credit=self.include_credit,
            inactive_rule=self.inactive_rule,
            self_pay=self.self_pay,
            rounding_mode=self.rounding_mode,
            rounding_places=self.rounding_places,
        )


class PlanRate(models.Model):
    """One rate of a version: ``row`` 0 in the per-level mode, else the matrix row (the number of
    uplines the buyer has inside the window); ``level`` is the window slot (1 = nearest)."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="rates")
    row = models.PositiveSmallIntegerField(default=0)
    level = models.PositiveSmallIntegerField()
    rate = models.DecimalField(_("rate (%)"), **RATE)

    class Meta:
        ordering = ["version", "row", "level"]
        constraints = [
            models.UniqueConstraint(fields=["version", "row", "level"], name="plan_rate_unique"),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=100), name="plan_rate_0_to_100"
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1)
                & Q(level__lte=engine.MAX_LEVELS)
                & Q(row__lte=engine.MAX_LEVELS),
                name="plan_rate_level_1_to_20",
            ),
            models.CheckConstraint(
                condition=Q(row=0) | Q(level__lte=models.F("row")),
                name="plan_rate_matrix_level_within_row",
            ),
        ]

    def __str__(self):
        return f"{self.version} row {self.row} level {self.level}: {self.rate}%"


class PlanGuaranteedLevel(models.Model):
    """An absolute tree level (roots are 1) whose member in the chain is always paid (獎金必計算的階層)."""

    version = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="guaranteed_levels"
    )
    tree_level = models.PositiveIntegerField(_("tree level"))
    rate = models.DecimalField(_("rate (%)"), **RATE)

    class Meta:
        ordering = ["version", "tree_level"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "tree_level"], name="plan_guaranteed_level_unique"
            ),
            models.CheckConstraint(
                condition=Q(tree_level__gte=1), name="plan_guaranteed_level_positive"
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=100), name="plan_guaranteed_rate_0_to_100"
            ),
        ]

    def __str__(self):
        return f"{self.version} tree level {self.tree_level}: {self.rate}%"


class PlanAssignment(models.Model):
    """Which plan applies to a product, a category, a member's referrals or a member group.

    Precedence at order placement: product > category (nearest up the category tree) > the
    buyer's sponsor's plan > the buyer's member group > the default plan.
    """

    class Target(models.TextChoices):
        PRODUCT = "product", _("Product")
        CATEGORY = "category", _("Category")
        MEMBER = "member", _("Member (orders from their referrals)")
        GROUP = "group", _("Member group")

    plan = models.ForeignKey(
        CommissionPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="assignments"
    )
    target = models.CharField(_("applies to"), max_length=10, choices=Target.choices)
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    category = models.ForeignKey(
        "catalog.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    group = models.ForeignKey(
        "accounts.MemberGroup",
        verbose_name=_("member group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["target", "id"]
        verbose_name = _("plan assignment")
        verbose_name_plural = _("plan assignments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        target="product",
                        product__isnull=False,
                        category__isnull=True,
                        member__isnull=True,
                        group__isnull=True,
                    )
                    | Q(
                        target="category",
                        product__isnull=True,
                        category__isnull=False,
                        member__isnull=True,
                        group__isnull=True,
                    )
                    | Q(
                        target="member",
                        product__isnull=True,
                        category__isnull=True,
                        member__isnull=False,
                        group__isnull=True,
                    )
                    | Q(
                        target="group",
                        product__isnull=True,
                        category__isnull=True,
                        member__isnull=True,
                        group__isnull=False,
                    )
                ),
                name="plan_assignment_one_target",
            ),
            # One plan per product, category, member and group: precedence stays unambiguous.
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(product__isnull=False),
                name="plan_assignment_product_unique",
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=Q(category__isnull=False),
                name="plan_assignment_category_unique",
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(member__isnull=False),
                name="plan_assignment_member_unique",
            ),
            models.UniqueConstraint(
                fields=["group"],
                condition=Q(group__isnull=False),
                name="plan_assignment_group_unique",
            ),
        ]

    def __str__(self):
        return f"{self.plan} → {self.target_object}"

    @property
    def target_object(self):
        return self.product or self.category or self.member or self.group


class OrderLinePlan(models.Model):
    """The plan version that applied to an order line when the order was placed."""

    class Source(models.TextChoices):
        PRODUCT = "product", _("Product")
        CATEGORY = "category", _("Category")
        SPONSOR = "sponsor", _("Sponsor's plan")
        GROUP = "group", _("Member group")
        DEFAULT = "default", _("Default plan")

    order_line = models.OneToOneField(
        "orders.OrderLine", on_delete=models.CASCADE, related_name="commission_plan"
    )
    plan_version = models.ForeignKey(
        PlanVersion, verbose_name=_("plan version"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("chosen by"), max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order line plan")
        verbose_name_plural = _("order line plans")

    def __str__(self):
        return f"{self.order_line_id} → {self.plan_version_id}"


class OrderSettlement(models.Model):
    """One per order whose commissions were created: the database makes a second time a no-op."""

    order = models.OneToOneField(
        "orders.Order", on_delete=models.PROTECT, related_name="commission_settlement"
    )
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referrer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    total = models.DecimalField(_("total"), default=0, **MONEY)
    automatic = models.BooleanField(_("automatic"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    reversed_at = models.DateTimeField(_("reversed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("order settlement")
        verbose_name_plural = _("order settlements")
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="settlement_total_not_negative")
        ]

    def __str__(self):
        return str(self.order)


class Commission(models.Model):
    """What one member earns from one order line (推薦獎金)."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("commission status", "Pending")
        AVAILABLE = "available", _("Available")
        REVERSED = "reversed", _("Reversed")

    class Rule(models.TextChoices):
        LEVEL = engine.LEVELS, _("Level rate")
        MATRIX = engine.MATRIX, _("Matrix rate")
        GUARANTEED = "guaranteed", _("Guaranteed level")

    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="commissions",
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="commissions",
    )
    settlement = models.ForeignKey(
        OrderSettlement, on_delete=models.PROTECT, related_name="commissions"
    )
    plan_version = models.ForeignKey(
        PlanVersion, verbose_name=_("plan version"), on_delete=models.PROTECT, related_name="+"
    )
    payee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("payee"),
        on_delete=models.PROTECT,
        related_name="commissions",
    )
    level = models.PositiveSmallIntegerField(
        _("level"), help_text=_("1 = the buyer's sponsor (or the link owner); 0 = the buyer.")
    )
    tree_level = models.PositiveIntegerField(_("tree level"))
    base = models.DecimalField(_("base"), **MONEY)
    rate = models.DecimalField(_("rate (%)"), **RATE)
    exact_amount = models.DecimalField(
        _("exact amount"), max_digits=16, decimal_places=6, help_text=_("Before rounding.")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    rule = models.CharField(_("rule"), max_length=12, choices=Rule.choices)
    rule_detail = models.JSONField(_("rule detail"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    available_at = models.DateTimeField(_("available from"))
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    reversed_at = models.DateTimeField(_("reversed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "order_line_id", "level"]
        verbose_name = _("commission")
        verbose_name_plural = _("commissions")
        indexes = [
            models.Index(fields=["payee", "-created_at"], name="commission_payee_created"),
            models.Index(fields=["status", "available_at"], name="commission_status_due"),
        ]
        constraints = [
            # Completing an order twice, even at the same moment, pays once.
            models.UniqueConstraint(
                fields=["order_line", "payee"], name="commission_once_per_line"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(base__gte=0) & Q(exact_amount__gte=0),
                name="commission_amounts_positive",
            ),
            models.CheckConstraint(
                condition=Q(rate__gt=0) & Q(rate__lte=100), name="commission_rate_0_to_100"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "available", "reversed"]),
                name="commission_status_known",
            ),
        ]

    def __str__(self):
        return f"{self.order} · {self.payee} · {self.amount}"

    @property
    def rule_text(self) -> str:
        from fenrun.commissions.rules import describe

        return describe(self.rule, self.rule_detail, rate=self.rate, level=self.level)
