"""Background work of the commissions app."""

from celery import shared_task

from fenrun.commissions.services import release_due_commissions


@shared_task
def release_held_commissions() -> int:
    """Make bonuses whose hold period has ended spendable.

    Safe to run twice or on two machines at once: each commission row is locked (SKIP LOCKED)
    and moved from pending only once.
    """
    return release_due_commissions()
