from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fenrun.core"
    label = "core"

    def ready(self):
        # Every domain-event subscriber is registered in this one place.
        from fenrun import wiring

        wiring.register_subscribers()
