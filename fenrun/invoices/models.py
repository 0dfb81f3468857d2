"""The buyer's invoice choice, the invoices and allowances issued for orders, and every call.

An order has at most one invoice. It is created ``pending`` when the order reaches the issue
point and a job issues it; a failed call leaves it ``failed`` with its error, retried when
``next_attempt_at`` comes (and by staff at once). A correction — a void, or an allowance — is
an ``operation`` still to do, retried the same way. Nothing is deleted: the attempts are the
record of what was sent and answered.
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from fenrun.invoices.rules import Kind
from fenrun.orders.models import MONEY, Order


class InvoiceChoice(models.Model):
    """How the buyer asked to receive the invoice, recorded when the order is placed.

    An order without one (placed through the API, imported) gets the member carrier.
    """

    class KindChoices(models.TextChoices):
        MEMBER = Kind.MEMBER_CARRIER, _("Cloud invoice (member carrier)")
        MOBILE = Kind.MOBILE_BARCODE, _("Mobile barcode")
        CERTIFICATE = Kind.CERTIFICATE, _("Citizen digital certificate")
        DONATION = Kind.DONATION, _("Donate the invoice")
        COMPANY = Kind.COMPANY, _("Company invoice (統一編號)")

    order = models.OneToOneField(
        Order, on_delete=models.CASCADE, related_name="invoice_choice", verbose_name=_("order")
    )
    kind = models.CharField(_("invoice type"), max_length=12, choices=KindChoices.choices)
    carrier_number = models.CharField(_("carrier number"), max_length=16, blank=True)
    love_code = models.CharField(_("donation code"), max_length=7, blank=True)
    ban = models.CharField(_("統一編號"), max_length=8, blank=True)
    company_name = models.CharField(_("company name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("invoice choice")
        verbose_name_plural = _("invoice choices")
        constraints = [
            # Each kind carries exactly its own details (their format is checked by rules.py).
            models.CheckConstraint(
                name="invoice_choice_fields_fit_kind",
                condition=(
                    Q(
                        kind=Kind.MEMBER_CARRIER,
                        carrier_number="",
                        love_code="",
                        ban="",
                        company_name="",
                    )
                    | (
                        Q(kind__in=[Kind.MOBILE_BARCODE, Kind.CERTIFICATE])
                        & ~Q(carrier_number="")
                        & Q(love_code="", ban="", company_name="")
                    )
                    | (
                        Q(kind=Kind.DONATION, carrier_number="", ban="", company_name="")
                        & ~Q(love_code="")
                    )
                    | (
                        Q(kind=Kind.COMPANY, carrier_number="", love_code="")
                        & Q(Exact(Length("ban"), 8))
                        & ~Q(company_name="")
                    )
                ),
            ),
        ]

    def __str__(self):
        return f"{self.order_id} {self.kind}"

    @property
    def detail(self) -> str:
        """What the buyer typed, for pages: the barcode, code or 統一編號 and company."""
        if self.kind == Kind.COMPANY:
            return f"{self.ban} {self.company_name}"
        return self.carrier_number or self.love_code


class Operation(models.TextChoices):
    ISSUE = "issue", _("Issue")
    VOID = "void", _("Void")
    ALLOWANCE = "allowance", _("Allowance")
    VOID_ALLOWANCE = "void_allowance", _("Void allowance")
    QUERY = "query", _("Query")


class Invoice(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("To issue")
        FAILED = "failed", _("Issue failed, will retry")
        ISSUED = "issued", _("Issued")
        VOIDED = "voided", _("Voided")
        CANCELLED = "cancelled", _("Not issued (order cancelled)")

    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, related_name="invoice", verbose_name=_("order")
    )
    provider = models.CharField(_("provider"), max_length=20)
    # Our number for the provider (ECPay's RelateNumber): a retried issue is found by it, never
    # issued twice.
    relate_number = models.CharField(_("reference"), max_length=30, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # A void still to do (the order was cancelled); empty when nothing is waiting.
    operation = models.CharField(
        _("waiting operation"), max_length=16, choices=Operation.choices, blank=True
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    number = models.CharField(_("invoice number"), max_length=10, blank=True, db_index=True)
    random_code = models.CharField(_("random code"), max_length=4, blank=True)
    issued_at = models.DateTimeField(_("invoice date"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    response = models.JSONField(_("provider response"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        indexes = [models.Index(fields=["next_attempt_at"], name="invoice_next_attempt")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "failed", "issued", "voided", "cancelled"]),
                name="invoice_status_known",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            # An issued (or once issued, then voided) invoice has its number and date.
            models.CheckConstraint(
                condition=~Q(status__in=["issued", "voided"])
                | (~Q(number="") & Q(issued_at__isnull=False)),
                name="invoice_issued_has_number",
            ),
            models.CheckConstraint(
                condition=~Q(status="voided") | Q(voided_at__isnull=False),
                name="invoice_voided_has_date",
            ),
        ]

    def __str__(self):
        return self.number or self.relate_number

    @property
    def needs_staff(self) -> bool:
        """A call failed and is waiting for its retry: staff see it."""
        return bool(self.last_error) and (self.status == self.Status.FAILED or bool(self.operation))


class Allowance(models.Model):
    """A 折讓: part (or all) of an issued invoice given back, after its period has ended or for
    a partial refund."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To issue")
        FAILED = "failed", _("Failed, will retry")
        ISSUED = "issued", _("Issued")
        VOIDED = "voided", _("Voided")

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="allowances", verbose_name=_("invoice")
    )
    # Why this allowance exists, unique per invoice: the same refund asked twice is one
    # allowance.
    reference = models.CharField(_("reference"), max_length=64)
    amount = models.DecimalField(_("amount"), **MONEY)
    lines = models.JSONField(_("lines"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    number = models.CharField(_("allowance number"), max_length=20, blank=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    response = models.JSONField(_("provider response"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("allowance")
        verbose_name_plural = _("allowances")
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "reference"], name="allowance_reference_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allowance_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "failed", "issued", "voided"]),
                name="allowance_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="issued") | ~Q(number=""),
                name="allowance_issued_has_number",
            ),
        ]

    def __str__(self):
        return self.number or self.reference


class InvoiceAttempt(models.Model):
    """One call to the provider: what was asked and what it answered (or why it did not)."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("invoice")
    )
    allowance = models.ForeignKey(
        Allowance, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    operation = models.CharField(_("operation"), max_length=16, choices=Operation.choices)
    ok = models.BooleanField(_("succeeded"))
    error = models.CharField(_("error"), max_length=300, blank=True)
    request = models.JSONField(_("request"), default=dict, blank=True)
    response = models.JSONField(_("response"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invoice call")
        verbose_name_plural = _("invoice calls")

    def __str__(self):
        return f"{self.operation} {'ok' if self.ok else 'failed'}"


class StandInInvoice(models.Model):
    """The local stand-in's own books (what "ECPay" has issued), for the demo and the tests.

    Production never writes here: the stand-in answers only where it is enabled.
    """

    merchant_id = models.CharField(max_length=10)
    relate_number = models.CharField(max_length=30)
    number = models.CharField(max_length=10, unique=True)
    random_code = models.CharField(max_length=4)
    sales_amount = models.IntegerField()
    issued_at = models.DateTimeField()
    voided = models.BooleanField(default=False)
    data = models.JSONField(default=dict)
    allowances = models.JSONField(default=list)

    class Meta:
        verbose_name = "stand-in invoice"
        constraints = [
            models.UniqueConstraint(
                fields=["merchant_id", "relate_number"], name="stand_in_relate_number_unique"
            )
        ]

    def __str__(self):
        return self.number
