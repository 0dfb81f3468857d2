"""Telling staff that a nightly check failed.

A check that fails every night for the same reason mails once a day, not once per run: the
subject and body are remembered in the cache for a day, so two workers that run the same check
at once also send one mail between them (where the cache is shared, as Redis is in production).
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail

logger = logging.getLogger(__name__)
REPEAT_AFTER_SECONDS = 24 * 60 * 60


def recipients() -> list[str]:
    return [a.strip() for a in settings.FENRUN_ALERT_EMAIL.split(",") if a.strip()]


def alert_staff(subject: str, lines: list[str]) -> bool:
    """Log the problem and mail it to the alert addresses; return whether a mail went out."""
    body = "\n".join(lines)
    logger.error("%s\n%s", subject, body)
    to = recipients()
    if not to:
        return False
    digest = hashlib.sha256(f"{subject}\n{body}".encode()).hexdigest()
    if not cache.add(f"alerts:{digest}", 1, REPEAT_AFTER_SECONDS):
        return False
    prefixed = f"[{settings.FENRUN_SHOP_NAME}] {subject}"
    send_mail(prefixed, body, settings.DEFAULT_FROM_EMAIL, to)
    return True
