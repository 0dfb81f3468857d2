"""Events the wallet app publishes."""

from dataclasses import dataclass


@dataclass(frozen=True)
class WithdrawalPaid:
    """Staff recorded the bank transfer of a withdrawal: the money left the shop."""

    withdrawal_id: int
    member_id: int
