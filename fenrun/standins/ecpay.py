"""A local stand-in for ECPay AIO: AioCheckOut/V5, its payment page, the ReturnURL and
PaymentInfoURL callbacks, QueryTradeInfo/V5 and CreditDetail/DoAction.

It checks each request as ECPay does (known merchant, CheckMacValue, the fields' formats) and
refuses the wrong ones with ECPay's kind of answer. Its payment page has test knobs: send the
result twice, send a forged copy first, hold the result back (to be sent later, or found by
the shop's query), or decline the card.
"""

import re
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from fenrun.orders.gateways.ecpay_mac import check_mac_value, is_genuine
from fenrun.standins.delivery import post_form
from fenrun.standins.models import StandinTrade

TAIPEI = ZoneInfo("Asia/Taipei")
PROVIDER = "ecpay"
REQUIRED = (
    "MerchantID",
    "MerchantTradeNo",
    "MerchantTradeDate",
    "PaymentType",
    "TotalAmount",
    "TradeDesc",
    "ItemName",
    "ReturnURL",
    "ChoosePayment",
    "CheckMacValue",
    "EncryptType",
)
PAYMENT_TYPES = {
    "Credit": "Credit_CreditCard",
    "ATM": "ATM_TAISHIN",
    "CVS": "CVS_CVS",
    "BARCODE": "BARCODE_BARCODE",
}


def _enabled():
    if not settings.FENRUN_STANDINS_ENABLED:
        raise Http404


def _keys(merchant_id: str) -> tuple[str, str] | None:
    return settings.FENRUN_STANDIN_ECPAY_MERCHANTS.get(merchant_id)


def _now() -> str:
    return timezone.now().astimezone(TAIPEI).strftime("%Y/%m/%d %H:%M:%S")


def _signed(trade: StandinTrade, fields: dict) -> dict:
    key, iv = _keys(trade.merchant_id)
    return {**fields, "CheckMacValue": check_mac_value(fields, key, iv)}


def _refuse(message: str) -> HttpResponse:
    # ECPay shows an error page to the buyer for a bad checkout post.
    return HttpResponseBadRequest(f"ECPay stand-in refused the request: {message}")


def _checkout_problem(data: dict) -> str:
    missing = [name for name in REQUIRED if not data.get(name)]
    if missing:
        return "missing " + ", ".join(missing)
    keys = _keys(data["MerchantID"])
    if keys is None:
        return "unknown MerchantID"
    if not is_genuine(data, *keys):
        return "CheckMacValue Error"
    if not re.fullmatch(r"[0-9A-Za-z]{1,20}", data["MerchantTradeNo"]):
        return "MerchantTradeNo must be at most 20 letters and digits"
    try:
        datetime.strptime(data["MerchantTradeDate"], "%Y/%m/%d %H:%M:%S")
    except ValueError:
        return "MerchantTradeDate must be yyyy/MM/dd HH:mm:ss"
    if not data["TotalAmount"].isdigit() or int(data["TotalAmount"]) <= 0:
        return "TotalAmount must be a positive integer"
    if data["PaymentType"] != "aio" or data["EncryptType"] != "1":
        return "PaymentType must be aio and EncryptType 1"
    if data["ChoosePayment"] not in PAYMENT_TYPES:
        return "ChoosePayment not supported here"
    if data["ChoosePayment"] != "Credit" and not data.get("PaymentInfoURL"):
        return "PaymentInfoURL is required for ATM, CVS and BARCODE"
    return ""


@csrf_exempt
@require_POST
def checkout(request):
    _enabled()
    data = request.POST.dict()
    problem = _checkout_problem(data)
    if problem:
        return _refuse(problem)
    try:
        with transaction.atomic():
            trade = StandinTrade.objects.create(
                provider=PROVIDER,
                merchant_id=data["MerchantID"],
                trade_no=data["MerchantTradeNo"],
                provider_trade_no=timezone.now().strftime("%y%m%d%H%M%S")
                + f"{secrets.randbelow(10**4):04d}",
                amount=int(data["TotalAmount"]),
                method=data["ChoosePayment"],
                params=data,
            )
    except IntegrityError:
        return _refuse("MerchantTradeNo already used (訂單編號重覆)")
    return redirect("standins:ecpay_page", trade_no=trade.provider_trade_no)


def _result_fields(trade: StandinTrade, code: str, message: str) -> dict:
    return {
        "MerchantID": trade.merchant_id,
        "MerchantTradeNo": trade.trade_no,
        "StoreID": "",
        "RtnCode": code,
        "RtnMsg": message,
        "TradeNo": trade.provider_trade_no,
        "TradeAmt": str(trade.amount),
        "PaymentDate": _now(),
        "PaymentType": PAYMENT_TYPES[trade.method],
        "PaymentTypeChargeFee": "0",
        "TradeDate": trade.created_at.astimezone(TAIPEI).strftime("%Y/%m/%d %H:%M:%S"),
        "SimulatePaid": "0",
        "CustomField1": trade.params.get("CustomField1", ""),
        "CustomField2": "",
        "CustomField3": "",
        "CustomField4": "",
    }


