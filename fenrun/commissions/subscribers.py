"""What the commissions app does when orders change (registered in fenrun.wiring).

Handlers run inside the order's transaction: if one fails, the status change fails with it.
"""

from fenrun.commissions import services
from fenrun.commissions.models import CommissionSettings
from fenrun.orders.events import OrderPlaced, OrderStatusChanged
from fenrun.orders.status import OrderStatus

REVERSING = {OrderStatus.REFUNDED, OrderStatus.RETURNED}


def on_order_placed(event: OrderPlaced) -> None:
    """Pin the plan versions in force now: later plan changes never touch this order."""
    services.record_line_plans(event.order_id)


def on_order_status_changed(event: OrderStatusChanged) -> None:
    if event.to_status == OrderStatus.COMPLETED:
        if CommissionSettings.load().automatic:
            services.create_commissions_for_order(event.order_id, automatic=True)
    elif event.to_status in REVERSING:
        # completed → returned/refunded, or returned → refunded (then nothing is left to reverse).
        services.reverse_commissions_for_order(event.order_id)
