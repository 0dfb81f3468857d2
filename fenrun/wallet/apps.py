from django.apps import AppConfig


class WalletConfig(AppConfig):
    name = "fenrun.wallet"
    label = "wallet"
