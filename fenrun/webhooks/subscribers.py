"""Domain events → webhook deliveries (wired in fenrun/wiring.py).

Each handler runs in the publisher's transaction and only writes rows; nothing is sent until the
transaction commits. A shop with no endpoint for an event pays one cache look-up for it.
"""

from fenrun.orders.status import OrderStatus
from fenrun.webhooks import payloads, services
from fenrun.webhooks.kinds import EventKind as K

ORDER_STATUS_EVENTS = {
    OrderStatus.PAID: K.ORDER_PAID,
    OrderStatus.SHIPPED: K.ORDER_SHIPPED,
    OrderStatus.COMPLETED: K.ORDER_COMPLETED,
    OrderStatus.REFUNDED: K.ORDER_REFUNDED,
}


def _record(kind, build, *args) -> None:
    endpoints = services.endpoints_for(kind)
    if endpoints:
        services.record(kind, build(*args), endpoints=endpoints)


def on_order_placed(event) -> None:
    _record(K.ORDER_PLACED, payloads.order, event.order_id)


def on_order_status_changed(event) -> None:
    kind = ORDER_STATUS_EVENTS.get(event.to_status)
    if kind is not None:
        _record(kind, payloads.order, event.order_id)


def on_commissions_created(event) -> None:
    endpoints = services.endpoints_for(K.COMMISSION_CREATED)
    if endpoints:
        for data in payloads.commissions(event.commission_ids):
            services.record(K.COMMISSION_CREATED, data, endpoints=endpoints)


def on_commission_released(event) -> None:
    endpoints = services.endpoints_for(K.COMMISSION_RELEASED)
    if endpoints:
        (data,) = payloads.commissions([event.commission_id])
        services.record(K.COMMISSION_RELEASED, data, endpoints=endpoints)


def on_commission_reversed(event) -> None:
    endpoints = services.endpoints_for(K.COMMISSION_REVERSED)
    if endpoints:
        (data,) = payloads.commissions([event.commission_id])
        data["commission"]["was_released"] = event.was_released
        services.record(K.COMMISSION_REVERSED, data, endpoints=endpoints)


def on_withdrawal_paid(event) -> None:
    _record(K.WITHDRAWAL_PAID, payloads.withdrawal, event.withdrawal_id)


def on_member_registered(request, user, referral_code) -> None:
    """A registration hook (after the sponsor is bound, in the registration's transaction)."""
    _record(K.MEMBER_JOINED, payloads.member, user)
