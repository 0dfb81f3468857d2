"""A local stand-in for ECPay's B2C e-invoice API, for the demo and the tests.

It speaks ECPay's protocol: it checks the envelope (MerchantID, a Timestamp within 10 minutes),
decrypts Data with the merchant's HashKey/HashIV, checks the operation's fields the way ECPay
does (amounts add up, one carrier or a donation or a printed company invoice, formats), keeps
its own books (``StandInInvoice``) and answers ``{TransCode, TransMsg, Data}`` with the result
encrypted, RtnCode 1 for success. Its refusal codes are its own; ECPay's differ by number.

``fail_next`` makes the next calls of an operation fail (a refusal, or an HTTP 500), so the
retry path can be exercised in tests and the demo. It answers only where
``FENRUN_INVOICES["stand_in_enabled"]`` is on.
"""

import json
import random
import time
from decimal import Decimal, InvalidOperation

import httpx
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fenrun.invoices import conf, rules
from fenrun.invoices.models import StandInInvoice
from fenrun.invoices.providers import ecpay_crypto as crypto

OPERATIONS = ("Issue", "Invalid", "Allowance", "AllowanceInvalid", "GetIssue")
TIMESTAMP_WINDOW = 600
FAIL_KEY = "invoice-stand-in:fail:{}"
BODY_MAX_BYTES = 256 * 1024


