"""``Idempotency-Key`` on every write of the API, for members and integrators alike.

A client that may retry a POST, PUT, PATCH or DELETE (a timeout, a POS that lost its network)
sends a key of its own choosing with it. For one caller and one key:

- the first request runs, and its answer (status and body) is stored with the key in the same
  transaction as the work;
- the same request again gets the stored answer, with ``Idempotent-Replayed: true``, and nothing
  runs twice;
- another request (method, path, query or body differ) with that key is 422
  ``idempotency_key_reused``;
- a request that failed (any answer outside 2xx) is rolled back with its key, so the client may
  fix it and send it again with the same key;
- the same key arriving while the first is still running waits for it: the second insert of the
  key blocks on the unique index until the first commits, then finds its answer and replays it
  (or, if the first failed, runs). No "in progress" error to handle: the second caller gets what
  the first got.

Keys last 24 hours (``TTL``); a task deletes older ones. The key is checked after
authentication and input validation: a request refused there (401, 403, 422 on the body)
touches no key. ``make_idempotent`` wraps an operation; ``fenrun.api`` applies it to every
write of every router.
"""

import hashlib
import json
import re
from datetime import timedelta
from functools import wraps

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from fenrun.core.api_errors import ApiError
from fenrun.core.auth import is_integrator
from fenrun.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_LENGTH = 100
KEY_PATTERN = re.compile(rf"[ -~]{{1,{MAX_LENGTH}}}")  # printable ASCII
TTL = timedelta(hours=24)


def caller_of(auth) -> str | None:
    """Whose keys these are: an integrator key's or a logged-in user's; None for nobody."""
    if auth is None:
        return None
    if is_integrator(auth):
        return f"integrator:{auth.pk}"
    if getattr(auth, "is_authenticated", False):
        return f"member:{auth.pk}"
    return None


def read_key(request) -> str | None:
    """The request's key, None without one; 422 ``invalid_idempotency_key`` if malformed."""
    key = (request.headers.get(HEADER) or "").strip()
    if not key:
        return None
    if not KEY_PATTERN.fullmatch(key):
        raise ApiError(
            422,
            _("Invalid Idempotency-Key."),
            {HEADER: [_("Use 1 to 100 printable ASCII characters.")]},
            code="invalid_idempotency_key",
        )
    return key


def fingerprint(request) -> str:
    """What makes two requests "the same": method, path, query and body (JSON compared by
    value, so a client that re-serialises its body in another key order is not refused)."""
    body = request.body or b""
    try:
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        pass
    digest = hashlib.sha256()
    for part in (
        request.method.encode(),
        request.path.encode(),
        request.META.get("QUERY_STRING", "").encode(),
        body,
    ):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _stored(caller: str, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(
        caller=caller, key=key, created_at__gte=timezone.now() - TTL
    ).first()


def _replay(record: IdempotencyKey, request_fingerprint: str) -> HttpResponse:
    if record.fingerprint != request_fingerprint:
        raise ApiError(
            422,
            _("This Idempotency-Key was used for a different request."),
            {HEADER: [_("Use a new key for a new request.")]},
            code="idempotency_key_reused",
        )
    response = HttpResponse(
        record.body, status=record.status_code, content_type=record.content_type
    )
    response[REPLAYED_HEADER] = "true"
    return response


def run_once(request, caller: str, key: str, respond) -> HttpResponse:
    """``respond()`` (the operation, answered as an HttpResponse) at most once per key."""
    request_fingerprint = fingerprint(request)
    earlier = _stored(caller, key)
    if earlier is not None:
        return _replay(earlier, request_fingerprint)
    # An expired row not yet cleaned up must not block the key's reuse.
    IdempotencyKey.objects.filter(
        caller=caller, key=key, created_at__lt=timezone.now() - TTL
    ).delete()
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(
                caller=caller,
                key=key,
                fingerprint=request_fingerprint,
                status_code=0,
                content_type="",
            )
            response = respond()
            if not 200 <= response.status_code < 300:
                # A failure leaves nothing behind, its key included: the client may retry it.
                transaction.set_rollback(True)
                return response
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "application/json")
            record.body = response.content.decode(response.charset or "utf-8")
            record.save(update_fields=["status_code", "content_type", "body"])
            return response
    except IntegrityError:
        # Either the same key committed meanwhile (we waited on its unique index), or the
        # work itself broke a constraint: only the first is ours to answer.
        earlier = _stored(caller, key)
        if earlier is None:
            raise
        return _replay(earlier, request_fingerprint)


def make_idempotent(operation) -> None:
    """Wrap a Ninja operation's function so that its writes honour ``Idempotency-Key``.

    The wrapper runs where the function did, after authentication and validation; it answers
    with the operation's own serialised response, so the stored body is exactly what was sent.
    """
    view = operation.view_func
    if getattr(view, "_idempotent", False):
        return

    @wraps(view)
    def idempotent(request, **values):
        caller = caller_of(getattr(request, "auth", None))
        key = read_key(request) if request.method in WRITES and caller else None
        if key is None:
            return view(request, **values)

        def respond():
            result = view(request, **values)
            temporal = operation.api.create_temporal_response(request)
            return operation._result_to_response(request, result, temporal)

        return run_once(request, caller, key, respond)

    idempotent._idempotent = True
    operation.view_func = idempotent


def forget_expired(*, now=None) -> int:
    """Delete the keys older than ``TTL``; return how many."""
    cutoff = (now or timezone.now()) - TTL
    deleted, _per_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
