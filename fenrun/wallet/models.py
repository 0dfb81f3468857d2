"""The wallet's books: a small double-entry ledger plus the requests that move money through it.

Member accounts (coins, credit, coins reserved, debt) keep a maintained balance, locked with
SELECT ... FOR UPDATE whenever it changes; every entry records the balance after it. Shop
accounts are the other side of each transaction; their balance is the sum of their entries
(no maintained row, so busy checkouts never queue on one shop row). See docs/wallet.md.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MONEY = {"max_digits": 14, "decimal_places": 2}


class ImmutableQuerySet(models.QuerySet):
    """Bulk update/delete would bypass the model guards, so they are refused too."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are immutable")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are immutable")


class WalletSettings(models.Model):
    """The shop's wallet rules; one row (pk 1), edited by staff in the back office."""

    class ConversionMode(models.TextChoices):
        MANUAL = "manual", _("Do not auto-merge: members apply, staff approve")
        AUTOMATIC = "automatic", _("Automatic: newly available coins become credit")

    conversion_mode = models.CharField(
        _("conversion mode"),
        max_length=10,
        choices=ConversionMode.choices,
        default=ConversionMode.MANUAL,
    )
    conversion_ratio = models.DecimalField(
        _("credit per coin"),
        max_digits=8,
        decimal_places=4,
        default=Decimal("1"),
        help_text=_("How much shopping credit one site coin buys (1 = 1:1)."),
    )
    conversion_minimum = models.DecimalField(_("minimum conversion"), default=Decimal("1"), **MONEY)
    withdrawal_minimum = models.DecimalField(
        _("minimum withdrawal"), default=Decimal("300"), **MONEY
    )
    withdrawal_fee = models.DecimalField(
        _("withdrawal fee (NT$)"),
        default=Decimal("15"),
        help_text=_("Fixed fee taken from each payout, e.g. the bank's transfer fee."),
        **MONEY,
    )
    withdrawal_fee_percent = models.DecimalField(
        _("withdrawal fee (%)"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    credit_max_share_percent = models.DecimalField(
        _("share of goods credit may pay (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("50"),
    )
    credit_covers_shipping = models.BooleanField(_("credit may pay shipping"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("wallet settings")
        verbose_name_plural = _("wallet settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="wallet_settings_singleton"),
            models.CheckConstraint(
                condition=Q(conversion_ratio__gt=0), name="wallet_settings_ratio_positive"
            ),
            models.CheckConstraint(
                condition=Q(conversion_minimum__gt=0)
                & Q(withdrawal_minimum__gt=0)
                & Q(withdrawal_fee__gte=0)
                & Q(withdrawal_fee_percent__gte=0)
                & Q(withdrawal_fee_percent__lt=100)
                & Q(credit_max_share_percent__gte=0)
                & Q(credit_max_share_percent__lte=100),
                name="wallet_settings_ranges",
            ),
        ]

    def __str__(self):
        return str(_("Wallet settings"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "WalletSettings":
        obj = cls.objects.filter(pk=1).first()
        if obj is None:
            obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class AccountKind(models.TextChoices):
    # A member's accounts: the shop owes the member their balance (debt: the member owes it).
    COINS = "coins", _("Site coins")
    CREDIT = "credit", _("Shopping credit")
    COINS_RESERVED = "coins_reserved", _("Coins reserved")
    DEBT = "debt", _("Debt")
    # The shop's side of every movement.
    SHOP_COMMISSIONS = "shop_commissions", _("Shop: commissions issued")
    SHOP_CONVERSIONS = "shop_conversions", _("Shop: coin conversions")
    SHOP_CREDIT_REDEEMED = "shop_credit_redeemed", _("Shop: credit redeemed at checkout")
    SHOP_PAYOUTS = "shop_payouts", _("Shop: cash paid out")
    SHOP_WITHDRAWAL_FEES = "shop_withdrawal_fees", _("Shop: withdrawal fees")
    SHOP_ADJUSTMENTS = "shop_adjustments", _("Shop: staff adjustments")


MEMBER_KINDS = (AccountKind.COINS, AccountKind.CREDIT, AccountKind.COINS_RESERVED, AccountKind.DEBT)
SPENDABLE_KINDS = (AccountKind.COINS, AccountKind.CREDIT, AccountKind.COINS_RESERVED)
SHOP_KINDS = tuple(k for k in AccountKind if k not in MEMBER_KINDS)


class Account(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="wallet_accounts",
    )
    kind = models.CharField(_("account"), max_length=24, choices=AccountKind.choices)
    # Debt is stored as a non-positive number so that a member's accounts add up to what the
    # shop owes them; pages show it as a positive "debt".
    balance = models.DecimalField(_("balance"), null=True, blank=True, **MONEY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("wallet account")
        verbose_name_plural = _("wallet accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind"],
                condition=Q(owner__isnull=False),
                name="wallet_account_one_per_member_kind",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(owner__isnull=True),
                name="wallet_account_one_per_shop_kind",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=MEMBER_KINDS, owner__isnull=False, balance__isnull=False)
                    | Q(kind__in=SHOP_KINDS, owner__isnull=True, balance__isnull=True)
                ),
                name="wallet_account_owner_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SPENDABLE_KINDS, balance__gte=0)
                | Q(kind=AccountKind.DEBT, balance__lte=0)
                | Q(kind__in=SHOP_KINDS),
                name="wallet_account_balance_sign",
            ),
        ]

    def __str__(self):
        who = self.owner_id and str(self.owner) or str(_("shop"))
        return f"{who} · {self.get_kind_display()}"

    @property
    def is_member_account(self) -> bool:
        return self.kind in MEMBER_KINDS


class SourceType(models.TextChoices):
    ORDER = "order", _("Order")
    COMMISSION = "commission", _("Commission")
    CONVERSION = "conversion", _("Conversion")
    WITHDRAWAL = "withdrawal", _("Withdrawal")
    ADJUSTMENT = "adjustment", _("Staff adjustment")


class TransactionKind(models.TextChoices):
    COMMISSION_RELEASE = "commission_release", _("Referral bonus")
    COMMISSION_REVERSAL = "commission_reversal", _("Referral bonus reversed")
    CONVERSION_RESERVE = "conversion_reserve", _("Conversion requested")
    CONVERSION = "conversion", _("Coins converted to credit")
    CONVERSION_RELEASE = "conversion_release", _("Conversion rejected or cancelled")
    CHECKOUT_SPEND = "checkout_spend", _("Credit spent at checkout")
    CHECKOUT_REFUND = "checkout_refund", _("Credit returned (order cancelled or refunded)")
    WITHDRAWAL_RESERVE = "withdrawal_reserve", _("Withdrawal requested")
    WITHDRAWAL_RELEASE = "withdrawal_release", _("Withdrawal rejected or cancelled")
    WITHDRAWAL_PAYOUT = "withdrawal_payout", _("Withdrawal paid")
    ADJUSTMENT = "adjustment", _("Staff adjustment")


class Transaction(models.Model):
    """One movement of money: two or more entries summing to zero.

    (source_type, source_id, kind) is unique: an event delivered twice, a retried request or two
    staff clicking at once find the first transaction instead of writing a second.
    """

    kind = models.CharField(_("type"), max_length=24, choices=TransactionKind.choices)
    source_type = models.CharField(_("source"), max_length=12, choices=SourceType.choices)
    source_id = models.CharField(_("source id"), max_length=64)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="wallet_transactions",
    )
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("wallet transaction")
        verbose_name_plural = _("wallet transactions")
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id", "kind"], name="wallet_transaction_source_unique"
            )
        ]
        indexes = [models.Index(fields=["member", "-id"], name="wallet_tx_member_recent")]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} ({self.get_source_type_display()} {self.source_id})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("wallet transactions are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("wallet transactions are immutable")


class Entry(models.Model):
    """One leg of a transaction. Never edited or deleted; mistakes are reversed by new entries."""

    transaction = models.ForeignKey(
        Transaction,
        verbose_name=_("wallet transaction"),
        on_delete=models.PROTECT,
        related_name="entries",
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="entries"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    # Null on shop accounts, whose balance is not maintained (see the module docstring).
    balance_after = models.DecimalField(_("balance after"), null=True, blank=True, **MONEY)
    # The transaction's time, copied so the history filters by date without a join.
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="wallet_entry_amount_not_zero"),
        ]
        indexes = [
            # The member's history (newest first) and its date filter.
            models.Index(fields=["account", "-id"], name="wallet_entry_account_recent"),
            models.Index(fields=["account", "created_at"], name="wallet_entry_account_date"),
        ]

    def __str__(self):
        return f"{self.account} {self.amount:+}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("ledger entries are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("ledger entries are immutable")

    @property
    def display_amount(self) -> Decimal:
        """Debt is stored negative; people read "debt +500" when it grows."""
        return -self.amount if self.account.kind == AccountKind.DEBT else self.amount

    @property
    def display_balance_after(self) -> Decimal | None:
        if self.balance_after is None or self.account.kind != AccountKind.DEBT:
            return self.balance_after
        return -self.balance_after


