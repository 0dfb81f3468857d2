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
from fenrun.core.scopes import DEFAULT_SCOPES, Scope, clean_scopes

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


def validate_scopes(scopes) -> list[str]:
    """The scopes as stored, or ValidationError naming the first unknown one."""
    try:
        return clean_scopes(scopes)
    except ValueError as exc:
        raise ValidationError(
            _("“%(scope)s” is not a scope.") % {"scope": exc.args[0]}, code="unknown_scope"
        ) from None


def issue_integrator_token(name: str, scopes=DEFAULT_SCOPES):
    """Create an active token named ``name`` holding ``scopes``; return (token, plain key).

    The key is not kept. Without ``scopes`` it may push and read its own orders.
    """
    validate_integrator_name(name)
    plain, key_hash, prefix = new_key()
    token = IntegratorToken.objects.create(
        name=name, key_hash=key_hash, prefix=prefix, scopes=validate_scopes(scopes)
    )
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
        "An integrator key, issued once by `manage.py create_integrator_token <name> "
        "--scope ...` or the back office. Each operation that takes it names the scope it needs "
        "(`x-access` `integrator:<scope>`, and the scopes of this requirement)."
    )

    def __init__(self, scope: Scope | None = None):
        super().__init__()
        self.scope = scope

    def __call__(self, request):
        if "Authorization" in request.headers:
            result = super().__call__(request)
            if result is None:
                raise AuthenticationError()
            return result
        return None

    def authenticate(self, request, token):
        found = authenticate_integrator(token)
        if found is not None and self.scope is not None and not found.has_scope(self.scope):
            # The caller is known and may not do this: 403, naming what it lacks.
            raise ApiError(
                403,
                _("This integrator key does not have the scope “%(scope)s”.")
                % {"scope": self.scope},
                {"scope": [str(self.scope)]},
                code="scope_missing",
            )
        return found


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


def api_auth(session_auth, *, scope: Scope | None) -> list:
    """The auth list of every guarded operation, whichever router it is on: the bearer key is
    decided first (401 if bad, 403 if integrators may not call it or the key lacks ``scope``),
    then the session. Without a scope integrators may not call the operation at all."""
    return [IntegratorTokenAuth(scope) if scope else NoIntegratorKeys(), session_auth]


def is_integrator(auth) -> bool:
    return isinstance(auth, IntegratorToken)
