from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "fenrun.analytics"
    label = "analytics"
