"""What the stand-ins remember of each trade, as the real provider would on its side."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# What the stand-in pages call ECPay's ChoosePayment values (and LINE Pay's one method).
METHOD_LABELS = {
    "Credit": _("Credit card"),
    "ATM": _("ATM transfer"),
    "CVS": _("Convenience-store code"),
    "BARCODE": _("Convenience-store barcode"),
    "linepay": _("LINE Pay"),
}


class StandinTrade(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", _("Created, not paid")
        # An ATM account or store code was given; waiting for the money.
        ISSUED = "issued", _("Account or code given, waiting for payment")
        # LINE Pay: the buyer approved; waiting for the shop's Confirm.
        AUTHORISED = "authorised", _("Approved, waiting for the shop to confirm")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        REFUNDED = "refunded", _("Refunded")

    provider = models.CharField(max_length=20)
    merchant_id = models.CharField(max_length=40)
    trade_no = models.CharField(max_length=64)  # the merchant's (MerchantTradeNo, orderId)
    provider_trade_no = models.CharField(max_length=64, unique=True)  # TradeNo, transactionId
    amount = models.PositiveIntegerField()
    method = models.CharField(max_length=20)
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=12, default=Status.CREATED)
    issued = models.JSONField(default=dict, blank=True)
    held = models.JSONField(default=list, blank=True)  # callbacks kept back by the "delay" knob
    log = models.JSONField(default=list, blank=True)  # what was sent where, and the answer
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "merchant_id", "trade_no"], name="standin_trade_unique"
            )
        ]

    def __str__(self):
        return f"{self.provider} {self.trade_no}"

    # The field has no choices on purpose (no migration for a label); an unknown code shows raw.
    @property
    def status_label(self) -> str:
        try:
            return self.Status(self.status).label
        except ValueError:
            return self.status

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)
