"""/healthz: can this instance serve? The database, the cache and the job broker, each checked.

Answers 200 when all three answer, 503 naming the ones that do not (never their error text: the
endpoint needs no login, and connection errors can carry host names). Load balancers and
monitors poll it; it is exempt from the HTTPS redirect so a plain-HTTP probe inside the network
gets a real answer.
"""

import logging
import time

from celery import current_app
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)
BROKER_TIMEOUT_SECONDS = 2


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = "healthz:probe"
    token = str(time.monotonic_ns())
    cache.set(key, token, 30)
    if cache.get(key) != token:
        raise RuntimeError("the cache did not return what was stored")


def check_broker() -> None:
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


def run_checks() -> dict[str, str]:
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception:
            logger.exception("health check %s failed", name)
            results[name] = "down"
    return results


@never_cache
@require_GET
def healthz(request):
    results = run_checks()
    healthy = all(v == "ok" for v in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "down", "checks": results}, status=200 if healthy else 503
    )
