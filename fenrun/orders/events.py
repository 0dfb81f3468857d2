"""Events the orders app publishes."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OrderStatusChanged:
    order_id: int
    from_status: str
    to_status: str
    actor_id: int | None


@dataclass(frozen=True)
class OrderPlaced:
    """An order was created; ``context`` carries what the request knew (referral cookie, IP)."""

    order_id: int
    context: dict = field(default_factory=dict)
