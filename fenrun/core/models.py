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
