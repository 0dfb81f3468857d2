"""The HTTP client every provider call goes through: one place for timeouts (and for tests).

Tests put an in-process transport in ``transport`` so that calls to the stand-ins and their
callbacks to the shop run through Django's test client instead of a socket.
"""

import httpx
from django.conf import settings

transport: httpx.BaseTransport | None = None


def client() -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(settings.FENRUN_PAYMENT_HTTP_TIMEOUT),
        transport=transport,
        follow_redirects=False,
    )
