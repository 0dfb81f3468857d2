"""Background work of the orders app."""

from celery import shared_task

from fenrun.orders.services import expire_unpaid_orders as expire


@shared_task
def expire_unpaid_orders() -> int:
    """Cancel orders whose payment deadline has passed (stock and credit return, buyer told)."""
    return expire()
