"""The wallet's reactions to other apps' events (registered by fenrun.wiring).

They run inside the publisher's transaction: if the wallet refuses (e.g. not enough credit),
the order or commission change is rolled back with it.
"""

from fenrun.commissions.events import CommissionReleased, CommissionReversed
from fenrun.orders.events import OrderPlaced, OrderStatusChanged
from fenrun.orders.status import OrderStatus
from fenrun.wallet import services

# Statuses in which the buyer gets the shopping credit of the order back.
CREDIT_RETURNING = frozenset({OrderStatus.CANCELLED, OrderStatus.REFUNDED})


def on_commission_released(event: CommissionReleased) -> None:
    services.record_commission_release(
        commission_id=event.commission_id, payee_id=event.payee_id, amount=event.amount
    )


def on_commission_reversed(event: CommissionReversed) -> None:
    services.record_commission_reversal(
        commission_id=event.commission_id,
        payee_id=event.payee_id,
        amount=event.amount,
        was_released=event.was_released,
    )


def on_order_placed(event: OrderPlaced) -> None:
    services.spend_credit_for_order(event.order_id)


def on_order_status_changed(event: OrderStatusChanged) -> None:
    if event.to_status in CREDIT_RETURNING:
        services.refund_credit_for_order(event.order_id, actor_id=event.actor_id)
