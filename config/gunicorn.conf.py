"""gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Sync workers: every request's work is database-bound and short (slow work is a Celery job), so
a worker per core plus one, as gunicorn's documentation suggests, keeps the cores busy without
a thread model to reason about. Environment variables override each value.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "sync"
# A request still running after this many seconds is killed (and logged); checkout and reports
# answer in well under a second.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak in any library never grows unbounded.
max_requests = 2000
max_requests_jitter = 200
# The app logs each request itself as JSON (fenrun/core/request_log.py); gunicorn's own access
# log would repeat it in another format.
accesslog = None
errorlog = "-"
# Behind nginx, which sets X-Forwarded-For and X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
