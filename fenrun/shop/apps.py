from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "fenrun.shop"
    label = "shop"

    def ready(self):
        # The apps are wired together in this one place, after every app is loaded.
        from fenrun import wiring

        wiring.register_subscribers()
