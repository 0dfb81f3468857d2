"""Uniform 4xx answers for the API: {"detail": message, "errors": {field: [reasons]}}."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError


class ApiError(Exception):
    def __init__(self, status: int, detail: str, errors: dict | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or {}


def install_error_handlers(api) -> None:
    def respond(request, status, detail, errors=None):
        body = {"detail": str(detail)}
        if errors:
            body["errors"] = errors
        return api.create_response(request, body, status=status)

    @api.exception_handler(ApiError)
    def _api_error(request, exc):
        return respond(request, exc.status, exc.detail, exc.errors)

    @api.exception_handler(NinjaValidationError)
    def _invalid(request, exc):
        errors: dict[str, list[str]] = {}
        for err in exc.errors:
            loc = [
                str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")
            ]
            errors.setdefault(".".join(loc) or "__all__", []).append(err.get("msg", "invalid"))
        return respond(request, 422, "Invalid input.", errors)

    @api.exception_handler(ValidationError)
    def _django_invalid(request, exc):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return respond(request, 422, "Invalid input.", errors)

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return respond(request, 404, "Not found.")

    @api.exception_handler(PermissionDenied)
    def _forbidden(request, exc):
        return respond(request, 403, str(exc) or "Forbidden.")

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return respond(request, 401, "Authentication required.")

    @api.exception_handler(HttpError)
    def _http_error(request, exc):
        return respond(request, exc.status_code, str(exc))
