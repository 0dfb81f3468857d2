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
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table was created while the model lived in orders; it keeps its name and rows.
        db_table = "orders_integratortoken"
        verbose_name = _("integrator token")
        verbose_name_plural = _("integrator tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
