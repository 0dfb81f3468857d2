"""How the stand-ins call the shop back, server to server, as the providers do (httpx)."""

import httpx

from fenrun.orders.gateways import http
from fenrun.standins.models import StandinTrade


def post_form(trade: StandinTrade, url: str, fields: dict, *, note: str = "") -> str:
    """POST ``fields`` to ``url``; keep what was answered in the trade's log and return it."""
    try:
        with http.client() as client:
            response = client.post(url, data=fields)
        answer = f"{response.status_code} {response.text[:200]}"
    except httpx.HTTPError as exc:
        answer = f"error {exc.__class__.__name__}"
    trade.log = [*trade.log, {"to": url, "note": note, "answer": answer}]
    trade.save(update_fields=["log"])
    return answer
