"""How invoices follow order events (connected in fenrun.wiring)."""

from fenrun.invoices import conf, services
from fenrun.orders.events import OrderPlaced, OrderStatusChanged

CONTEXT_KEY = "invoice_choice"


def on_order_placed(event: OrderPlaced) -> None:
    raw = event.context.get(CONTEXT_KEY)
    if raw:
        services.record_choice(event.order_id, raw)


def on_order_status_changed(event: OrderStatusChanged) -> None:
    if not conf.enabled():
        return
    if event.to_status in services.CANCELLING:
        services.order_cancelled(event.order_id)
    elif event.to_status in services.PROGRESS:
        services.order_progressed(event.order_id, event.to_status)
