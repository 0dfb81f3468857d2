"""LINE Pay (Online API v3) behind the shop's payment interface.

Request (POST /v3/payments/request) opens the payment and gives the address where the buyer
confirms it in LINE; LINE Pay then sends the buyer back to our confirmUrl, and only our Confirm
call (POST /v3/payments/{transactionId}/confirm) takes the money: its answer, not the browser's
visit, is what pays the order. Refund is POST /v3/payments/{transactionId}/refund. Every call is
signed (``linepay_signature``) with the channel secret.
"""

import json
import logging
import secrets
import uuid
from decimal import Decimal

import httpx
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from fenrun.core import once
from fenrun.orders.gateways import http
from fenrun.orders.gateways.base import (
    CallbackError,
    CallbackResult,
    Gateway,
    PaymentError,
    PaymentMethodOption,
    ProviderUnavailable,
    Redirect,
    RefundError,
)
from fenrun.orders.gateways.config import Mode, provider_settings, site_url, standin_base_url
from fenrun.orders.gateways.linepay_signature import signature
from fenrun.orders.models import Order, Payment

logger = logging.getLogger(__name__)

HOSTS = {Mode.PRODUCTION: "https://api-pay.line.me", Mode.TEST: "https://sandbox-api-pay.line.me"}
STANDIN_PREFIX = "/standin/linepay"
OK = "0000"
# Check-payment codes: authorised and waiting for our Confirm, and captured (confirmed).
CHECK_AUTHORISED, CHECK_CAPTURED = "0110", "0123"


