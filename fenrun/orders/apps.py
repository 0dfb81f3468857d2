from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "fenrun.orders"
    label = "orders"
