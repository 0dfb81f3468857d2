"""Doing a side effect once, however often the job that does it runs (see DoneOnce)."""

from django.db import IntegrityError, transaction

from fenrun.core.models import DoneOnce


def claim(key: str) -> bool:
    """Take ``key``; False when it was already taken (the effect happened or is happening)."""
    try:
        with transaction.atomic():
            DoneOnce.objects.create(key=key[:120])
        return True
    except IntegrityError:
        return False


def release(key: str) -> None:
    """Give ``key`` back after the effect failed, so that a retry may try again."""
    DoneOnce.objects.filter(key=key[:120]).delete()
