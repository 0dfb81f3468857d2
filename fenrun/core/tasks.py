"""Background work of the core app."""

from celery import shared_task

from fenrun.core.idempotency import forget_expired


@shared_task
def forget_idempotency_keys() -> int:
    """Delete the API's Idempotency-Key answers older than 24 hours (safe to run twice)."""
    return forget_expired()
