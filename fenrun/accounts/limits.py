"""Limits on failed log-ins and password-reset requests, counted in the shared cache.

The numbers come from the setting FENRUN_LOGIN_LIMITS. Counters live in Django's cache (Redis in
production, so every worker sees the same counts) with a fixed window that starts at the first
counted attempt. Keys are keyed hashes: the cache never holds an e-mail or client address in clear.

Log-ins: a client address may fail ``failures_per_account`` times for one account and
``failures_per_ip`` times in all within ``window_seconds``; after that the password is not even
checked. A successful log-in clears that account's counter for that address only, so an attacker
cannot reset the address-wide counter by logging in to an account of their own.

Registration: ``attempts_per_ip`` registration forms posted from one client address within
``window_seconds`` of the setting FENRUN_REGISTRATION_LIMITS, whatever their outcome (a script
that tries e-mail addresses or referral codes fails as often as it succeeds).

Other apps count with ``hit`` / ``hits`` (referrals counts wrong referral codes with them), so
every limit shares one counter scheme.

Password resets: ``resets_per_email`` requests for one address and ``resets_per_ip`` from one
client address within ``reset_window_seconds``. Counting does not depend on whether the address
belongs to an account, so the limit reveals nothing about who is registered.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from fenrun.core.clients import client_ip

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    window_seconds: int
    failures_per_account: int
    failures_per_ip: int
    reset_window_seconds: int
    resets_per_email: int
    resets_per_ip: int


def current_limits() -> Limits:
    return Limits(**settings.FENRUN_LOGIN_LIMITS)


def normalize_email(value) -> str:
    # The login form lower-cases; the back office's form does not. Count both as one account.
    return str(value or "").strip().lower()


def _key(kind: str, *parts: str) -> str:
    digest = salted_hmac("fenrun.accounts.limits", "\x00".join(parts)).hexdigest()
    return f"accounts:{kind}:{digest}"


def hit(kind: str, *parts: str, window: int) -> None:
    """Count one event of ``kind`` for ``parts`` (e.g. a client address) in a fixed window."""
    _count(_key(kind, *parts), window)


def hits(kind: str, *parts: str) -> int:
    """How many events of ``kind`` were counted for ``parts`` in the current window."""
    return cache.get(_key(kind, *parts)) or 0


def _count(key: str, window: int) -> None:
    if cache.add(key, 1, window):
        return
    try:
        cache.incr(key)
    except ValueError:
        # The window ended between add() and incr(): this attempt opens a new one.
        cache.set(key, 1, window)


def _login_keys(request, email: str) -> tuple[str, str]:
    ip = client_ip(request)
    return _key("login-account", normalize_email(email), ip), _key("login-ip", ip)


def login_blocked(request, email) -> bool:
    limits = current_limits()
    account_key, ip_key = _login_keys(request, email)
    counts = cache.get_many([account_key, ip_key])
    blocked = (
        counts.get(account_key, 0) >= limits.failures_per_account
        or counts.get(ip_key, 0) >= limits.failures_per_ip
    )
    if blocked:
        logger.warning("log-in refused: too many failures from %s", client_ip(request))
    return blocked


def record_login_failure(request, email) -> None:
    window = current_limits().window_seconds
    for key in _login_keys(request, email):
        _count(key, window)


def clear_login_failures(request, email) -> None:
    account_key, _ip_key = _login_keys(request, email)
    cache.delete(account_key)


def allow_reset_request(request, email) -> bool:
    """Count a password-reset request, or answer False (and count nothing) when over the limit."""
    limits = current_limits()
    ip = client_ip(request)
    email_key = _key("reset-email", normalize_email(email))
    ip_key = _key("reset-ip", ip)
    counts = cache.get_many([email_key, ip_key])
    if (
        counts.get(email_key, 0) >= limits.resets_per_email
        or counts.get(ip_key, 0) >= limits.resets_per_ip
    ):
        logger.warning("password reset refused: too many requests from %s", ip)
        return False
    _count(email_key, limits.reset_window_seconds)
    _count(ip_key, limits.reset_window_seconds)
    return True


@dataclass(frozen=True)
class RegistrationLimits:
    window_seconds: int
    attempts_per_ip: int
    notices_per_email: int = 3  # "you already have an account" e-mails to one address


def registration_limits() -> RegistrationLimits:
    return RegistrationLimits(**settings.FENRUN_REGISTRATION_LIMITS)


def allow_registration_attempt(request) -> bool:
    """Count a posted registration form, or answer False (and count nothing) when over the limit."""
    limits = registration_limits()
    ip = client_ip(request)
    if hits("register-ip", ip) >= limits.attempts_per_ip:
        logger.warning("registration refused: too many attempts from %s", ip)
        return False
    hit("register-ip", ip, window=limits.window_seconds)
    return True


def allow_registration_notice(email) -> bool:
    """May the owner of ``email`` be told (again) that someone tried to register it?"""
    limits = registration_limits()
    if hits("register-notice", normalize_email(email)) >= limits.notices_per_email:
        return False
    hit("register-notice", normalize_email(email), window=limits.window_seconds)
    return True
