from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StandinsConfig(AppConfig):
    name = "fenrun.standins"
    verbose_name = _("Provider stand-ins (demo and tests)")
    default_auto_field = "django.db.models.BigAutoField"