def _mask(digits: str) -> str:
    return "•" * max(len(digits) - 4, 0) + digits[-4:]


class Conversion(models.Model):
    """Coins → shopping credit, applied for by a member, done by staff or done automatically."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("wallet request status", "Pending")
        APPROVED = "approved", _("Converted")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    class Origin(models.TextChoices):
        MEMBER = "member", _("Member request")
        STAFF = "staff", _("Staff conversion")
        AUTOMATIC = "automatic", _("Automatic conversion")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="coin_conversions",
    )
    coins = models.DecimalField(_("coins"), **MONEY)
    ratio = models.DecimalField(_("credit per coin"), max_digits=8, decimal_places=4)
    credit = models.DecimalField(_("credit"), **MONEY)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, default=Origin.MEMBER
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("coin conversion")
        verbose_name_plural = _("coin conversions")
        constraints = [
            models.CheckConstraint(
                condition=Q(coins__gt=0) & Q(credit__gt=0) & Q(ratio__gt=0),
                name="wallet_conversion_amounts_positive",
            ),
            # The documented rule: one pending conversion per member at a time.
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status="pending"),
                name="wallet_conversion_one_pending_per_member",
            ),
            models.UniqueConstraint(
                fields=["member", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="wallet_conversion_idempotency_key",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="wallet_conv_queue")]

    def __str__(self):
        return f"{self.member} {self.coins} → {self.credit}"


class Withdrawal(models.Model):
    """A cash payout of coins to the member's bank account, reviewed by staff."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("wallet request status", "Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        PAID = "paid", pgettext_lazy("wallet request status", "Paid")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.PENDING, Status.APPROVED)

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="withdrawals",
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    fee = models.DecimalField(_("fee"), **MONEY)
    payout = models.DecimalField(_("payout"), **MONEY)
    bank_code = models.CharField(_("bank code"), max_length=3)
    account_number = models.CharField(_("account number"), max_length=16)
    account_name = models.CharField(_("account name"), max_length=60)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(fee__gte=0)
                & Q(payout__gt=0)
                & Q(amount=F("fee") + F("payout")),
                name="wallet_withdrawal_amounts_add_up",
            ),
            models.CheckConstraint(
                condition=Q(bank_code__regex=r"^[0-9]{3}$")
                & Q(account_number__regex=r"^[0-9]{10,16}$"),
                name="wallet_withdrawal_bank_details_format",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | ~Q(reference=""),
                name="wallet_withdrawal_paid_has_reference",
            ),
            models.UniqueConstraint(
                fields=["member", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="wallet_withdrawal_idempotency_key",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="wallet_wd_queue")]

    def __str__(self):
        return f"{self.member} {self.amount}"

    @property
    def masked_account_number(self) -> str:
        return _mask(self.account_number)

    @property
    def masked_account_name(self) -> str:
        name = self.account_name
        if len(name) <= 1:
            return name
        if len(name) == 2:
            return name[0] + "○"
        return name[0] + "○" * (len(name) - 2) + name[-1]


class Adjustment(models.Model):
    """A staff correction of a member's balance; the reason is mandatory and kept forever."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="wallet_adjustments",
    )
    account_kind = models.CharField(
        _("account"),
        max_length=24,
        choices=[
            (k.value, k.label) for k in (AccountKind.COINS, AccountKind.CREDIT, AccountKind.DEBT)
        ],
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.CharField(_("reason"), max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    idempotency_key = models.CharField(max_length=100, unique=True, editable=False)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("wallet adjustment")
        verbose_name_plural = _("wallet adjustments")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="wallet_adjustment_not_zero"),
            models.CheckConstraint(condition=~Q(reason=""), name="wallet_adjustment_has_reason"),
        ]

    def __str__(self):
        return f"{self.member} {self.amount:+} ({self.reason})"
