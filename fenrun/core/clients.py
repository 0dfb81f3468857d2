"""Who is asking: the client's address as the shop's rate limits and click counts see it."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The client's address, seen through ``FENRUN_PROXY_COUNT`` trusted reverse proxies.

    Each proxy appends the address it received the request from to X-Forwarded-For, so the
    entry that many places from the right is the one the outermost trusted proxy saw; anything
    further left was written by the client and could be forged. IPv6 clients are grouped by
    their /64 network, which one subscriber usually holds whole.
    """
    raw = request.META.get("REMOTE_ADDR", "")
    proxies = settings.FENRUN_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            raw = forwarded[-proxies]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
