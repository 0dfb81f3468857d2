"""ECPay 全方位金流 (AIO): card (one-off or in instalments), ATM virtual account, store code and
barcode, behind the shop's payment interface.

The buyer's browser is sent to AioCheckOut/V5 with an auto-submitted form; ECPay then calls
ReturnURL server to server with the result (and PaymentInfoURL when it has issued an ATM
account or a store code), each message carrying a CheckMacValue (SHA256, EncryptType=1) that
is checked here, with the merchant id. QueryTradeInfo/V5 tells what became of a trade whose
message never came; CreditDetail/DoAction refunds (R) or, for an authorisation not yet
captured, abandons (N) a card payment.
"""

import logging
import secrets
import time
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fenrun.orders.gateways import http
from fenrun.orders.gateways.base import (
    CallbackError,
    CallbackResult,
    FormPost,
    Gateway,
    PaymentError,
    PaymentMethodOption,
    ProviderUnavailable,
    RefundError,
)
from fenrun.orders.gateways.config import Mode, provider_settings, site_url, standin_base_url
from fenrun.orders.gateways.ecpay_mac import check_mac_value, is_genuine
from fenrun.orders.models import Order, Payment

logger = logging.getLogger(__name__)

TAIPEI = ZoneInfo("Asia/Taipei")
HOSTS = {
    Mode.PRODUCTION: "https://payment.ecpay.com.tw",
    Mode.TEST: "https://payment-stage.ecpay.com.tw",
}
STANDIN_PREFIX = "/standin/ecpay"
CHECKOUT_PATH = "/Cashier/AioCheckOut/V5"
QUERY_PATH = "/Cashier/QueryTradeInfo/V5"
DO_ACTION_PATH = "/CreditDetail/DoAction"

# Our method codes and ECPay's ChoosePayment for them.
CHOOSE_PAYMENT = {"card": "Credit", "atm": "ATM", "cvs": "CVS", "barcode": "BARCODE"}
RTN_PAID = "1"
# PaymentInfoURL's "number issued" codes: 2 for an ATM account, 10100073 for a store code or
# barcode. The payment is still to be made.
RTN_ISSUED = {"2", "10100073"}
ITEM_NAME_MAX = 400


def _date(value: datetime) -> str:
    return value.astimezone(TAIPEI).strftime("%Y/%m/%d %H:%M:%S")


def _parse_expiry(raw: str) -> datetime | None:
    """ECPay's ExpireDate: "yyyy/MM/dd" for ATM (valid through that day), with a time for CVS."""
    raw = (raw or "").strip()
    for fmt, whole_day in (("%Y/%m/%d %H:%M:%S", False), ("%Y/%m/%d", True)):
        try:
            parsed = datetime.strptime(raw, fmt).replace(tzinfo=TAIPEI)
        except ValueError:
            continue
        return parsed + timedelta(days=1, seconds=-1) if whole_day else parsed
    return None


def _amount(raw) -> Decimal:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError) as exc:
        raise CallbackError("malformed amount") from exc
    if not value.is_finite() or value != value.to_integral_value():
        raise CallbackError("malformed amount")
    return value