class LinePayGateway(Gateway):
    code = "linepay"
    label = _("LINE Pay")
    can_refund = True
    can_query = True

    def __init__(self, config=None):
        self.config = config or provider_settings(self.code)

    def methods(self) -> list[PaymentMethodOption]:
        return [PaymentMethodOption("linepay", _("LINE Pay"), _("Confirm the payment in LINE."))]

    def base_url(self) -> str:
        if self.config.mode == Mode.STANDIN:
            return standin_base_url() + STANDIN_PREFIX
        return HOSTS.get(self.config.mode, HOSTS[Mode.TEST])

    def headers(self, path: str, body_or_query: str) -> dict[str, str]:
        nonce = str(uuid.uuid4())
        return {
            "Content-Type": "application/json",
            "X-LINE-ChannelId": self.config.merchant_id,
            "X-LINE-Authorization-Nonce": nonce,
            "X-LINE-Authorization": signature(self.config.key, path, body_or_query, nonce),
        }

    def _call(self, method: str, path: str, payload: dict | None = None, query: str = "") -> dict:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload else ""
        url = self.base_url() + path + (f"?{query}" if query else "")
        try:
            with http.client() as client:
                response = client.request(
                    method,
                    url,
                    content=body.encode() if body else None,
                    headers=self.headers(path, body if method == "POST" else query),
                )
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(f"LINE Pay unreachable: {exc.__class__.__name__}") from exc
        if not isinstance(answer, dict):
            raise ProviderUnavailable("LINE Pay answered nonsense")
        return answer

    def start(self, order: Order, method: str = "linepay") -> Payment:
        if order.grand_total != order.grand_total.to_integral_value():
            raise PaymentError(_("This order's total cannot be paid online."))
        return Payment.objects.create(
            order=order,
            gateway=self.code,
            method="linepay",
            reference="LP" + secrets.token_hex(9).upper(),
            amount=order.grand_total,
        )

    def checkout_step(self, payment: Payment) -> Redirect:
        """Where the buyer confirms: asks LINE Pay the first time (outside any transaction)."""
        url = (payment.payload or {}).get("paymentUrl")
        if url:
            return Redirect(url)
        amount = int(payment.amount)
        answer = self._call(
            "POST",
            "/v3/payments/request",
            {
                "amount": amount,
                "currency": "TWD",
                "orderId": payment.reference,
                "packages": [
                    {
                        "id": payment.order.number,
                        "amount": amount,
                        "name": str(settings.FENRUN_SHOP_NAME)[:100],
                        # One line for the whole order: LINE Pay checks that the products add
                        # up to the amount, which discounts, shipping and credit would break.
                        "products": [
                            {
                                "name": _gettext("Order %(number)s")
                                % {"number": payment.order.number},
                                "quantity": 1,
                                "price": amount,
                            }
                        ],
                    }
                ],
                "redirectUrls": {
                    "confirmUrl": site_url(reverse("orders:linepay_confirm")),
                    "cancelUrl": site_url(reverse("orders:linepay_cancel")),
                },
            },
        )
        info = answer.get("info") or {}
        if answer.get("returnCode") != OK or not isinstance(info, dict):
            logger.warning(
                "LINE Pay refused the request for %s: %s %s",
                payment.reference,
                answer.get("returnCode"),
                answer.get("returnMessage"),
            )
            Payment.objects.filter(pk=payment.pk, status=Payment.Status.STARTED).update(
                status=Payment.Status.FAILED
            )
            raise PaymentError(_("LINE Pay is not available right now. Please try again."))
        url = str((info.get("paymentUrl") or {}).get("web", ""))
        payment.provider_reference = str(info.get("transactionId", ""))[:64]
        payment.payload = {**(payment.payload or {}), "paymentUrl": url}
        payment.save(update_fields=["provider_reference", "payload", "updated_at"])
        return Redirect(url)

    def verify(self, payload: dict, signature: str = "") -> CallbackResult:
        """The buyer is back at confirmUrl: Confirm with LINE Pay, whose answer is the result.

        Only one Confirm is sent per payment, however often (or at once) the buyer's browser
        comes back: the first visit claims it. A Confirm that could not be sent or answered is
        left to the reconciliation job (``query``).
        """
        reference = str(payload.get("orderId", ""))
        transaction_id = str(payload.get("transactionId", ""))
        payment = Payment.objects.filter(gateway=self.code, reference=reference).first()
        if payment is None or not transaction_id:
            raise CallbackError("unknown payment")
        if payment.provider_reference and payment.provider_reference != transaction_id:
            raise CallbackError("transaction does not match")
        key = f"linepay-confirm:{reference}"
        if not once.claim(key):
            raise CallbackError("already being confirmed")
        try:
            return self._confirm(payment, transaction_id)
        except ProviderUnavailable:
            once.release(key)  # the job's query may confirm it later
            raise

    def _confirm(self, payment: Payment, transaction_id: str) -> CallbackResult:
        answer = self._call(
            "POST",
            f"/v3/payments/{transaction_id}/confirm",
            {"amount": int(payment.amount), "currency": "TWD"},
        )
        info = answer.get("info") or {}
        paid = sum(
            Decimal(str(p.get("amount", 0)))
            for p in (info.get("payInfo") or [])
            if isinstance(p, dict)
        )
        succeeded = answer.get("returnCode") == OK
        return CallbackResult(
            reference=payment.reference,
            succeeded=succeeded,
            amount=paid if succeeded else payment.amount,
            provider_reference=transaction_id,
        )

    def query(self, payment: Payment) -> CallbackResult | None:
        if not payment.provider_reference:
            return None
        path = f"/v3/payments/requests/{payment.provider_reference}/check"
        answer = self._call("GET", path)
        code = answer.get("returnCode")
        if code == CHECK_CAPTURED:
            return CallbackResult(
                reference=payment.reference,
                succeeded=True,
                amount=payment.amount,
                provider_reference=payment.provider_reference,
            )
        if code == CHECK_AUTHORISED and once.claim(f"linepay-confirm:{payment.reference}"):
            return self._confirm(payment, payment.provider_reference)
        return None

    def refund(self, payment: Payment) -> str:
        if not payment.provider_reference:
            raise RefundError(_("LINE Pay's transaction id is unknown: refund this one by hand."))
        try:
            answer = self._call(
                "POST",
                f"/v3/payments/{payment.provider_reference}/refund",
                {"refundAmount": int(payment.amount)},
            )
        except ProviderUnavailable as exc:
            raise RefundError(exc.message) from exc
        if answer.get("returnCode") != OK:
            raise RefundError(
                _("LINE Pay refused the refund: %(reason)s")
                % {"reason": answer.get("returnMessage", "?")}
            )
        return str((answer.get("info") or {}).get("refundTransactionId", ""))[:64] or "refunded"
