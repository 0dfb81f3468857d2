"""Idempotency-Key support for the wallet API: a retried request gets the first answer.

The key's record is inserted first, in the same transaction as the work: a concurrent retry
waits on the unique index, then finds the committed answer and replays it. A failed request
rolls its record back with everything else, so it may be retried with the same key.
"""

import hashlib

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fenrun.core.api_errors import ApiError
from fenrun.wallet.models import IdempotencyRecord

HEADER = "Idempotency-Key"


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(request.body or b"")
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str):
    if record.fingerprint != fingerprint:
        raise ApiError(
            422,
            _("This Idempotency-Key was used for a different request."),
            {HEADER: [_("Use a new key for a new request.")]},
            code="idempotency_key_reused",
        )
    return record.status_code, record.body


def run(request, work):
    """Call ``work() -> (status, json-able body)`` at most once per (user, Idempotency-Key)."""
    key = (request.headers.get(HEADER) or "").strip()
    if not key:
        return work()
    if len(key) > 100:
        raise ApiError(
            422,
            _("Invalid Idempotency-Key."),
            {HEADER: [_("At most 100 characters.")]},
            code="invalid_idempotency_key",
        )
    fingerprint = _fingerprint(request)
    user = request.auth
    found = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if found is not None:
        return _replay(found, fingerprint)
    try:
        with transaction.atomic():
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, key=key, fingerprint=fingerprint
                )
            status, body = work()
            record.status_code = status
            record.body = body
            record.save(update_fields=["status_code", "body"])
    except IntegrityError:
        found = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if found is None or not found.status_code:
            raise
        return _replay(found, fingerprint)
    return status, body
