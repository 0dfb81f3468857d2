"""The wallet's reactions to other apps' events (registered by fenrun.wiring).

They run inside the publisher's transaction: if the wallet refuses (e.g. not enough credit),
the order or commission change is rolled back with it.
"""

from fenrun.commissions.events import CommissionReleased, CommissionReversed
from fenrun.orders.events import OrderPlaced, OrderStatusChanged
from fenrun.orders.services import record_credit_split
from fenrun.orders.status import OrderStatus
from fenrun.wallet import services
from fenrun.wallet.models import WalletSettings

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
    spent = services.spend_credit_for_order(event.order_id)
    if spent is not None:
        # The order keeps what the credit paid for under the rule spend_credit_for_order just
        # applied, so a later change of the setting cannot change its commission base.
        record_credit_split(
            event.order_id,
            credit_covers_shipping=WalletSettings.load().credit_covers_shipping,
        )


def on_order_status_changed(event: OrderStatusChanged) -> None:
    if event.to_status in CREDIT_RETURNING:
        services.refund_credit_for_order(event.order_id, actor_id=event.actor_id)