class Refusal(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def fail_next(operation: str, *, times: int = 1, mode: str = "refuse") -> None:
    """Make the next ``times`` calls of ``operation`` fail: ``refuse`` (RtnCode 9999999) or
    ``http_error`` (HTTP 500, as when ECPay is down)."""
    cache.set(FAIL_KEY.format(operation), {"times": times, "mode": mode}, timeout=3600)


def _injected_failure(operation: str) -> str | None:
    key = FAIL_KEY.format(operation)
    planned = cache.get(key)
    if not planned or planned["times"] <= 0:
        return None
    planned["times"] -= 1
    cache.set(key, planned, timeout=3600)
    return planned["mode"]


def _amount(value) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise Refusal(1100001, "金額格式錯誤") from exc


def _check_items(items, total: Decimal) -> None:
    if not isinstance(items, list) or not items:
        raise Refusal(1100002, "商品明細不可為空")
    running = Decimal(0)
    for item in items:
        if not isinstance(item, dict) or not str(item.get("ItemName", "")).strip():
            raise Refusal(1100003, "商品名稱不可為空")
        count, price, amount = (
            _amount(item.get("ItemCount")),
            _amount(item.get("ItemPrice")),
            _amount(item.get("ItemAmount")),
        )
        if count <= 0 or abs(count * price - amount) > Decimal("0.5"):
            raise Refusal(1100004, "商品數量、單價與合計不符")
        running += amount
    if running.quantize(Decimal(1)) != total.quantize(Decimal(1)):
        raise Refusal(1100005, "商品合計與發票金額不符")


def _issue(merchant_id: str, data: dict) -> dict:
    relate = str(data.get("RelateNumber", ""))
    if not relate or len(relate) > 30:
        raise Refusal(1200001, "RelateNumber 格式錯誤")
    total = _amount(data.get("SalesAmount"))
    if total <= 0 or total != total.to_integral_value():
        raise Refusal(1200002, "SalesAmount 須為正整數")
    _check_items(data.get("Items"), total)
    printed, donated = data.get("Print") == "1", data.get("Donation") == "1"
    carrier_type, carrier_num = str(data.get("CarrierType", "")), str(data.get("CarrierNum", ""))
    ban = str(data.get("CustomerIdentifier", ""))
    if not data.get("CustomerEmail") and not data.get("CustomerPhone"):
        raise Refusal(1200003, "CustomerEmail 與 CustomerPhone 須擇一填寫")
    if ban and (not rules.is_ban(ban) or not printed or donated):
        raise Refusal(1200004, "統一編號有值時須列印且不可捐贈")
    if printed and (
        carrier_type or donated or not data.get("CustomerName") or not data.get("CustomerAddr")
    ):
        raise Refusal(1200005, "列印發票須有姓名與地址，且不可有載具或捐贈")
    if donated and (carrier_type or not rules.is_love_code(str(data.get("LoveCode", "")))):
        raise Refusal(1200006, "捐贈須有正確愛心碼且不可有載具")
    formats = {
        "1": lambda n: n == "",
        "2": rules.is_citizen_certificate,
        "3": rules.is_mobile_barcode,
        "": lambda n: n == "",
    }
    if carrier_type not in formats or not formats[carrier_type](carrier_num):
        raise Refusal(1200007, "載具類別或載具編號錯誤")
    if not printed and not donated and not carrier_type:
        raise Refusal(1200008, "不列印的發票須有載具或捐贈")
    now = timezone.localtime()
    for _attempt in range(5):
        number = "ZZ" + f"{random.randrange(10**8):08d}"  # noqa: S311 - a demo number
        try:
            with transaction.atomic():
                record = StandInInvoice.objects.create(
                    merchant_id=merchant_id,
                    relate_number=relate,
                    number=number,
                    random_code=f"{random.randrange(10**4):04d}",  # noqa: S311
                    sales_amount=int(total),
                    issued_at=now,
                    data=data,
                )
            break
        except IntegrityError:
            if StandInInvoice.objects.filter(
                merchant_id=merchant_id, relate_number=relate
            ).exists():
                raise Refusal(1200009, "RelateNumber 重複") from None
    else:
        raise Refusal(9000001, "無法配號")
    return {
        "RtnCode": 1,
        "RtnMsg": "開立發票成功",
        "InvoiceNo": record.number,
        "InvoiceDate": now.strftime("%Y-%m-%d %H:%M:%S"),
        "RandomNumber": record.random_code,
    }


def _find(merchant_id: str, number: str, *, lock: bool = False) -> StandInInvoice:
    records = StandInInvoice.objects.filter(merchant_id=merchant_id, number=number)
    record = (records.select_for_update() if lock else records).first()
    if record is None:
        raise Refusal(1300001, "查無發票")
    return record


def _invalid(merchant_id: str, data: dict) -> dict:
    with transaction.atomic():
        record = _find(merchant_id, str(data.get("InvoiceNo", "")), lock=True)
        if record.voided:
            raise Refusal(1300002, "發票已作廢")
        if str(data.get("InvoiceDate", ""))[:10] != timezone.localtime(record.issued_at).strftime(
            "%Y-%m-%d"
        ):
            raise Refusal(1300003, "發票日期不符")
        if not str(data.get("Reason", "")).strip():
            raise Refusal(1300004, "作廢原因不可為空")
        if any(not a["voided"] for a in record.allowances):
            raise Refusal(1300005, "發票已有折讓，請先作廢折讓")
        record.voided = True
        record.save(update_fields=["voided"])
    return {"RtnCode": 1, "RtnMsg": "作廢發票成功", "InvoiceNo": record.number}


def _remaining(record: StandInInvoice) -> Decimal:
    given = sum((Decimal(a["amount"]) for a in record.allowances if not a["voided"]), Decimal(0))
    return Decimal(record.sales_amount) - given


def _allowance(merchant_id: str, data: dict) -> dict:
    with transaction.atomic():
        record = _find(merchant_id, str(data.get("InvoiceNo", "")), lock=True)
        if record.voided:
            raise Refusal(1400001, "發票已作廢")
        amount = _amount(data.get("AllowanceAmount"))
        if amount <= 0 or amount > _remaining(record):
            raise Refusal(1400002, "折讓金額超過可折讓金額")
        _check_items(data.get("Items"), amount)
        now = timezone.localtime()
        number = now.strftime("%Y%m%d") + f"{random.randrange(10**8):08d}"  # noqa: S311
        record.allowances = [
            *record.allowances,
            {"number": number, "amount": str(amount), "voided": False},
        ]
        record.save(update_fields=["allowances"])
    return {
        "RtnCode": 1,
        "RtnMsg": "折讓成功",
        "IA_Allow_No": number,
        "IA_Invoice_No": record.number,
        "IA_Date": now.strftime("%Y-%m-%d %H:%M:%S"),
        "IA_Remain_Allowance_Amt": int(_remaining(record)),
    }


def _allowance_invalid(merchant_id: str, data: dict) -> dict:
    with transaction.atomic():
        record = _find(merchant_id, str(data.get("InvoiceNo", "")), lock=True)
        wanted = str(data.get("AllowanceNo", ""))
        allowances = [dict(a) for a in record.allowances]
        match = next((a for a in allowances if a["number"] == wanted and not a["voided"]), None)
        if match is None:
            raise Refusal(1500001, "查無折讓單")
        match["voided"] = True
        record.allowances = allowances
        record.save(update_fields=["allowances"])
    return {"RtnCode": 1, "RtnMsg": "作廢折讓成功", "IA_Allow_No": wanted}


def _get_issue(merchant_id: str, data: dict) -> dict:
    record = StandInInvoice.objects.filter(
        merchant_id=merchant_id, relate_number=str(data.get("RelateNumber", ""))
    ).first()
    if record is None:
        raise Refusal(1600001, "查無發票")
    return {
        "RtnCode": 1,
        "RtnMsg": "查詢成功",
        "IIS_Number": record.number,
        "IIS_Random_Number": record.random_code,
        "IIS_Create_Date": timezone.localtime(record.issued_at).strftime("%Y-%m-%d %H:%M:%S"),
        "IIS_Invalid_Status": "1" if record.voided else "0",
        "IIS_Sales_Amount": record.sales_amount,
        "IIS_Relate_Number": record.relate_number,
    }


HANDLERS = {
    "Issue": _issue,
    "Invalid": _invalid,
    "Allowance": _allowance,
    "AllowanceInvalid": _allowance_invalid,
    "GetIssue": _get_issue,
}


def answer(operation: str, body: bytes) -> tuple[int, dict]:
    """ECPay's HTTP status and JSON answer to a POST of ``body`` to /B2CInvoice/<operation>."""
    cfg = conf.ecpay()
    envelope = {"MerchantID": cfg.merchant_id, "RpHeader": {"Timestamp": int(time.time())}}
    if operation not in HANDLERS:
        return 404, {}
    failure = _injected_failure(operation)
    if failure == "http_error":
        return 500, {}
    try:
        request = json.loads(body)
        if not isinstance(request, dict):
            raise ValueError("not an object")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return 200, {**envelope, "TransCode": 9000000, "TransMsg": "格式錯誤", "Data": ""}
    header = request.get("RqHeader") if isinstance(request.get("RqHeader"), dict) else {}
    timestamp = header.get("Timestamp")
    if str(request.get("MerchantID", "")) != cfg.merchant_id:
        return 200, {**envelope, "TransCode": 9000001, "TransMsg": "MerchantID 錯誤", "Data": ""}
    if not isinstance(timestamp, int) or abs(time.time() - timestamp) > TIMESTAMP_WINDOW:
        return 200, {**envelope, "TransCode": 9000002, "TransMsg": "Timestamp 逾時", "Data": ""}
    try:
        data = crypto.decrypt_json(str(request.get("Data", "")), cfg.hash_key, cfg.hash_iv)
    except crypto.EnvelopeError:
        return 200, {**envelope, "TransCode": 9000003, "TransMsg": "解密失敗", "Data": ""}
    if str(data.get("MerchantID", "")) != cfg.merchant_id:
        result = {"RtnCode": 9000004, "RtnMsg": "MerchantID 不符"}
    elif failure == "refuse":
        result = {"RtnCode": 9999999, "RtnMsg": "系統維護中（stand-in 依指示失敗）"}
    else:
        try:
            result = HANDLERS[operation](cfg.merchant_id, data)
        except Refusal as refusal:
            result = {"RtnCode": refusal.code, "RtnMsg": refusal.message}
    encrypted = crypto.encrypt_json(result, cfg.hash_key, cfg.hash_iv)
    return 200, {**envelope, "TransCode": 1, "TransMsg": "Success", "Data": encrypted}


def handle_request(request: httpx.Request) -> httpx.Response:
    """The stand-in as an httpx transport handler (the in-process mode)."""
    operation = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    status, body = answer(operation, request.read())
    return httpx.Response(status, json=body)


@csrf_exempt
@require_POST
def stand_in_view(request, operation: str):
    """The stand-in served over HTTP (e.g. on loopback) for a provider URL pointed at it."""
    if not conf.stand_in_enabled() or len(request.body) > BODY_MAX_BYTES:
        raise Http404
    status, body = answer(operation, request.body)
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
