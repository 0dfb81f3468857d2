"""One error type for every rule the shop refuses, and one way to show it.

Services raise a ``DomainError`` (or an app's subclass: ``CheckoutError``, ``WalletError``...)
with a message for people, a machine-readable ``code``, optional field errors and the HTTP
status an API answers with. The API turns it into JSON in one handler
(``fenrun.core.api_errors``); pages put it on their form with ``add_to_form``. Nothing else
catches and re-words it.
"""

from __future__ import annotations

from http import HTTPStatus

NON_FIELD = "__all__"


class DomainError(Exception):
    """A request the shop's rules refuse.

    ``status`` says how an API answers: 422 for input that can never be right, 409 for a
    request that conflicts with the current state (already paid, not enough coins), 404 or 403
    where those fit. Subclasses set their own defaults; a raise can override each.
    """

    code: str = "invalid"
    status: int = HTTPStatus.UNPROCESSABLE_ENTITY

    def __init__(
        self,
        message,
        field: str = NON_FIELD,
        errors: dict[str, list[str]] | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
    ):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.errors: dict[str, list[str]] = (
            {k: [str(m) for m in v] for k, v in errors.items()}
            if errors is not None
            else {field: [self.message]}
        )
        if code is not None:
            self.code = code
        if status is not None:
            self.status = int(status)

    def as_json(self) -> dict:
        """The API's error body: ``{"detail", "code", "errors"}``."""
        return {"detail": self.message, "code": self.code, "errors": self.errors}


class ConflictError(DomainError):
    """The request is well-formed but the state it meets refuses it."""

    code = "conflict"
    status = HTTPStatus.CONFLICT


class NotFoundError(DomainError):
    code = "not_found"
    status = HTTPStatus.NOT_FOUND


def add_to_form(form, exc: DomainError) -> None:
    """Show ``exc`` on ``form``: each message on its field, or above the form if it has none."""
    for field, messages in exc.errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
