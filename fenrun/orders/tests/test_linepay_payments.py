"""LINE Pay v3 end to end through its local stand-in (Request → approve → Confirm → Refund)."""

import json
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from fenrun.orders.models import Order, Payment
from fenrun.orders.payments import reconcile_open_payments
from fenrun.orders.services import change_status
from fenrun.orders.status import OrderStatus
from fenrun.orders.tests.test_ecpay_payments import _checkout
from fenrun.standins.models import StandinTrade

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _to_linepay(client) -> tuple[Order, StandinTrade, str]:
    response = _checkout(client, "linepay.linepay")
    assert response.status_code == 302, response.content.decode()[:500]
    trade = StandinTrade.objects.get(provider="linepay")
    return Order.objects.get(), trade, response.url


def test_a_linepay_payment_is_requested_confirmed_once_and_pays_the_order(
    client, linepay_provider, in_process_http
):
    order, trade, url = _to_linepay(client)
    assert url == f"http://testserver/standin/linepay/pay/{trade.provider_trade_no}/"
    request = in_process_http.requests[0]
    body = json.loads(request.content)
    assert request.url.path == "/standin/linepay/v3/payments/request"
    assert body["amount"] == 1760 and body["currency"] == "TWD"
    assert body["orderId"] == order.payments.get().reference
    assert request.headers["X-LINE-ChannelId"] == "1657000000"
    assert request.headers["X-LINE-Authorization-Nonce"]
    assert request.headers["X-LINE-Authorization"]
    confirm = client.post(_path(url), {"action": "approve"})
    back = client.get(_path(confirm.url))
    assert back.url == reverse("orders:placed", args=[order.number])
    client.get(_path(confirm.url))  # the buyer's browser comes back a second time
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.status_changes.filter(to_status=OrderStatus.PAID).count() == 1
    confirms = [r for r in in_process_http.requests if r.url.path.endswith("/confirm")]
    assert len(confirms) == 1
    payment = order.payments.get()
    assert payment.provider_reference == trade.provider_trade_no


def test_the_stand_in_refuses_a_request_signed_with_another_secret(
    client, linepay_provider, in_process_http, settings
):
    settings.FENRUN_STANDIN_LINEPAY_CHANNELS = {"1657000000": "not0the0secret0the0shop0uses000"}
    response = _checkout(client, "linepay.linepay")
    order = Order.objects.get()
    assert response.url == reverse("orders:placed", args=[order.number])
    assert order.payments.get().status == Payment.Status.FAILED
    assert not StandinTrade.objects.exists()


def test_a_buyer_who_cancels_in_line_can_pay_again(client, linepay_provider, in_process_http):
    order, _trade, url = _to_linepay(client)
    cancel = client.post(_path(url), {"action": "cancel"})
    client.get(_path(cancel.url))
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert order.payments.get().status == Payment.Status.FAILED
    again = client.post(reverse("orders:pay", args=[order.number]))
    assert again.status_code == 302 and "/standin/linepay/pay/" in again.url


def test_a_confirm_that_never_happened_is_made_by_the_query_job(
    client, linepay_provider, in_process_http
):
    order, trade, url = _to_linepay(client)
    client.post(_path(url), {"action": "approve"})  # approved; the browser never comes back
    assert reconcile_open_payments(now=timezone.now() + timedelta(minutes=11)) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    trade.refresh_from_db()
    assert trade.status == StandinTrade.Status.PAID


def test_refunding_the_order_refunds_it_at_linepay(
    client, linepay_provider, in_process_http, django_capture_on_commit_callbacks
):
    order, trade, url = _to_linepay(client)
    confirm = client.post(_path(url), {"action": "approve"})
    client.get(_path(confirm.url))
    with django_capture_on_commit_callbacks(execute=True):
        change_status(Order.objects.get(pk=order.pk), OrderStatus.REFUNDED)
    payment = order.payments.get()
    assert payment.refunded_at is not None and payment.refund_reference
    trade.refresh_from_db()
    assert trade.status == StandinTrade.Status.REFUNDED
    assert payment.amount == Decimal(trade.amount)
