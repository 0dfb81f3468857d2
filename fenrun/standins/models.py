"""What the stand-ins remember of each trade, as the real provider would on its side."""

from django.db import models


class StandinTrade(models.Model):
    class Status(models.TextChoices):
        CREATED = "created"
        ISSUED = "issued"  # an ATM account or store code was given; waiting for the money
        AUTHORISED = "authorised"  # LINE Pay: the buyer approved; waiting for our Confirm
        PAID = "paid"
        FAILED = "failed"
        REFUNDED = "refunded"

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
