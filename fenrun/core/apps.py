from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fenrun.core"
    label = "core"