class ECPayGateway(Gateway):
    code = "ecpay"
    label = _("ECPay")
    can_refund = True
    can_query = True
    # ECPay refuses a MerchantTradeNo it has seen (訂單編號重覆), even unpaid: each visit to its
    # page is a new trade. Two paid ones make the second a duplicate, refunded.
    reuse_open_payment = False

    def __init__(self, config=None):
        self.config = config or provider_settings(self.code)

    # What it offers ------------------------------------------------------------------------

    def methods(self) -> list[PaymentMethodOption]:
        return [
            PaymentMethodOption(
                "card",
                _("Credit card (ECPay)"),
                _("Pay by card on ECPay's secure page."),
            ),
            PaymentMethodOption(
                "atm",
                _("ATM virtual account (ECPay)"),
                _("ECPay gives you an account number of your own to transfer to."),
                deferred=True,
                refundable=False,
            ),
            PaymentMethodOption(
                "cvs",
                _("Convenience-store payment code (ECPay)"),
                _("Pay at a 7-ELEVEN, FamilyMart, Hi-Life or OK mart kiosk with a code."),
                deferred=True,
                refundable=False,
            ),
            PaymentMethodOption(
                "barcode",
                _("Convenience-store barcode (ECPay)"),
                _("Show the barcodes at any convenience-store counter."),
                deferred=True,
                refundable=False,
            ),
        ]

    def base_url(self) -> str:
        if self.config.mode == Mode.STANDIN:
            return standin_base_url() + STANDIN_PREFIX
        return HOSTS.get(self.config.mode, HOSTS[Mode.TEST])

    def sign(self, params: dict) -> str:
        return check_mac_value(params, self.config.key, self.config.iv)

    # Starting a payment ---------------------------------------------------------------------

    def start(self, order: Order, method: str = "card") -> Payment:
        if method not in CHOOSE_PAYMENT:
            raise PaymentError(_("This payment method is not available."))
        if order.grand_total != order.grand_total.to_integral_value():
            # ECPay takes whole New Taiwan dollars only.
            raise PaymentError(_("This order's total cannot be paid online."))
        return Payment.objects.create(
            order=order,
            gateway=self.code,
            method=method,
            # MerchantTradeNo: unique, at most 20 letters and digits.
            reference="FR" + secrets.token_hex(9).upper(),
            amount=order.grand_total,
        )

    def checkout_fields(self, payment: Payment) -> dict[str, str]:
        order = payment.order
        items = "#".join(
            f"{line.product_name} x {line.quantity}".replace("#", " ") for line in order.lines.all()
        )
        fields = {
            "MerchantID": self.config.merchant_id,
            "MerchantTradeNo": payment.reference,
            "MerchantTradeDate": _date(payment.created_at),
            "PaymentType": "aio",
            "TotalAmount": str(int(payment.amount)),
            "TradeDesc": str(settings.FENRUN_SHOP_NAME)[:200],
            "ItemName": items[:ITEM_NAME_MAX] or order.number,
            "ReturnURL": site_url(reverse("orders:ecpay_return")),
            "ChoosePayment": CHOOSE_PAYMENT[payment.method],
            "EncryptType": "1",
            "ClientBackURL": site_url(reverse("orders:placed", args=[order.number])),
            "OrderResultURL": site_url(reverse("orders:ecpay_result")),
            "NeedExtraPaidInfo": "N",
            "CustomField1": order.number,
        }
        if payment.method == "card" and self.config.installments:
            fields["CreditInstallment"] = ",".join(str(n) for n in self.config.installments)
        if payment.method in ("atm", "cvs", "barcode"):
            fields["PaymentInfoURL"] = site_url(reverse("orders:ecpay_payment_info"))
            fields["ClientRedirectURL"] = site_url(reverse("orders:ecpay_result"))
        if payment.method == "atm":
            fields["ExpireDate"] = str(settings.FENRUN_ECPAY_ATM_EXPIRE_DAYS)
        elif payment.method == "cvs":
            fields["StoreExpireDate"] = str(settings.FENRUN_ECPAY_CVS_EXPIRE_MINUTES)
        elif payment.method == "barcode":
            # For barcodes ECPay counts StoreExpireDate in days.
            fields["StoreExpireDate"] = str(
                max(1, settings.FENRUN_ECPAY_CVS_EXPIRE_MINUTES // 1440)
            )
        fields["CheckMacValue"] = self.sign(fields)
        return fields

    def checkout_step(self, payment: Payment) -> FormPost:
        return FormPost(self.base_url() + CHECKOUT_PATH, self.checkout_fields(payment))

    # ECPay's messages -----------------------------------------------------------------------

    def _check(self, payload: dict) -> None:
        if str(payload.get("MerchantID", "")) != self.config.merchant_id:
            raise CallbackError("wrong merchant")
        if not is_genuine(payload, self.config.key, self.config.iv):
            raise CallbackError("bad CheckMacValue")

    def verify(self, payload: dict, signature: str = "") -> CallbackResult:
        self._check(payload)
        reference = str(payload.get("MerchantTradeNo", ""))
        if not reference:
            raise CallbackError("malformed payload")
        code = str(payload.get("RtnCode", ""))
        amount = _amount(payload.get("TradeAmt"))
        provider_reference = str(payload.get("TradeNo", ""))[:64]
        if code in RTN_ISSUED:
            issued = {
                key: str(payload[key])
                for key in ("BankCode", "vAccount", "PaymentNo", "Barcode1", "Barcode2", "Barcode3")
                if payload.get(key)
            }
            if not issued:
                raise CallbackError("malformed payload")
            issued["ExpireDate"] = str(payload.get("ExpireDate", ""))
            return CallbackResult(
                reference=reference,
                succeeded=False,
                amount=amount,
                provider_reference=provider_reference,
                issued=issued,
                expires_at=_parse_expiry(payload.get("ExpireDate", "")),
            )
        return CallbackResult(
            reference=reference,
            succeeded=code == RTN_PAID,
            amount=amount,
            provider_reference=provider_reference,
        )

    # Asking ECPay ---------------------------------------------------------------------------

    def _post(self, path: str, fields: dict) -> dict:
        fields = {**fields, "CheckMacValue": self.sign(fields)}
        try:
            with http.client() as client:
                response = client.post(self.base_url() + path, data=fields)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"ECPay unreachable: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise ProviderUnavailable(f"ECPay answered {response.status_code}")
        return dict(parse_qsl(response.text, keep_blank_values=True))

    def query(self, payment: Payment) -> CallbackResult | None:
        answer = self._post(
            QUERY_PATH,
            {
                "MerchantID": self.config.merchant_id,
                "MerchantTradeNo": payment.reference,
                "TimeStamp": str(int(time.time())),
            },
        )
        try:
            self._check(answer)
        except CallbackError as exc:
            raise ProviderUnavailable(f"ECPay's query answer refused: {exc.message}") from exc
        if str(answer.get("TradeStatus")) != "1":
            return None  # not paid (yet): nothing to apply
        return CallbackResult(
            reference=payment.reference,
            succeeded=True,
            amount=_amount(answer.get("TradeAmt")),
            provider_reference=str(answer.get("TradeNo", ""))[:64],
        )

    def refund(self, payment: Payment) -> str:
        if payment.method and payment.method != "card":
            raise RefundError(_("ECPay refunds card payments only: refund this one by hand."))
        if not payment.provider_reference:
            raise RefundError(_("ECPay's trade number is unknown: refund this one by hand."))
        answer: dict = {}
        # R refunds a captured payment; an authorisation ECPay has not captured yet cannot be
        # refunded and is abandoned (N) instead, which releases it on the buyer's card.
        for action in ("R", "N"):
            try:
                answer = self._post(
                    DO_ACTION_PATH,
                    {
                        "MerchantID": self.config.merchant_id,
                        "MerchantTradeNo": payment.reference,
                        "TradeNo": payment.provider_reference,
                        "Action": action,
                        "TotalAmount": str(int(payment.amount)),
                    },
                )
            except ProviderUnavailable as exc:
                raise RefundError(exc.message) from exc
            if str(answer.get("RtnCode")) == "1":
                return f"{action}-{payment.provider_reference}"[:64]
            logger.info(
                "ECPay DoAction %s refused for %s: %s",
                action,
                payment.reference,
                answer.get("RtnMsg", ""),
            )
        raise RefundError(
            _("ECPay refused the refund: %(reason)s") % {"reason": answer.get("RtnMsg", "?")}
        )
