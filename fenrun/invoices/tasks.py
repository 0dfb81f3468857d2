"""Invoice jobs: each issue, correction and allowance once its order's transaction commits,
and a sweep every minute for what failed and is due again (see services)."""

from celery import shared_task

from fenrun.invoices import services


@shared_task(ignore_result=True)
def process_invoice(invoice_id: int) -> str:
    return services.process_invoice(invoice_id)


@shared_task(ignore_result=True)
def process_allowance(allowance_id: int) -> str:
    return services.process_allowance(allowance_id)


@shared_task(ignore_result=True)
def retry_due() -> int:
    invoice_ids, allowance_ids = services.due()
    for invoice_id in invoice_ids:
        process_invoice.delay(invoice_id)
    for allowance_id in allowance_ids:
        process_allowance.delay(allowance_id)
    return len(invoice_ids) + len(allowance_ids)
