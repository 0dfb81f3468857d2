"""Who is calling the API: a logged-in member (session) or an integrator (bearer token).

Integrator keys are shown once when issued and stored only as a SHA-256 hash, so a leaked
database does not leak working keys. The 8-character prefix is kept in clear to tell keys apart
in the back office.
"""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from fenrun.core.api_errors import ApiError
from fenrun.core.models import IntegratorToken

KEY_PREFIX = "fr_"
# Order sources written by the shop itself (checkout pages, member API, demo data, back office).
RESERVED_SOURCES = {"web", "api", "demo", "admin", "shop"}
# Writing last_used_at on every call would turn each read into a write; once a minute is enough
# to tell a live integration from a dead one.
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_key(plain_key: str) -> str:
    return hashlib.sha256(plain_key.encode()).hexdigest()


def new_key() -> tuple[str, str, str]:
    """A fresh key: (plain key, its hash, its display prefix)."""
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    return plain, hash_key(plain), plain[:8]


def validate_integrator_name(name: str) -> None:
    """An integrator's name becomes its orders' source: it must not pose as the shop's own."""
    if not name or not name.strip():
        raise ValidationError(_("Enter a name."), code="required")
    if name.strip().lower() in RESERVED_SOURCES:
        raise ValidationError(
            _("“%(name)s” is used by the shop itself; choose another name.") % {"name": name},
            code="reserved",
        )


def issue_integrator_token(name: str):
    """Create an active token named ``name``; return (token, plain key). The key is not kept."""
    validate_integrator_name(name)
    plain, key_hash, prefix = new_key()
    token = IntegratorToken.objects.create(name=name, key_hash=key_hash, prefix=prefix)
    return token, plain


def authenticate_integrator(plain_key: str):
    """The active token whose key this is, or None."""
    if not plain_key:
        return None
    token = IntegratorToken.objects.filter(key_hash=hash_key(plain_key), is_active=True).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        IntegratorToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


class IntegratorTokenAuth(HttpBearer):
    """``Authorization: Bearer <key>``.

    Without the header this steps aside (returns None) so that session auth can be tried;
    with a header that does not hold a valid key it answers 401 at once, whatever else the
    request carries: a broken integration should fail loudly, not fall back to a cookie.
    """

    openapi_description = (
        "An integrator key, issued once by `manage.py create_integrator_token <name>` "
        "or the back office."
    )

    def __call__(self, request):
        if "Authorization" in request.headers:
            result = super().__call__(request)
            if result is None:
                raise AuthenticationError()
            return result
        return None

    def authenticate(self, request, token):
        return authenticate_integrator(token)


class NoIntegratorKeys:
    """First on an operation integrators may not call. A key is still checked as everywhere
    (a bad one is 401 even beside a session); a good one is 403: the caller is known, and may
    not do this. Not an ``AuthBase``, so the OpenAPI document does not offer the key there."""

    _keys = IntegratorTokenAuth()

    def __call__(self, request):
        if self._keys(request) is not None:
            raise ApiError(
                403,
                _("An integrator key may not call this operation."),
                code="integrator_not_allowed",
            )
        return None


class MemberSessionAuth(SessionAuth):
    """Django's session login; CSRF is checked only once there is a logged-in user.

    Ninja's SessionAuth checks CSRF before it knows whether anybody is logged in, which would
    answer 403 to an anonymous or token-only POST instead of trying the next method or 401.
    A logged-in write without the token is 403 ``csrf_failed`` in the API's error shape.
    """

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise ApiError(
                403,
                _(
                    "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header."
                ),
                code="csrf_failed",
            )
        return user


def api_auth(session_auth, *, integrators: bool) -> list:
    """The auth list of every guarded operation, whichever router it is on: the bearer key is
    decided first (401 if bad, 403 if integrators may not call it), then the session."""
    return [IntegratorTokenAuth() if integrators else NoIntegratorKeys(), session_auth]


def is_integrator(auth) -> bool:
    return isinstance(auth, IntegratorToken)
