"""The job system: one Celery app for the web process, the worker and the scheduler (beat).

Settings are the CELERY_* names in config/settings.py; tasks live in each app's ``tasks``
module and are found by autodiscovery.
"""

import logging
import os
import time
from pathlib import Path

from celery import Celery
from celery.signals import import_modules, task_postrun, task_prerun

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


# One log line per job, like the request log: name, id, outcome, time, and the order it is about.
_started: dict[str, float] = {}
_task_log = logging.getLogger("fenrun.task")


@task_prerun.connect
def _task_started(task_id=None, **kwargs):
    _started[task_id] = time.monotonic()


@task_postrun.connect
def _task_finished(task_id=None, task=None, args=None, kwargs=None, state=None, **extra):
    started = _started.pop(task_id, None)
    fields = {
        "task": getattr(task, "name", None),
        "task_id": task_id,
        "state": state,
        "duration_ms": round((time.monotonic() - started) * 1000, 1) if started else None,
    }
    for key in ("order_id", "order_number", "delivery_id"):
        if kwargs and key in kwargs:
            fields[key] = kwargs[key]
    level = logging.ERROR if state == "FAILURE" else logging.INFO
    _task_log.log(level, "%(task)s %(state)s", fields, extra=fields)
