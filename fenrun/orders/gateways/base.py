"""The one interface every payment provider implements, and what its answers look like.

A provider module (``ecpay``, ``linepay``, ``simulated``...) defines a ``Gateway`` subclass and
is listed in ``fenrun.orders.gateways.REGISTRY``; checkout, the callback views, the refund of an
order and the reconciliation job only ever talk to this interface. Adding NewebPay is a new
module and a registry entry.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from http import HTTPStatus

from fenrun.core.errors import DomainError
from fenrun.orders.models import Order, Payment


@dataclass(frozen=True)
class PaymentMethodOption:
    """One way to pay a provider offers (card, ATM virtual account...), as checkout lists it."""

    code: str
    label: str
    description: str = ""
    # ATM and convenience-store payments are paid later, off-line: the provider issues a number
    # and its own deadline, and there is nothing to give back through an API.
    deferred: bool = False
    refundable: bool = True


@dataclass(frozen=True)
class CallbackResult:
    """What a genuine provider message says about one payment.

    ``issued`` carries the instructions of a deferred payment (bank code and virtual account,
    store payment code) when the message only says where to pay; ``succeeded`` is then False
    and the payment stays open.
    """

    reference: str
    succeeded: bool
    amount: Decimal
    provider_reference: str = ""
    issued: dict = field(default_factory=dict)
    expires_at: datetime | None = None

    @property
    def is_issue(self) -> bool:
        return bool(self.issued)


@dataclass(frozen=True)
class Redirect:
    """Send the buyer's browser to ``url``."""

    url: str


@dataclass(frozen=True)
class FormPost:
    """Send the buyer's browser to ``url`` with a form post of ``fields`` (submitted by script)."""

    url: str
    fields: dict[str, str]


class CallbackError(DomainError):
    """A provider message that is not genuine or does not match its payment; answered with 400."""

    code = "callback_refused"
    status = HTTPStatus.BAD_REQUEST


class PaymentError(DomainError):
    """A payment that cannot be started for this order."""

    code = "payment_refused"
    status = HTTPStatus.CONFLICT


class RefundError(DomainError):
    """The provider did not (or cannot) give the money back; staff take over."""

    code = "refund_failed"
    status = HTTPStatus.BAD_GATEWAY


class ProviderUnavailable(DomainError):
    """The provider could not be reached or answered nonsense; try again later."""

    code = "provider_unavailable"
    status = HTTPStatus.BAD_GATEWAY


class Gateway:
    """What the shop asks of a payment provider.

    - ``start(order, method)`` opens a Payment row for the order's amount;
    - ``checkout_step(payment)`` says where the buyer goes to pay it (a redirect or a form post);
    - ``verify(payload, signature)`` checks a provider message and says what it means, raising
      CallbackError for anything not genuine (wrong signature, wrong merchant, malformed);
    - ``query(payment)`` asks the provider what became of a payment whose message never came
      (None when it cannot tell or the payment is still open);
    - ``refund(payment)`` gives ``payment.amount`` back and returns the provider's refund
      reference. It must be safe to call twice for one payment: a refund that went through at
      the provider but could not be recorded here is retried.
    """

    code = ""
    label = ""
    can_refund = False
    can_query = False
    # Whether "pay" again sends the buyer back to a payment still open (the same reference).
    # A provider that refuses a reference it has seen (ECPay's MerchantTradeNo) opens a new one.
    reuse_open_payment = True

    def methods(self) -> list[PaymentMethodOption]:
        return []

    def method(self, code: str) -> PaymentMethodOption | None:
        return next((m for m in self.methods() if m.code == code), None)

    def start(self, order: Order, method: str = "") -> Payment:
        raise NotImplementedError

    def checkout_step(self, payment: Payment) -> Redirect | FormPost:
        raise NotImplementedError

    def redirect_url(self, payment: Payment) -> str:
        step = self.checkout_step(payment)
        if not isinstance(step, Redirect):
            raise PaymentError("this provider takes a form post")
        return step.url

    def verify(self, payload: dict, signature: str = "") -> CallbackResult:
        raise NotImplementedError

    def query(self, payment: Payment) -> CallbackResult | None:
        return None

    def refund(self, payment: Payment) -> str:
        from fenrun.orders.payments import NOTE_NO_REFUND

        raise RefundError(NOTE_NO_REFUND)

    def refundable(self, payment: Payment) -> bool:
        """Whether this payment can be given back through the provider (card: yes; ATM: no)."""
        if not self.can_refund:
            return False
        option = self.method(payment.method) if payment.method else None
        return option is None or option.refundable
