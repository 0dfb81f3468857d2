from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fenrun.accounts"
    label = "accounts"
