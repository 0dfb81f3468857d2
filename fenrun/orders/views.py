"""Checkout, the order-placed page, the way to the payment provider and the providers'
callbacks (ECPay, LINE Pay, the test gateway).

Prices never come from the browser: every total shown or charged is rebuilt from the cart and
today's prices by fenrun.orders.pricing, and place_order recomputes them again under lock.
"""

import json
import logging
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fenrun.core.errors import DomainError, add_to_form
from fenrun.core.money import ZERO, format_twd, to_decimal
from fenrun.orders.addresses import district_lists
from fenrun.orders.cart import cart_lines, get_cart, quote_lines
from fenrun.orders.forms import CheckoutForm
from fenrun.orders.gateways import enabled_options, find_option
from fenrun.orders.gateways.base import FormPost, ProviderUnavailable
from fenrun.orders.gateways.ecpay import ECPayGateway
from fenrun.orders.gateways.linepay import LinePayGateway
from fenrun.orders.models import Order, Payment, PaymentMethod, ShippingMethod
from fenrun.orders.payments import (
    CallbackError,
    PaymentError,
    TestGateway,
    gateway_for,
    record_callback,
    start_payment,
)
from fenrun.orders.pricing import Quote, apply_credit, build_quote
from fenrun.orders.services import (
    AlreadyPlacedError,
    CheckoutError,
    Recipient,
    order_placed_with,
    place_order,
)
from fenrun.orders.status import OrderStatus

logger = logging.getLogger(__name__)

SESSION_ORDERS = "fenrun_placed_orders"
SESSION_ORDERS_KEPT = 20

# ``fenrun.wiring`` appends the wallet's callable (request, quote) -> Decimal: the most shopping
# credit this buyer may spend on this order, already capped by the shop's rules. With none,
# checkout offers no credit. The first provider answers.
CREDIT_PROVIDERS: list[Callable[..., Decimal]] = []


def credit_available(request, quote: Quote) -> Decimal:
    if not request.user.is_authenticated:
        return Decimal("0")
    for provider in CREDIT_PROVIDERS:
        return Decimal(provider(request, quote) or 0)
    return Decimal("0")


def credit_preview(raw, available: Decimal) -> tuple[Decimal, str]:
    """The credit the summary shows for what the buyer typed, and why it differs, if it does.

    Only a preview: the form refuses what is not allowed when the order is placed, and the
    wallet checks again under lock.
    """
    raw = str(raw or "").strip()
    if not raw or available <= 0:
        return ZERO, ""
    try:
        value = to_decimal(raw)
    except ValueError:
        value = None
    if value is None or value < 0 or value != value.to_integral_value():
        return ZERO, _("Enter the credit in whole NT dollars.")
    if value > available:
        return available, _("At most %(amount)s can be used on this order.") % {
            "amount": format_twd(available)
        }
    return value, ""


def summary_context(request, lines, method, raw_credit=None) -> dict:
    """What the order summary shows: every amount computed here, from the cart and prices."""
    quote = build_quote(quote_lines(lines), method)
    available = credit_available(request, quote)
    credit, credit_note = credit_preview(raw_credit, available)
    return {
        "lines": lines,
        "quote": apply_credit(quote, credit),
        "selected_method": method,
        "credit_available": available,
        "credit_note": credit_note,
    }


def remember_order(request, order: Order) -> None:
    """Guests see their order later in the same session; keep the last few numbers."""
    numbers = [n for n in request.session.get(SESSION_ORDERS, []) if n != order.number]
    request.session[SESSION_ORDERS] = [order.number, *numbers][:SESSION_ORDERS_KEPT]


def visible_order(request, number: str) -> Order:
    """The order if this visitor placed it (member) or placed it in this session (guest); else 404."""
    order = (
        Order.objects.select_related("shipping_method")
        .prefetch_related("lines", "payments")
        .filter(number=number)
        .first()
    )
    if order is None:
        raise Http404(_("No such order."))
    user = request.user
    owns = user.is_authenticated and order.user_id == user.pk
    if not owns and (
        order.user_id is not None or number not in request.session.get(SESSION_ORDERS, [])
    ):
        raise Http404(_("No such order."))
    return order


def _initial(request, methods) -> dict:
    initial = {"payment_method": PaymentMethod.ATM}
    if methods:
        initial["shipping_method"] = methods[0].pk
    user = request.user
    if user.is_authenticated:
        initial.update(email=user.email, recipient_name=user.name, recipient_phone=user.phone)
        last = Order.objects.filter(user=user).first()
        if last is not None:
            # Members usually ship to the same place: start from their last order.
            initial.update(
                recipient_name=last.recipient_name,
                recipient_phone=last.recipient_phone,
                county=last.county,
                district=last.district,
                street=last.street,
                postal_code=last.postal_code,
                cvs_store_name=last.cvs_store_name,
                cvs_store_id=last.cvs_store_id,
            )
    return initial


