from django.apps import AppConfig


class CommissionsConfig(AppConfig):
    name = "fenrun.commissions"
    label = "commissions"
