"""Background work of the orders app."""

from celery import shared_task

from fenrun.orders import notifications, payments
from fenrun.orders.services import expire_unpaid_orders as expire


@shared_task
def expire_unpaid_orders() -> int:
    """Cancel orders whose payment deadline has passed (stock and credit return, buyer told)."""
    return expire()


@shared_task(bind=True, max_retries=5)
def send_order_mail(self, kind: str, *args) -> None:
    """An order's e-mail, sent by the worker once the order's transaction has committed.

    Each recipient's mail is sent once (notifications claims a key first). A mail server that
    fails is tried again after 1, 2, 4, 8 and 16 minutes; the failure is logged each time and
    never reaches the order.
    """
    try:
        notifications.send(kind, *args)
    except Exception:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            return
        raise self.retry(countdown=60 * 2**self.request.retries) from None


@shared_task
def reconcile_payments() -> int:
    """Ask the providers about open payments whose result never arrived (QueryTradeInfo...)."""
    return payments.reconcile_open_payments()


@shared_task
def refund_order_payment(order_id: int) -> None:
    """Give a refunded or cancelled order's payment back through its provider."""
    payments.refund_order_payment(order_id)