def _recipient(data: dict) -> Recipient:
    return Recipient(
        name=data["recipient_name"],
        phone=data["recipient_phone"],
        email=data["email"],
        county=data.get("county") or "",
        district=data.get("district") or "",
        street=data.get("street") or "",
        postal_code=data.get("postal_code") or "",
        cvs_store_name=data.get("cvs_store_name") or "",
        cvs_store_id=data.get("cvs_store_id") or "",
        note=data.get("note") or "",
    )


def _method_from(raw, methods: list[ShippingMethod]) -> ShippingMethod | None:
    """The shipping method the buyer picked, for the summary; the first one if none or unknown."""
    raw = str(getattr(raw, "pk", raw) or "")
    return next((m for m in methods if str(m.pk) == raw), methods[0] if methods else None)


# Fields named by CheckoutError that the form calls differently.
ERROR_FIELDS = {"credit": "credit_to_use"}


def _on_form_fields(exc: CheckoutError) -> DomainError:
    errors = {ERROR_FIELDS.get(field, field): messages for field, messages in exc.errors.items()}
    return DomainError(exc.message, errors=errors, code=exc.code, status=exc.status)


def _after_placing(request, order: Order, *, repeated: bool = False):
    """Where the buyer goes once their order exists: its payment, or its page.

    A repeated submission of the same checkout form lands in the same place as the first (the
    browser shows the last answer of a double click), on the payment already opened for it.
    """
    remember_order(request, order)
    if repeated:
        messages.info(request, _("This order was already placed; here it is."))
    if order.payment_method == PaymentMethod.GATEWAY and order.grand_total > 0:
        return to_provider(request, order)
    return redirect("orders:placed", number=order.number)


def payment_choices() -> list[tuple[str, str]]:
    """The ways to pay checkout offers: bank transfer, cash on delivery, and each enabled
    provider's methods (``<provider>.<method>``)."""
    return [
        (PaymentMethod.ATM.value, PaymentMethod.ATM.label),
        (PaymentMethod.COD.value, PaymentMethod.COD.label),
        *((option.code, option.label) for option in enabled_options()),
    ]


def payment_descriptions() -> dict[str, str]:
    return {option.code: option.method.description for option in enabled_options()}


def _payment_fields(choice: str) -> tuple[str, str]:
    """The order's payment method and online option for what the buyer chose."""
    if choice in (PaymentMethod.ATM, PaymentMethod.COD):
        return choice, ""
    option = find_option(choice)
    if option is None:
        return choice, ""  # place_order refuses it
    return PaymentMethod.GATEWAY, option.code


@require_http_methods(["GET", "POST"])
def checkout(request):
    buyer = request.user if request.user.is_authenticated else None
    if request.method == "POST":
        earlier = order_placed_with(request.POST.get("token", ""), buyer)
        if earlier is not None:
            return _after_placing(request, earlier, repeated=True)
    cart = get_cart(request)
    lines = cart_lines(cart)
    if not lines:
        messages.info(request, _("Your cart is empty."))
        return redirect("storefront:cart")
    methods = list(ShippingMethod.objects.filter(is_active=True))
    if request.method == "POST":
        method = _method_from(request.POST.get("shipping_method"), methods)
    else:
        initial = _initial(request, methods)
        method = _method_from(initial.get("shipping_method"), methods)
    summary = summary_context(request, lines, method, request.POST.get("credit_to_use"))
    credit = summary["credit_available"]
    if request.method == "GET":
        form = CheckoutForm(
            initial=initial,
            credit_available=credit,
            payment=payment_choices(),
            payment_descriptions=payment_descriptions(),
        )
    else:
        form = CheckoutForm(
            request.POST,
            credit_available=credit,
            payment=payment_choices(),
            payment_descriptions=payment_descriptions(),
        )
        if form.is_valid():
            data = form.cleaned_data
            payment_method, payment_option = _payment_fields(data["payment_method"])
            try:
                order = place_order(
                    items=[(line.product_id, line.quantity) for line in lines],
                    recipient=_recipient(data),
                    shipping_method=data["shipping_method"],
                    payment_method=payment_method,
                    payment_option=payment_option,
                    user=buyer,
                    cart=cart,
                    context={
                        "attribution": getattr(request, "attribution", None),
                        **form.placement_context(),
                    },
                    credit_to_use=data.get("credit_to_use") or Decimal("0"),
                    checkout_token=data["token"],
                )
            except AlreadyPlacedError as exc:
                return _after_placing(request, exc.order, repeated=True)
            except CheckoutError as exc:
                if exc.code == "cart_changed":
                    # What the page showed is no longer the cart: show the cart as it is now.
                    messages.error(request, exc.message)
                    return redirect("orders:checkout")
                add_to_form(form, _on_form_fields(exc))
            else:
                return _after_placing(request, order)
    return render(
        request,
        "orders/checkout.html",
        {
            **summary,
            "form": form,
            "shipping_methods": methods,
            "district_lists": district_lists(),
        },
    )


