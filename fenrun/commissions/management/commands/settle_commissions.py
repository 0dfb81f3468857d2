"""Create the commissions of completed orders that have none, in batches.

    manage.py settle_commissions                 # every completed order without commissions
    manage.py settle_commissions --order 12 --order 15
    manage.py settle_commissions --completed-before 2026-11-01 --batch-size 500

For a shop where staff create commissions by hand, after an import of completed orders, or
when automatic creation was switched on after orders had completed. Each batch is one
transaction; an order settled by someone else meanwhile is skipped, never paid twice.
"""

from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fenrun.commissions import selectors, services


class Command(BaseCommand):
    help = "Create the commissions of completed orders that have none yet."

    def add_arguments(self, parser):
        parser.add_argument(
            "--order", type=int, action="append", default=[], help="An order id (repeatable)."
        )
        parser.add_argument(
            "--completed-before",
            help="Only orders completed before this day (YYYY-MM-DD, the shop's time zone).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Orders per transaction (default 500)."
        )

    def handle(self, *args, order: list[int], completed_before, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        queryset = selectors.unsettled_completed_orders()
        if order:
            queryset = queryset.filter(pk__in=order)
        if completed_before:
            try:
                day = date.fromisoformat(completed_before)
            except ValueError as exc:
                raise CommandError(f"--completed-before: not a date: {completed_before}") from exc
            queryset = queryset.filter(
                completed_at__lt=timezone.make_aware(datetime.combine(day, time.min))
            )
        ids = list(queryset.values_list("pk", flat=True))
        orders = commissions = skipped = 0
        for start in range(0, len(ids), batch_size):
            batch = services.settle_orders(ids[start : start + batch_size])
            orders += len(batch.created)
            commissions += sum(len(r.commissions) for r in batch.created.values())
            skipped += len(batch.existing) + len(batch.not_completed) + len(batch.missing)
        self.stdout.write(
            f"settled {orders} order(s): {commissions} commission(s) created"
            + (f"; {skipped} skipped (settled or changed meanwhile)" if skipped else "")
        )