def _issue(trade: StandinTrade) -> dict:
    """The ATM account or store code ECPay's PaymentInfoURL message carries."""
    now = timezone.now().astimezone(TAIPEI)
    fields = {
        "MerchantID": trade.merchant_id,
        "MerchantTradeNo": trade.trade_no,
        "StoreID": "",
        "TradeNo": trade.provider_trade_no,
        "TradeAmt": str(trade.amount),
        "PaymentType": PAYMENT_TYPES[trade.method],
        "TradeDate": trade.created_at.astimezone(TAIPEI).strftime("%Y/%m/%d %H:%M:%S"),
        "CustomField1": trade.params.get("CustomField1", ""),
        "CustomField2": "",
        "CustomField3": "",
        "CustomField4": "",
    }
    if trade.method == "ATM":
        days = int(trade.params.get("ExpireDate") or 3)
        fields.update(
            RtnCode="2",
            RtnMsg="Get VirtualAccount Succeeded",
            BankCode="812",
            vAccount="9103" + f"{secrets.randbelow(10**10):010d}",
            ExpireDate=(now + timedelta(days=days)).strftime("%Y/%m/%d"),
        )
    elif trade.method == "CVS":
        minutes = int(trade.params.get("StoreExpireDate") or 10080)
        fields.update(
            RtnCode="10100073",
            RtnMsg="Get CVS Code Succeeded.",
            PaymentNo="LLL" + f"{secrets.randbelow(10**11):011d}",
            ExpireDate=(now + timedelta(minutes=minutes)).strftime("%Y/%m/%d %H:%M:%S"),
            Barcode1="",
            Barcode2="",
            Barcode3="",
        )
    else:
        days = int(trade.params.get("StoreExpireDate") or 7)
        expiry = now + timedelta(days=days)
        fields.update(
            RtnCode="10100073",
            RtnMsg="Get CVS Code Succeeded.",
            PaymentNo="",
            ExpireDate=expiry.strftime("%Y/%m/%d %H:%M:%S"),
            Barcode1=expiry.strftime("%y%m%d") + "6KW",
            Barcode2=f"{secrets.randbelow(10**16):016d}",
            Barcode3=f"{secrets.randbelow(10**15):015d}",
        )
    return fields


def _send(trade: StandinTrade, url: str, fields: dict, knobs: set[str], note: str) -> None:
    """Send a signed callback, with what the knobs ask for: a forged copy first, a second copy,
    or nothing now (held, for the "send held messages" button)."""
    signed = _signed(trade, fields)
    if "hold" in knobs:
        trade.held = [*trade.held, {"url": url, "fields": signed, "note": note}]
        trade.save(update_fields=["held"])
        return
    if "forged" in knobs:
        forged = {**signed, "CheckMacValue": "0" * 64}
        post_form(trade, url, forged, note=f"{note} (forged CheckMacValue)")
    if "wrong_amount" in knobs:
        # Signed correctly, as by someone who knows the keys but changed the amount.
        altered = _signed(trade, {**fields, "TradeAmt": str(trade.amount + 1)})
        post_form(trade, url, altered, note=f"{note} (wrong amount)")
    post_form(trade, url, signed, note=note)
    if "duplicate" in knobs:
        post_form(trade, url, signed, note=f"{note} (duplicate)")


def _browser_back(request, trade: StandinTrade, url: str, fields: dict):
    """ECPay brings the buyer back with a form post of the (signed) result."""
    if not url:
        return redirect(trade.params.get("ClientBackURL") or "/")
    return render(
        request,
        "standins/post_back.html",
        {"action": url, "fields": _signed(trade, fields), "provider": "ECPay"},
    )


