from django.db import models
from django.utils.translation import gettext_lazy as _

from fenrun.core.permissions import DESCRIPTIONS


class StaffCapability(models.Model):
    """No table: the holder of the staff capabilities' permissions (``core.<codename>``)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [(cap.codename, str(text)) for cap, text in DESCRIPTIONS.items()]
        verbose_name = _("staff capability")
        verbose_name_plural = _("staff capabilities")

    def __str__(self):
        return str(self._meta.verbose_name)


class IntegratorToken(models.Model):
    """An API token for a POS or another shop that pushes orders to fenrun."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    # A list of ``fenrun.core.scopes.Scope`` values; written through ``clean_scopes`` only.
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table was created while the model lived in orders; it keeps its name and rows.
        db_table = "orders_integratortoken"
        verbose_name = _("integrator token")
        verbose_name_plural = _("integrator tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def has_scope(self, scope) -> bool:
        return str(scope) in (self.scopes or ())


class ShareSettings(models.Model):
    """The shop's share card: the cover shown when a link to the shop is pasted in LINE or
    Facebook (``fenrun.core.sharing``). One row; without a cover a picture with the shop's
    name is generated. In core because the shop pages, the share links and the back office
    all read it and none of those apps sits below the others."""

    SINGLETON_PK = 1

    cover_image = models.ImageField(
        _("cover image"),
        upload_to="share/",
        blank=True,
        help_text=_(
            "Shown when a link to the shop or to a product without photos is shared. "
            "Best at 1200 × 630 pixels. Empty: a picture with the shop's name."
        ),
    )
    description = models.CharField(
        _("share description"),
        max_length=200,
        blank=True,
        help_text=_("The line under the shop's name in a shared link's preview."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("share card")
        verbose_name_plural = _("share card")

    def __str__(self):
        return str(self._meta.verbose_name)

    def save(self, *args, **kwargs):
        from fenrun.core.sharing import forget_shop_card

        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)
        forget_shop_card()


class DoneOnce(models.Model):
    """A side effect that must happen once (an e-mail, a push) recorded under a unique key.

    A job claims the key before acting; a second run, a redelivered message or a second worker
    finds the key taken and does nothing. The database's unique key decides, not the job.
    """

    key = models.CharField(max_length=120, unique=True)
    done_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "done once"

    def __str__(self):
        return self.key


class IdempotencyKey(models.Model):
    """The stored answer to an API write sent with an ``Idempotency-Key`` header.

    ``caller`` is who sent it (``member:<user id>`` or ``integrator:<token id>``): a key is one
    caller's, never a way to read another's answer. The row is written in the transaction of
    the work it answers, so it exists exactly when the work was done; the unique key is what
    makes a concurrent duplicate wait for it. Rows older than 24 hours are deleted by
    ``fenrun.core.tasks.forget_idempotency_keys``.
    """

    caller = models.CharField(max_length=40)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "idempotency key"
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_key_per_caller")
        ]

    def __str__(self):
        return f"{self.caller} {self.key}"
