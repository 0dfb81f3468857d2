"""Uniform error answers for the API: {"detail": message, "code": code, "errors": {field: [...]}}.

Every refusal travels as a ``DomainError`` (see ``fenrun.core.errors``) or one of Django's and
Ninja's own exceptions; each has one handler here, so an operation never catches to re-word.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from fenrun.core.errors import DomainError


class ErrorOut(Schema):
    """The body of every 4xx answer."""

    detail: str
    code: str = "invalid"
    errors: dict[str, list[str]] = {}


def errors(*statuses: int) -> dict:
    """Response-map entries for the refusals an operation can give, all in the one ``ErrorOut``:
    ``response={200: ThingOut, **errors(401, 403, 404)}``."""
    return dict.fromkeys(statuses, ErrorOut)


class ApiError(DomainError):
    """An answer decided in the API layer itself (a bad header, an unknown slug)."""

    def __init__(self, status: int, detail: str, errors: dict | None = None, code: str = ""):
        super().__init__(
            detail,
            errors=errors or {},
            status=status,
            code=code or _CODES.get(status, "invalid"),
        )
        self.detail = self.message


_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict"}


MALFORMED = "malformed_body"
MALFORMED_RESPONSE = {
    "description": "The body is not JSON (`code` malformed_body).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
}


def document_malformed_bodies(schema: dict) -> dict:
    """Every operation that reads a body can answer 400 before any of its code runs."""
    for methods in schema["paths"].values():
        for operation in methods.values():
            if "requestBody" in operation:
                operation["responses"].setdefault(400, MALFORMED_RESPONSE)
    return schema


def not_found_body() -> dict:
    """An address under the API that names no operation."""
    return {"detail": _("Not found."), "code": "not_found"}


def not_allowed_body() -> dict:
    return {"detail": _("This address does not take this method."), "code": "method_not_allowed"}


def install_error_handlers(api) -> None:
    def respond(request, status, detail, errors=None, code=None):
        body = {"detail": str(detail), "code": code or _CODES.get(status, "invalid")}
        if errors:
            body["errors"] = errors
        return api.create_response(request, body, status=status)

    @api.exception_handler(DomainError)
    def _domain_error(request, exc):
        errors = {k: v for k, v in exc.errors.items() if v} if exc.errors else None
        return respond(request, exc.status, exc.message, errors, exc.code)

    @api.exception_handler(NinjaValidationError)
    def _invalid(request, exc):
        errors: dict[str, list[str]] = {}
        for err in exc.errors:
            loc = [
                str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")
            ]
            errors.setdefault(".".join(loc) or "__all__", []).append(err.get("msg", "invalid"))
        return respond(request, 422, _("Invalid input."), errors)

    @api.exception_handler(ValidationError)
    def _django_invalid(request, exc):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return respond(request, 422, _("Invalid input."), errors)

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return respond(request, 404, _("Not found."))

    @api.exception_handler(PermissionDenied)
    def _forbidden(request, exc):
        return respond(request, 403, str(exc) or _("You may not do this."))

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return respond(request, 401, _("Authentication required."))

    @api.exception_handler(HttpError)
    def _http_error(request, exc):
        cause = exc.__cause__
        if isinstance(cause, DomainError):
            # A parser that refuses a body by a rule of the shop: its answer, not Ninja's 400.
            return _domain_error(request, cause)
        if exc.status_code == 400 and cause is not None:
            # Ninja's only 400: the body's parser failed (it chains the parser's exception).
            return respond(request, 400, _("The request body is not valid JSON."), code=MALFORMED)
        return respond(request, exc.status_code, str(exc))
