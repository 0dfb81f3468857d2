"""The job system: one Celery app for the web process, the worker and the scheduler (beat).

Settings are the CELERY_* names in config/settings.py; tasks live in each app's ``tasks``
module and are found by autodiscovery.
"""

import os
from pathlib import Path

from celery import Celery
from celery.signals import import_modules

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("fenrun")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_folders() -> None:
    """Kombu's file-system transport expects its folders to exist; create them on first use."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@import_modules.connect
def _before_worker_or_beat(**kwargs):
    ensure_broker_folders()
