"""The one invoice interface: issue, void, allowance (and its void), query.

A provider module implements ``InvoiceProvider`` for one company's API; the services never
see a provider's field names. Every call appends what it sent and got to ``exchanges`` (for the
attempt log), and a refusal or a failure to reach the provider raises ``ProviderError``.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from fenrun.invoices.rules import Choice


@dataclass(frozen=True)
class Line:
    name: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    unit: str = "件"


@dataclass(frozen=True)
class Buyer:
    name: str
    email: str
    phone: str
    address: str


@dataclass(frozen=True)
class IssueRequest:
    relate_number: str
    amount: Decimal
    lines: tuple[Line, ...]
    choice: Choice
    buyer: Buyer


@dataclass(frozen=True)
class Issued:
    number: str
    random_code: str
    issued_at: datetime
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AllowanceRequest:
    invoice_number: str
    invoice_date: date
    amount: Decimal
    lines: tuple[Line, ...]
    buyer: Buyer


@dataclass(frozen=True)
class AllowanceIssued:
    number: str
    issued_at: datetime
    remaining: Decimal | None
    raw: dict = field(default_factory=dict)


class ProviderError(Exception):
    """The provider refused the call (``code`` is its answer code) or could not be reached."""

    def __init__(self, message: str, *, code: str = "", raw: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.raw = raw or {}


class InvoiceProvider(Protocol):
    code: str
    exchanges: list[dict]

    def issue(self, request: IssueRequest) -> Issued: ...

    def find(self, relate_number: str) -> Issued | None:
        """The invoice issued under ``relate_number``, or None when there is none."""

    def void(self, number: str, issued_on: date, reason: str) -> dict: ...

    def allowance(self, request: AllowanceRequest) -> AllowanceIssued: ...

    def void_allowance(self, invoice_number: str, allowance_number: str, reason: str) -> dict: ...
