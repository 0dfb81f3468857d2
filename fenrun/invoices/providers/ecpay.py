"""ECPay B2C e-invoice API v3 (綠界 電子發票 B2C): /B2CInvoice/Issue, /Invalid, /Allowance,
/AllowanceInvalid and /GetIssue.

Each call POSTs JSON ``{MerchantID, RqHeader: {Timestamp, Revision}, Data}`` where ``Data`` is
the encrypted JSON of the operation (ecpay_crypto); the answer is ``{TransCode, TransMsg,
Data}``, TransCode 1 meaning the envelope was accepted, and its decrypted Data carries
``RtnCode`` 1 for success. Field names and rules follow ECPay's B2C e-invoice documentation
(developers.ecpay.com.tw) and its official PHP SDK's examples (github.com/ECPay/SDK_PHP,
example/Invoice/B2C/).
"""

import time
from datetime import date, datetime
from decimal import Decimal

import httpx
from django.utils import timezone

from fenrun.core.money import round_money
from fenrun.invoices import conf
from fenrun.invoices.providers import ecpay_crypto as crypto
from fenrun.invoices.providers.base import (
    AllowanceIssued,
    AllowanceRequest,
    Issued,
    IssueRequest,
    Line,
    ProviderError,
)
from fenrun.invoices.rules import Kind

REVISION = "3.0.0"
CARRIER_TYPES = {
    Kind.MEMBER_CARRIER: "1",  # ECPay's own cloud carrier, found by the buyer's e-mail/phone
    Kind.CERTIFICATE: "2",
    Kind.MOBILE_BARCODE: "3",
}
REASON_MAX = 20


def _money(value) -> int | float:
    # ECPay takes numbers; whole dollars as integers.
    value = round_money(value, places=2)
    return int(value) if value == value.to_integral_value() else float(value)


def _items(lines: tuple[Line, ...]) -> list[dict]:
    return [
        {
            "ItemSeq": seq,
            "ItemName": line.name[:100],
            "ItemCount": line.quantity,
            "ItemWord": line.unit,
            "ItemPrice": _money(line.unit_price),
            "ItemTaxType": "1",
            "ItemAmount": _money(line.amount),
        }
        for seq, line in enumerate(lines, start=1)
    ]


def _parse_time(value: str) -> datetime:
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return timezone.make_aware(datetime.strptime(value, pattern))
        except (TypeError, ValueError):
            continue
    return timezone.now()


def issue_data(merchant_id: str, request: IssueRequest) -> dict:
    """The Data of /B2CInvoice/Issue for ``request`` (tax-inclusive B2C, taxable, 一般稅額)."""
    choice = request.choice
    buyer = request.buyer
    company = choice.kind == Kind.COMPANY
    return {
        "MerchantID": merchant_id,
        "RelateNumber": request.relate_number,
        "CustomerID": "",
        "CustomerIdentifier": choice.ban if company else "",
        "CustomerName": choice.company_name if company else buyer.name,
        # A printed invoice (company) is posted: ECPay requires the address then.
        "CustomerAddr": buyer.address if company else "",
        "CustomerPhone": buyer.phone,
        "CustomerEmail": buyer.email,
        "ClearanceMark": "",
        "Print": "1" if company else "0",
        "Donation": "1" if choice.kind == Kind.DONATION else "0",
        "LoveCode": choice.love_code,
        "CarrierType": CARRIER_TYPES.get(choice.kind, ""),
        "CarrierNum": choice.carrier_number,
        "TaxType": "1",
        "SalesAmount": _money(request.amount),
        "InvoiceRemark": "",
        "InvType": "07",
        "vat": "1",
        "Items": _items(request.lines),
    }


