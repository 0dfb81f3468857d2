"""Helpers for payment-provider tests: a configured provider, and an in-process HTTP transport.

``in_process_http`` routes every provider call (the shop to a stand-in, a stand-in back to the
shop) through Django's test client, so a whole ECPay or LINE Pay exchange runs inside one test
transaction without a socket.
"""

from decimal import Decimal

import httpx
import pytest
from django.test import Client

from fenrun.core import secrets
from fenrun.orders.gateways import http
from fenrun.orders.models import PaymentProvider

ECPAY_TEST_MERCHANT = ("3002607", "pwFHCqoQZGmho4w6", "EkRm7iFT261dpevs")
LINEPAY_STANDIN_CHANNEL = ("1657000000", "demo0linepay0channel0secret00000")


class DjangoClientTransport(httpx.BaseTransport):
    def __init__(self):
        self.client = Client()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in ("host", "content-length", "content-type", "cookie")
        }
        response = self.client.generic(
            request.method,
            request.url.raw_path.decode(),
            data=request.read(),
            content_type=request.headers.get("content-type", "application/octet-stream"),
            headers=headers,
        )
        return httpx.Response(
            response.status_code, headers=dict(response.items()), content=response.content
        )


@pytest.fixture
def in_process_http(monkeypatch, settings):
    settings.FENRUN_SITE_URL = "http://testserver"
    transport = DjangoClientTransport()
    monkeypatch.setattr(http, "transport", transport)
    return transport


def configure(code, merchant_id, key, iv="", *, methods, mode="standin", installments=()):
    return PaymentProvider.objects.update_or_create(
        code=code,
        defaults={
            "is_enabled": True,
            "mode": mode,
            "merchant_id": merchant_id,
            "key_encrypted": secrets.encrypt(key),
            "iv_encrypted": secrets.encrypt(iv),
            "methods": list(methods),
            "installments": list(installments),
        },
    )[0]


@pytest.fixture
def ecpay_provider(db):
    merchant, key, iv = ECPAY_TEST_MERCHANT
    return configure("ecpay", merchant, key, iv, methods=["card", "atm", "cvs", "barcode"])


@pytest.fixture
def linepay_provider(db):
    channel, secret = LINEPAY_STANDIN_CHANNEL
    return configure("linepay", channel, secret, methods=["linepay"])


def whole(amount) -> Decimal:
    return Decimal(amount).quantize(Decimal("1"))
