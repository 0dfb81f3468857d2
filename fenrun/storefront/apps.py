from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "fenrun.storefront"
    label = "storefront"