class ECPayInvoices:
    code = "ecpay"

    def __init__(self, config: conf.ECPayConfig | None = None, client: httpx.Client | None = None):
        self.config = config or conf.ecpay()
        self.client = client
        self.exchanges: list[dict] = []

    def _client(self) -> httpx.Client:
        if self.client is not None:
            return self.client
        timeout = httpx.Timeout(conf.timeout_seconds(), connect=3.0)
        if self.config.in_process:
            # The stand-in answers inside this process: the same HTTP request and answer
            # bytes, encrypted both ways, with no server or port to run.
            from fenrun.invoices import standin

            return httpx.Client(
                transport=httpx.MockTransport(standin.handle_request), timeout=timeout
            )
        return httpx.Client(timeout=timeout)

    def _call(self, operation: str, data: dict) -> dict:
        cfg = self.config
        body = {
            "MerchantID": cfg.merchant_id,
            "RqHeader": {"Timestamp": int(time.time()), "Revision": REVISION},
            "Data": crypto.encrypt_json(data, cfg.hash_key, cfg.hash_iv),
        }
        exchange = {"operation": operation, "request": data, "response": {}}
        self.exchanges.append(exchange)
        url = f"{cfg.base_url}/B2CInvoice/{operation}"
        client = self._client()
        try:
            response = client.post(url, json=body)
            response.raise_for_status()
            envelope = response.json()
        except httpx.HTTPError as exc:
            raise ProviderError(f"ECPay {operation}: {type(exc).__name__}: {exc}"[:300]) from exc
        except ValueError as exc:
            raise ProviderError(f"ECPay {operation}: the answer is not JSON") from exc
        finally:
            if client is not self.client:
                client.close()
        if not isinstance(envelope, dict):
            raise ProviderError(f"ECPay {operation}: the answer is not a JSON object")
        exchange["response"] = {k: v for k, v in envelope.items() if k != "Data"}
        if envelope.get("TransCode") != 1:
            raise ProviderError(
                f"ECPay {operation}: TransCode {envelope.get('TransCode')} "
                f"{envelope.get('TransMsg', '')}"[:300],
                code=str(envelope.get("TransCode", "")),
                raw=exchange["response"],
            )
        try:
            result = crypto.decrypt_json(str(envelope.get("Data") or ""), cfg.hash_key, cfg.hash_iv)
        except crypto.EnvelopeError as exc:
            raise ProviderError(f"ECPay {operation}: the answer's Data does not decrypt") from exc
        exchange["response"]["Data"] = result
        if result.get("RtnCode") != 1:
            raise ProviderError(
                f"ECPay {operation}: {result.get('RtnCode')} {result.get('RtnMsg', '')}"[:300],
                code=str(result.get("RtnCode", "")),
                raw=result,
            )
        return result

    def issue(self, request: IssueRequest) -> Issued:
        result = self._call("Issue", issue_data(self.config.merchant_id, request))
        return Issued(
            number=str(result.get("InvoiceNo", "")),
            random_code=str(result.get("RandomNumber", "")),
            issued_at=_parse_time(str(result.get("InvoiceDate", ""))),
            raw=result,
        )

    def find(self, relate_number: str) -> Issued | None:
        try:
            result = self._call(
                "GetIssue", {"MerchantID": self.config.merchant_id, "RelateNumber": relate_number}
            )
        except ProviderError as exc:
            if exc.raw.get("RtnCode") not in (None, 1):
                return None  # ECPay answered: no invoice under this number
            raise
        if not result.get("IIS_Number"):
            return None
        return Issued(
            number=str(result["IIS_Number"]),
            random_code=str(result.get("IIS_Random_Number", "")),
            issued_at=_parse_time(str(result.get("IIS_Create_Date", ""))),
            raw=result,
        )

    def void(self, number: str, issued_on: date, reason: str) -> dict:
        return self._call(
            "Invalid",
            {
                "MerchantID": self.config.merchant_id,
                "InvoiceNo": number,
                "InvoiceDate": issued_on.isoformat(),
                "Reason": reason[:REASON_MAX],
            },
        )

    def allowance(self, request: AllowanceRequest) -> AllowanceIssued:
        result = self._call(
            "Allowance",
            {
                "MerchantID": self.config.merchant_id,
                "InvoiceNo": request.invoice_number,
                "InvoiceDate": request.invoice_date.isoformat(),
                "AllowanceNotify": "E" if request.buyer.email else "N",
                "CustomerName": request.buyer.name,
                "NotifyMail": request.buyer.email,
                "NotifyPhone": "",
                "AllowanceAmount": _money(request.amount),
                "Items": _items(request.lines),
            },
        )
        remaining = result.get("IA_Remain_Allowance_Amt")
        return AllowanceIssued(
            number=str(result.get("IA_Allow_No", "")),
            issued_at=_parse_time(str(result.get("IA_Date", ""))),
            remaining=None if remaining is None else round_money(Decimal(str(remaining)), places=2),
            raw=result,
        )

    def void_allowance(self, invoice_number: str, allowance_number: str, reason: str) -> dict:
        return self._call(
            "AllowanceInvalid",
            {
                "MerchantID": self.config.merchant_id,
                "InvoiceNo": invoice_number,
                "AllowanceNo": allowance_number,
                "Reason": reason[:REASON_MAX],
            },
        )
