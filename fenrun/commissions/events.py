"""Events the commissions app publishes."""

from dataclasses import dataclass


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
class CommissionsCreated:
    """A batch of orders was settled: these commission rows were written (held or released)."""

    commission_ids: tuple[int, ...]
