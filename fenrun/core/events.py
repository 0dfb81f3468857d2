"""A small synchronous domain-event bus.

Events are plain frozen dataclasses. ``publish`` calls each subscriber in registration order,
in the caller's transaction: a subscriber that raises rolls the whole change back.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

_subscribers: dict[type, list[Callable]] = defaultdict(list)


def subscribe(event_type: type, handler: Callable) -> None:
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)


def unsubscribe(event_type: type, handler: Callable) -> None:
    if handler in _subscribers[event_type]:
        _subscribers[event_type].remove(handler)


def subscribers(event_type: type) -> list[Callable]:
    return list(_subscribers[event_type])


def publish(event) -> None:
    for handler in list(_subscribers[type(event)]):
        handler(event)


@dataclass(frozen=True)
class OrderStatusChanged:
    order_id: int
    from_status: str
    to_status: str
    actor_id: int | None


@dataclass(frozen=True)
class CommissionReleased:
    """A commission's hold period ended (or it had none): its coins become spendable."""

    commission_id: int
    payee_id: int
    amount: object  # Decimal


@dataclass(frozen=True)
class CommissionReversed:
    """A commission was clawed back; ``was_released`` says whether its coins had been paid."""

    commission_id: int
    payee_id: int
    amount: object  # Decimal
    was_released: bool


@dataclass(frozen=True)
class SubtreeMoved:
    """A member (with everything below them) now hangs elsewhere in the referral tree.

    Paths and depths are the member's own before and after; the descendants moved with them.
    """

    member_id: int
    old_path: str
    old_depth: int
    new_path: str
    new_depth: int