@require_GET
def checkout_summary(request):
    """The order summary for the shipping method and credit the buyer has chosen so far.

    htmx swaps it in as the buyer picks a method or types an amount of credit, so the totals
    shown are always the server's.
    """
    lines = cart_lines(get_cart(request))
    methods = list(ShippingMethod.objects.filter(is_active=True))
    method = _method_from(request.GET.get("shipping_method"), methods)
    context = summary_context(request, lines, method, request.GET.get("credit_to_use"))
    return render(request, "orders/_checkout_summary.html", {**context, "swap_credit_limit": True})


def placed(request, number):
    order = visible_order(request, number)
    payment = next(iter(order.payments.all()), None)  # newest first
    return render(
        request,
        "orders/placed.html",
        {
            "order": order,
            "payment": payment,
            "bank": settings.FENRUN_BANK_TRANSFER,
            # An issued ATM account or store code is what the buyer pays with: no second one.
            "can_pay": order.payment_method == PaymentMethod.GATEWAY
            and order.status == OrderStatus.PENDING
            and order.grand_total > 0
            and order.issued_payment is None,
        },
    )


@require_POST
def pay(request, number):
    """Pay a pending order: the payment still open for it, else a new one (after a failed or
    abandoned one)."""
    return to_provider(request, visible_order(request, number))


@require_GET
def pay_go(request, number):
    """The way to the provider as a link (the order page's, a mail's)."""
    return to_provider(request, visible_order(request, number))


def to_provider(request, order: Order):
    """Send the buyer to the provider: a redirect, or the provider's auto-submitted form."""
    try:
        gateway, method = gateway_for(order)
        payment = start_payment(gateway, order, method)
        step = gateway.checkout_step(payment)
    except CallbackError:
        messages.error(request, _("This payment method is no longer available."))
        return redirect("orders:placed", number=order.number)
    except (PaymentError, ProviderUnavailable) as exc:
        logger.warning("order %s: payment could not start: %s", order.number, exc.message)
        messages.info(request, exc.message)
        return redirect("orders:placed", number=order.number)
    if isinstance(step, FormPost):
        return render(
            request,
            "orders/provider_redirect.html",
            {"order": order, "action": step.url, "fields": step.fields, "gateway": gateway},
        )
    return redirect(step.url)


def _test_gateway_enabled() -> bool:
    return getattr(settings, "FENRUN_TEST_GATEWAY_ENABLED", True)


@require_http_methods(["GET", "POST"])
def test_gateway(request, reference):
    """Stands in for a real gateway's payment page: the buyer pays or fails, then comes back.

    On "pay" or "fail" it sends the signed server-to-server callback a real gateway would send,
    through the same code path as /pay/test/callback/, then redirects the buyer to the shop.
    """
    if not _test_gateway_enabled():
        raise Http404
    payment = (
        Payment.objects.select_related("order")
        .filter(reference=reference, gateway=TestGateway.code)
        .first()
    )
    if payment is None:
        raise Http404(_("No such payment."))
    if request.method == "POST" and payment.status == Payment.Status.STARTED:
        result = "success" if request.POST.get("result") == "success" else "fail"
        gateway = TestGateway()
        payload = {"reference": payment.reference, "result": result, "amount": str(payment.amount)}
        try:
            payment = record_callback(gateway, payload, gateway.sign(payload))
        except CallbackError:
            messages.error(request, _("The payment could not be recorded. Please try again."))
        else:
            if payment.status == Payment.Status.REFUNDED:
                messages.warning(
                    request,
                    _("This order no longer needed paying: this payment has been refunded."),
                )
            elif payment.status == Payment.Status.DUPLICATE:
                messages.warning(
                    request,
                    _("This order no longer needed paying: this payment will be refunded."),
                )
            elif result == "success":
                messages.success(request, _("Payment received. Thank you!"))
            else:
                messages.error(request, _("The payment failed. You can try again."))
        return redirect("orders:placed", number=payment.order.number)
    if request.method == "POST":
        return redirect("orders:placed", number=payment.order.number)
    return render(request, "orders/test_gateway.html", {"payment": payment, "order": payment.order})


