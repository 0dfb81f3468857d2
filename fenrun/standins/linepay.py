"""A local stand-in for LINE Pay's Online API v3: Request, the buyer's approval page, Confirm,
Check payment status and Refund.

Every API call must carry X-LINE-ChannelId of a channel it knows, a nonce and an
X-LINE-Authorization that matches the channel secret over path + body (or query) + nonce;
anything else gets LINE Pay's kind of error answer.
"""

import json
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fenrun.orders.gateways.linepay_signature import is_genuine
from fenrun.standins.models import StandinTrade

PROVIDER = "linepay"
PREFIX = "/standin/linepay"


def _enabled():
    if not settings.FENRUN_STANDINS_ENABLED:
        raise Http404


def _error(code: str, message: str) -> JsonResponse:
    return JsonResponse({"returnCode": code, "returnMessage": message})


def _authenticated(request, signed_part: str) -> str | None:
    """The channel id when the request's signature is right; None otherwise."""
    channel = request.headers.get("X-LINE-ChannelId", "")
    secret = settings.FENRUN_STANDIN_LINEPAY_CHANNELS.get(channel)
    if secret is None:
        return None
    path = request.path.removeprefix(PREFIX)
    nonce = request.headers.get("X-LINE-Authorization-Nonce", "")
    if not is_genuine(
        secret, path, signed_part, nonce, request.headers.get("X-LINE-Authorization", "")
    ):
        return None
    return channel


def _body(request) -> dict | None:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _trade(channel: str, transaction_id: str) -> StandinTrade | None:
    return StandinTrade.objects.filter(
        provider=PROVIDER, merchant_id=channel, provider_trade_no=transaction_id
    ).first()


def _called_trade(request, transaction_id, signed_part: str):
    """(trade, None) for a signed call about a known transaction; else (None, LINE Pay's error)."""
    channel = _authenticated(request, signed_part)
    if channel is None:
        return None, _error("1106", "Header information error.")
    trade = _trade(channel, transaction_id)
    if trade is None:
        return None, _error("1150", "Transaction record not found.")
    return trade, None


@csrf_exempt
@require_POST
def request_api(request):
    _enabled()
    channel = _authenticated(request, request.body.decode("utf-8", "replace"))
    if channel is None:
        return _error("1106", "Header information error.")
    body = _body(request)
    if body is None:
        return _error("1104", "Malformed body.")
    try:
        amount = int(body["amount"])
        packages = body["packages"]
        package_total = sum(int(p["amount"]) for p in packages)
        product_total = sum(
            int(item["price"]) * int(item["quantity"]) for p in packages for item in p["products"]
        )
        confirm_url = str(body["redirectUrls"]["confirmUrl"])
        order_id = str(body["orderId"])
    except (KeyError, TypeError, ValueError):
        return _error("1104", "Mandatory parameter missing or malformed.")
    if body.get("currency") != "TWD" or amount <= 0:
        return _error("1124", "Amount or currency error.")
    if amount != package_total or package_total != product_total:
        return _error("1163", "The amount does not add up.")
    transaction_id = "2025" + f"{secrets.randbelow(10**15):015d}"
    try:
        with transaction.atomic():
            StandinTrade.objects.create(
                provider=PROVIDER,
                merchant_id=channel,
                trade_no=order_id,
                provider_trade_no=transaction_id,
                amount=amount,
                method="linepay",
                params={**body, "confirmUrl": confirm_url},
            )
    except IntegrityError:
        return _error("1172", "There is a record of transaction with the same order number.")
    web = request.build_absolute_uri(f"{PREFIX}/pay/{transaction_id}/")
    return JsonResponse(
        {
            "returnCode": "0000",
            "returnMessage": "Success.",
            "info": {
                "paymentUrl": {"web": web, "app": f"line://pay/payment/{transaction_id}"},
                "transactionId": int(transaction_id),
                "paymentAccessToken": f"{secrets.randbelow(10**12):012d}",
            },
        }
    )


@require_http_methods(["GET", "POST"])
def page(request, transaction_id):
    """The buyer approves (or cancels) the payment, as in the LINE app, and is sent back."""
    _enabled()
    trade = get_object_or_404(StandinTrade, provider=PROVIDER, provider_trade_no=transaction_id)
    if request.method == "GET":
        return render(request, "standins/linepay_page.html", {"trade": trade})
    query = urlencode({"transactionId": trade.provider_trade_no, "orderId": trade.trade_no})
    if request.POST.get("action") == "approve" and trade.status == StandinTrade.Status.CREATED:
        trade.status = StandinTrade.Status.AUTHORISED
        trade.save(update_fields=["status"])
        return redirect(f"{trade.params['confirmUrl']}?{query}")
    if trade.status == StandinTrade.Status.CREATED:
        trade.status = StandinTrade.Status.FAILED
        trade.save(update_fields=["status"])
    return redirect(f"{trade.params['redirectUrls']['cancelUrl']}?{query}")


@csrf_exempt
@require_POST
def confirm_api(request, transaction_id):
    _enabled()
    trade, refused = _called_trade(request, transaction_id, request.body.decode("utf-8", "replace"))
    if refused:
        return refused
    body = _body(request) or {}
    if str(body.get("amount")) != str(trade.amount) or body.get("currency") != "TWD":
        return _error("1124", "Amount info error.")
    if trade.status == StandinTrade.Status.PAID:
        return _error("1172", "Existing same orderId.")
    if trade.status != StandinTrade.Status.AUTHORISED:
        return _error("1150", "Transaction record not found.")
    trade.status = StandinTrade.Status.PAID
    trade.save(update_fields=["status"])
    return JsonResponse(
        {
            "returnCode": "0000",
            "returnMessage": "Success.",
            "info": {
                "orderId": trade.trade_no,
                "transactionId": int(trade.provider_trade_no),
                "payInfo": [{"method": "BALANCE", "amount": trade.amount}],
            },
        }
    )


@require_GET
def check_api(request, transaction_id):
    _enabled()
    trade, refused = _called_trade(request, transaction_id, request.META.get("QUERY_STRING", ""))
    if refused:
        return refused
    code = {
        StandinTrade.Status.CREATED: "0000",
        StandinTrade.Status.AUTHORISED: "0110",
        StandinTrade.Status.PAID: "0123",
        StandinTrade.Status.REFUNDED: "0123",
    }.get(trade.status, "0121")
    return _error(code, "Success.")


@csrf_exempt
@require_POST
def refund_api(request, transaction_id):
    _enabled()
    trade, refused = _called_trade(request, transaction_id, request.body.decode("utf-8", "replace"))
    if refused:
        return refused
    body = _body(request) or {}
    if trade.status == StandinTrade.Status.REFUNDED:
        return _error("1165", "Transaction already refunded.")
    if trade.status != StandinTrade.Status.PAID:
        return _error("1150", "Transaction record not found.")
    if int(body.get("refundAmount") or trade.amount) != trade.amount:
        return _error("1124", "Partial refunds are not supported by this stand-in.")
    trade.status = StandinTrade.Status.REFUNDED
    trade.save(update_fields=["status"])
    return JsonResponse(
        {
            "returnCode": "0000",
            "returnMessage": "Success.",
            "info": {"refundTransactionId": int("2026" + f"{secrets.randbelow(10**15):015d}")},
        }
    )
