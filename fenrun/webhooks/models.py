"""Webhook endpoints registered by staff, and every delivery to them with its attempts."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fenrun.webhooks.kinds import EventKind
from fenrun.webhooks.signing import new_secret


class Endpoint(models.Model):
    name = models.CharField(_("name"), max_length=60)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=80, default=new_secret)
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        from fenrun.webhooks.services import forget_subscriptions

        forget_subscriptions()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        from fenrun.webhooks.services import forget_subscriptions

        forget_subscriptions()
        return result

    def wants(self, kind: str) -> bool:
        return kind in (self.events or [])


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Given up")

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, editable=False)
    kind = models.CharField(_("event"), max_length=32, choices=EventKind.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # A worker sending this delivery holds it until then; another skips it meanwhile.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last response"), null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(_("last response time (ms)"), null=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhooks_due")]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhooks_event_once"),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(next_attempt_at__isnull=False),
                name="webhooks_pending_has_next_attempt",
            ),
        ]

    def __str__(self):
        return f"{self.kind} → {self.endpoint}"


class Attempt(models.Model):
    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    attempted_at = models.DateTimeField(_("sent"), auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(_("response"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("response time (ms)"))
    error = models.CharField(_("error"), max_length=300, blank=True)
    response_excerpt = models.CharField(_("response body (start)"), max_length=500, blank=True)
    replay = models.BooleanField(_("replayed by staff"), default=False)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["attempted_at", "pk"]

    def __str__(self):
        return f"{self.delivery_id} @ {self.attempted_at:%Y-%m-%d %H:%M:%S}"