# A gateway's callback is a few hundred bytes; anything much larger is not one.
CALLBACK_MAX_BYTES = 64 * 1024


def _callback_body(request) -> tuple[dict, str]:
    if len(request.body) > CALLBACK_MAX_BYTES:
        raise ValueError("body too large")
    if request.content_type == "application/json":
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError("not an object")
        payload, signature = body.get("payload"), body.get("signature", "")
    else:
        payload = json.loads(request.POST.get("payload") or "null")
        signature = request.POST.get("signature", "")
    if not isinstance(payload, dict) or not isinstance(signature, str):
        raise ValueError("payload must be an object")
    return payload, signature


@csrf_exempt
@require_POST
def test_gateway_callback(request):
    """The gateway's signed server callback: 200 "OK" once applied (and on repeats), 400 if not."""
    if not _test_gateway_enabled():
        raise Http404
    try:
        payload, signature = _callback_body(request)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: JSON nested thousands deep; no gateway sends that.
        return HttpResponseBadRequest("malformed body", content_type="text/plain")
    try:
        record_callback(TestGateway(), payload, signature)
    except CallbackError as exc:
        return HttpResponseBadRequest(exc.message, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")


# ECPay -------------------------------------------------------------------------------------

ECPAY_OK = "1|OK"


@csrf_exempt
@require_POST
def ecpay_callback(request):
    """ECPay's server-to-server ReturnURL (the result) and PaymentInfoURL (number issued).

    Answered ``1|OK`` once applied and on every repeat, as ECPay expects (it retries until it
    gets it); a refused message changes nothing, is logged, and gets ``0|<reason>``.
    """
    if len(request.body) > CALLBACK_MAX_BYTES:
        return HttpResponseBadRequest("0|body too large", content_type="text/plain")
    try:
        record_callback(ECPayGateway(), request.POST.dict())
    except CallbackError as exc:
        return HttpResponseBadRequest(f"0|{exc.message}", content_type="text/plain")
    return HttpResponse(ECPAY_OK, content_type="text/plain")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def ecpay_result(request):
    """Where ECPay sends the buyer back (OrderResultURL, ClientRedirectURL): their order page.

    What the browser brings is not trusted for money: the order page shows what ECPay's server
    message recorded. A 303 turns ECPay's cross-site POST into a GET, so the session cookie
    that lets a guest see their order comes along.
    """
    data = request.POST.dict() or request.GET.dict()
    payment = (
        Payment.objects.select_related("order")
        .filter(gateway=ECPayGateway.code, reference=str(data.get("MerchantTradeNo", ""))[:64])
        .first()
    )
    if payment is None:
        return redirect("storefront:home")
    response = redirect("orders:placed", number=payment.order.number)
    response.status_code = 303
    return response


# LINE Pay ----------------------------------------------------------------------------------


@require_GET
def linepay_confirm(request):
    """LINE Pay sends the buyer here after they approved: our Confirm call takes the money."""
    reference = str(request.GET.get("orderId", ""))[:64]
    payment = (
        Payment.objects.select_related("order")
        .filter(gateway=LinePayGateway.code, reference=reference)
        .first()
    )
    if payment is None:
        raise Http404(_("No such payment."))
    if payment.status == Payment.Status.STARTED:
        try:
            payment = record_callback(LinePayGateway(), request.GET.dict())
        except CallbackError:
            payment.refresh_from_db()
        except ProviderUnavailable:
            messages.warning(
                request,
                _("LINE Pay did not answer. We will check the payment and update your order."),
            )
            return redirect("orders:placed", number=payment.order.number)
    if payment.status == Payment.Status.SUCCEEDED:
        messages.success(request, _("Payment received. Thank you!"))
    elif payment.status == Payment.Status.FAILED:
        messages.error(request, _("The payment failed. You can try again."))
    elif payment.status in (Payment.Status.DUPLICATE, Payment.Status.REFUNDED):
        messages.warning(
            request, _("This order no longer needed paying: this payment will be refunded.")
        )
    return redirect("orders:placed", number=payment.order.number)


@require_GET
def linepay_cancel(request):
    """The buyer turned the payment down in LINE: their order waits, and can be paid again."""
    payment = (
        Payment.objects.select_related("order")
        .filter(gateway=LinePayGateway.code, reference=str(request.GET.get("orderId", ""))[:64])
        .first()
    )
    if payment is None:
        return redirect("storefront:home")
    Payment.objects.filter(pk=payment.pk, status=Payment.Status.STARTED).update(
        status=Payment.Status.FAILED
    )
    messages.info(request, _("The LINE Pay payment was cancelled. You can try again."))
    return redirect("orders:placed", number=payment.order.number)
