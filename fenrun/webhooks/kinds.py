"""The events an integrator can subscribe to, by their public names."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    ORDER_PLACED = "order.placed", _("Order placed")
    ORDER_PAID = "order.paid", _("Order paid")
    ORDER_SHIPPED = "order.shipped", _("Order shipped")
    ORDER_COMPLETED = "order.completed", _("Order completed")
    ORDER_REFUNDED = "order.refunded", _("Order refunded")
    COMMISSION_CREATED = "commission.created", _("Commission created")
    COMMISSION_RELEASED = "commission.released", _("Commission released")
    COMMISSION_REVERSED = "commission.reversed", _("Commission reversed")
    WITHDRAWAL_PAID = "withdrawal.paid", _("Withdrawal paid")
    MEMBER_JOINED = "member.joined", _("Member joined")
