"""Recording, sending and replaying webhook deliveries.

An event becomes one Delivery row per endpoint that wants it, written in the transaction of the
change that caused it (an order that rolls back sends nothing; one that commits cannot lose its
webhook). Sending happens in the worker, outside any transaction: a delivery is claimed for a
short while, posted with tight time limits, and the result recorded. Retries are picked up by a
sweep every minute (``tasks.send_due_webhooks``), so a lost message only delays a delivery.
"""

import functools
import json
import logging
import ssl
import time
from datetime import timedelta

import httpx
from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fenrun.webhooks import retries
from fenrun.webhooks.models import Attempt, Delivery, Endpoint
from fenrun.webhooks.signing import SIGNATURE_HEADER, header_value

logger = logging.getLogger(__name__)
USER_AGENT = "fenrun-webhooks/1"
# A worker holds a delivery this long while sending it; longer than any send can take.
CLAIM_FOR = timedelta(minutes=2)
RESPONSE_EXCERPT = 500
SUBSCRIPTIONS_CACHE_KEY = "webhooks:subscriptions"
SUBSCRIPTIONS_CACHE_SECONDS = 10


def limits() -> dict:
    return settings.FENRUN_WEBHOOKS


def _subscriptions() -> list[tuple[int, list[str]]]:
    """(endpoint id, its events) of the active endpoints, cached briefly.

    Events are published per commission in a settlement of thousands: without the cache each
    would cost a query even in a shop with no webhooks. Saving an endpoint clears the cache; in
    a set-up without a shared cache another process sees the change within the timeout.
    """
    cached = cache.get(SUBSCRIPTIONS_CACHE_KEY)
    if cached is None:
        cached = [
            (pk, list(events or []))
            for pk, events in Endpoint.objects.filter(is_active=True).values_list("pk", "events")
        ]
        cache.set(SUBSCRIPTIONS_CACHE_KEY, cached, SUBSCRIPTIONS_CACHE_SECONDS)
    return cached


def forget_subscriptions() -> None:
    cache.delete(SUBSCRIPTIONS_CACHE_KEY)


def endpoints_for(kind: str) -> list[Endpoint]:
    ids = [pk for pk, events in _subscriptions() if kind in events]
    if not ids:
        return []
    return list(Endpoint.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def record(kind: str, data: dict, *, endpoints: list[Endpoint] | None = None) -> list[Delivery]:
    """Write a delivery of ``kind`` for each endpoint that wants it; send once committed."""
    endpoints = endpoints_for(kind) if endpoints is None else endpoints
    if not endpoints:
        return []
    now = timezone.now()
    deliveries = []
    for endpoint in endpoints:
        delivery = Delivery(endpoint=endpoint, kind=kind, next_attempt_at=now)
        delivery.payload = {
            "id": str(delivery.event_id),
            "type": kind,
            "created_at": now.isoformat(),
            "data": json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
        }
        deliveries.append(delivery)
    Delivery.objects.bulk_create(deliveries)
    from fenrun.webhooks.tasks import send_webhook

    for delivery in deliveries:
        send_webhook.delay_on_commit(delivery.pk)
    return deliveries


def body_of(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()


def _claim(delivery_id: int, now, *, replay: bool) -> bool:
    due = Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    query = Delivery.objects.filter(free, pk=delivery_id)
    if not replay:
        query = query.filter(due)
    return query.update(claimed_until=now + CLAIM_FOR) == 1


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default certificate checks (certifi's bundle, host names checked), built once
    per process. Building them loads the whole CA bundle, some 40 ms of CPU: paid for every
    delivery, it was most of the worker's time on a live stream's burst of webhooks
    (docs/benchmarks/live-spike.md)."""
    return httpx.create_ssl_context()


def _post(delivery: Delivery, body: bytes) -> tuple[int | None, str, str, int]:
    """(status code, response excerpt, error, milliseconds); never raises."""
    config = limits()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Fenrun-Event": delivery.kind,
        "X-Fenrun-Delivery": str(delivery.event_id),
        SIGNATURE_HEADER: header_value(delivery.endpoint.secret, timestamp, body),
    }
    timeout = httpx.Timeout(config["timeout_seconds"], connect=config["connect_timeout_seconds"])
    started = time.monotonic()
    deadline = started + config["timeout_seconds"]
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, verify=_tls_context()) as client:
            with client.stream("POST", delivery.endpoint.url, content=body, headers=headers) as r:
                # Read only the start of the answer, and stop at the deadline: an endpoint that
                # trickles an endless body cannot hold the worker.
                excerpt = b""
                for chunk in r.iter_bytes():
                    excerpt += chunk
                    if len(excerpt) >= RESPONSE_EXCERPT or time.monotonic() > deadline:
                        break
                status = r.status_code
        error = ""
    except httpx.HTTPError as exc:
        status, excerpt, error = None, b"", f"{type(exc).__name__}: {exc}"[:300]
    elapsed = int((time.monotonic() - started) * 1000)
    return status, excerpt[:RESPONSE_EXCERPT].decode("utf-8", "replace"), error, elapsed


def send(delivery_id: int, *, replay: bool = False) -> str | None:
    """Try one delivery now if it is due (or replayed) and nobody else holds it.

    Returns the delivery's status afterwards, or None when there was nothing to do. Running it
    twice at once sends once: the claim is a single conditional UPDATE.
    """
    now = timezone.now()
    if not _claim(delivery_id, now, replay=replay):
        return None
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    status, excerpt, error, elapsed = _post(delivery, body_of(delivery))
    ok = status is not None and 200 <= status < 300
    finished = timezone.now()
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            status_code=status,
            duration_ms=elapsed,
            error=error,
            response_excerpt=excerpt,
            replay=replay,
        )
        attempts = delivery.attempts + 1
        fields = {
            "attempts": attempts,
            "claimed_until": None,
            "last_status_code": status,
            "last_duration_ms": elapsed,
        }
        if ok:
            fields.update(status=Delivery.Status.SUCCEEDED, delivered_at=finished)
            fields["next_attempt_at"] = None
        elif replay and delivery.status != Delivery.Status.PENDING:
            # A replay that fails leaves a finished delivery as it was, apart from the log.
            fields.pop("attempts")
        else:
            upcoming = retries.next_attempt(delivery.created_at, attempts, finished)
            if upcoming is None:
                fields.update(status=Delivery.Status.FAILED, next_attempt_at=None)
            else:
                fields.update(status=Delivery.Status.PENDING, next_attempt_at=upcoming)
        Delivery.objects.filter(pk=delivery_id).update(**fields)
    if not ok:
        logger.warning(
            "webhook %s to %s failed: %s %s",
            delivery.kind,
            delivery.endpoint.url,
            status,
            error,
        )
    return fields.get("status", delivery.status)


def due_ids(now=None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    return list(
        Delivery.objects.filter(free, status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def replay(delivery_ids) -> int:
    """Staff send deliveries again now, whatever their status; the receiver sees the same event
    id (receivers deduplicate on it)."""
    from fenrun.webhooks.tasks import replay_webhook

    ids = list(Delivery.objects.filter(pk__in=list(delivery_ids)).values_list("pk", flat=True))
    for delivery_id in ids:
        replay_webhook.delay_on_commit(delivery_id)
    return len(ids)