@require_http_methods(["GET", "POST"])
def page(request, trade_no):
    """The stand-in's payment page: the buyer pays (card), or gets an ATM account / store code."""
    _enabled()
    trade = get_object_or_404(StandinTrade, provider=PROVIDER, provider_trade_no=trade_no)
    if request.method == "GET":
        back_action, back_fields = trade.params.get("ClientBackURL", ""), {}
        if trade.status == StandinTrade.Status.ISSUED and trade.params.get("ClientRedirectURL"):
            back_action, back_fields = (
                trade.params["ClientRedirectURL"],
                _signed(trade, trade.issued),
            )
        return render(
            request,
            "standins/ecpay_page.html",
            {"trade": trade, "back_action": back_action, "back_fields": back_fields},
        )
    action = request.POST.get("action", "")
    knobs = set(request.POST.getlist("knob"))
    params = trade.params
    if action == "send_held":
        for held in trade.held:
            post_form(trade, held["url"], held["fields"], note=f"{held['note']} (late)")
        trade.held = []
        trade.save(update_fields=["held"])
        return redirect("standins:ecpay_page", trade_no=trade.provider_trade_no)
    if (
        action == "issue"
        and trade.method != "Credit"
        and trade.status == StandinTrade.Status.CREATED
    ):
        fields = _issue(trade)
        trade.status, trade.issued = StandinTrade.Status.ISSUED, fields
        trade.save(update_fields=["status", "issued"])
        _send(trade, params["PaymentInfoURL"], fields, knobs, "PaymentInfoURL")
        # The page now shows the number, with a way back to the shop and one to "transfer".
        return redirect("standins:ecpay_page", trade_no=trade.provider_trade_no)
    payable = (trade.method == "Credit" and trade.status == StandinTrade.Status.CREATED) or (
        trade.method != "Credit" and trade.status == StandinTrade.Status.ISSUED
    )
    if action in ("pay", "fail") and payable:
        paid = action == "pay"
        trade.status = StandinTrade.Status.PAID if paid else StandinTrade.Status.FAILED
        trade.save(update_fields=["status"])
        fields = _result_fields(
            trade, "1" if paid else "10100058", "交易成功" if paid else "付款失敗"
        )
        _send(trade, params["ReturnURL"], fields, knobs, "ReturnURL")
        if trade.method == "Credit":
            return _browser_back(request, trade, params.get("OrderResultURL", ""), fields)
        return redirect("standins:ecpay_page", trade_no=trade.provider_trade_no)
    return redirect("standins:ecpay_page", trade_no=trade.provider_trade_no)


def _api_answer(trade: StandinTrade | None, fields: dict) -> HttpResponse:
    if trade is not None:
        fields = _signed(trade, fields)
    return HttpResponse(urlencode(fields), content_type="text/html; charset=utf-8")


def _api_trade(data: dict) -> tuple[StandinTrade | None, str]:
    keys = _keys(data.get("MerchantID", ""))
    if keys is None:
        return None, "MerchantID Error"
    if not is_genuine(data, *keys):
        return None, "CheckMacValue Error"
    trade = StandinTrade.objects.filter(
        provider=PROVIDER, merchant_id=data["MerchantID"], trade_no=data.get("MerchantTradeNo", "")
    ).first()
    return trade, "" if trade else "Trade not found"


@csrf_exempt
@require_POST
def query(request):
    """QueryTradeInfo/V5: the trade's status (1 paid, 0 not yet), signed."""
    _enabled()
    trade, problem = _api_trade(request.POST.dict())
    if problem:
        return HttpResponse(f"Error: {problem}", content_type="text/plain", status=200)
    paid = trade.status in (StandinTrade.Status.PAID, StandinTrade.Status.REFUNDED)
    return _api_answer(
        trade,
        {
            "MerchantID": trade.merchant_id,
            "MerchantTradeNo": trade.trade_no,
            "StoreID": "",
            "TradeNo": trade.provider_trade_no,
            "TradeAmt": str(trade.amount),
            "PaymentDate": _now() if paid else "",
            "PaymentType": PAYMENT_TYPES[trade.method],
            "HandlingCharge": "0",
            "PaymentTypeChargeFee": "0",
            "TradeDate": trade.created_at.astimezone(TAIPEI).strftime("%Y/%m/%d %H:%M:%S"),
            "TradeStatus": "1" if paid else "0",
            "ItemName": trade.params.get("ItemName", ""),
            "CustomField1": trade.params.get("CustomField1", ""),
            "CustomField2": "",
            "CustomField3": "",
            "CustomField4": "",
        },
    )


@csrf_exempt
@require_POST
def do_action(request):
    """CreditDetail/DoAction: R (refund) or N (abandon) of a paid card trade."""
    _enabled()
    data = request.POST.dict()
    trade, problem = _api_trade(data)

    def answer(code, message):
        fields = {
            "MerchantID": data.get("MerchantID", ""),
            "MerchantTradeNo": data.get("MerchantTradeNo", ""),
            "TradeNo": data.get("TradeNo", ""),
            "RtnCode": code,
            "RtnMsg": message,
        }
        return HttpResponse(urlencode(fields), content_type="text/html; charset=utf-8")

    if problem:
        return answer("0", problem)
    if trade.method != "Credit" or data.get("TradeNo") != trade.provider_trade_no:
        return answer("0", "Trade not found")
    if data.get("Action") not in ("R", "N"):
        return answer("0", "Action not supported here")
    if str(trade.amount) != data.get("TotalAmount"):
        return answer("0", "TotalAmount Error")
    if trade.status != StandinTrade.Status.PAID:
        return answer("0", "Trade cannot be refunded in its status")
    trade.status = StandinTrade.Status.REFUNDED
    trade.log = [*trade.log, {"to": "DoAction", "note": data["Action"], "answer": "1 OK"}]
    trade.save(update_fields=["status", "log"])
    return answer("1", "OK")
