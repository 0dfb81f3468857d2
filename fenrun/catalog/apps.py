from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "fenrun.catalog"
    label = "catalog"
