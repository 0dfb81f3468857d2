from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "fenrun.shop"
    label = "shop"

    def ready(self):
        # The apps are wired together in this one place, after every app is loaded.
        from fenrun import wiring

        wiring.register_subscribers()
        # Every process may send a job (seeding the demo does, before any worker has run), so
        # the embedded broker's folders must exist before the first message, not only in the
        # worker.
        from config.celery import ensure_broker_folders

        ensure_broker_folders()
