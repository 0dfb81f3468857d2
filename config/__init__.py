# The Celery app is loaded with Django so that ``task.delay`` in the web process uses its settings.
from config.celery import app as celery_app

__all__ = ["celery_app"]
