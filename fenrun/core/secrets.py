"""Secrets kept in the database encrypted (merchant keys entered in the back office).

Fernet (AES-128-CBC with an HMAC, from ``cryptography``) with a key from the environment,
``FENRUN_SECRETS_KEY`` (``Fernet.generate_key()``; several, comma-separated, newest first, to
rotate). A database dump alone then reveals no key. Without it a development machine (DEBUG, or
the development SECRET_KEY, as in tests) derives one from SECRET_KEY, so the demo works out of the box; production refuses to store a
secret until the key is set.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.translation import gettext as _

from fenrun.core.errors import DomainError


class SecretsKeyMissing(DomainError):
    code = "secrets_key_missing"


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.FENRUN_SECRETS_KEY.split(",") if k.strip()]
    if not keys:
        development = settings.DEBUG or settings.SECRET_KEY == getattr(
            settings, "DEVELOPMENT_SECRET_KEY", None
        )
        if not development:
            raise SecretsKeyMissing(
                _("Set FENRUN_SECRETS_KEY in the environment before entering keys here.")
            )
        derived = hashlib.sha256(("fenrun-secrets:" + settings.SECRET_KEY).encode()).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    return MultiFernet([Fernet(k.encode()) for k in keys])


def encrypt(plain: str) -> str:
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The plain secret, or "" when there is none or it cannot be read with the current keys."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, SecretsKeyMissing, ValueError):
        return ""
