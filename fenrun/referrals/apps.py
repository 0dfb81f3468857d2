from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "fenrun.referrals"
    label = "referrals"
