"""Referrals listen to orders being placed: the attribution is fixed at placement time."""

from fenrun.orders.events import OrderPlaced
from fenrun.referrals.services import attribute_order


def on_order_placed(event: OrderPlaced) -> None:
    attribute_order(event.order_id, (event.context or {}).get("attribution"))
