"""Webhook deliveries as jobs: each sent once committed, retries swept every minute."""

from celery import shared_task

from fenrun.webhooks import services


@shared_task(ignore_result=True)
def send_webhook(delivery_id: int) -> str | None:
    return services.send(delivery_id)


@shared_task(ignore_result=True)
def replay_webhook(delivery_id: int) -> str | None:
    return services.send(delivery_id, replay=True)


@shared_task(ignore_result=True)
def send_due_webhooks() -> int:
    """Queue every delivery whose (re)try is due, one task each, so one slow endpoint delays
    only its own deliveries. Each is claimed when sent: a delivery queued twice posts once."""
    ids = services.due_ids()
    for delivery_id in ids:
        send_webhook.delay(delivery_id)
    return len(ids)
