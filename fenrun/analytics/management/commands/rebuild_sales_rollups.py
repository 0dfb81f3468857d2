import time

from django.core.management.base import BaseCommand, CommandError

from fenrun.analytics import rollups


class Command(BaseCommand):
    help = (
        "Recompute the sales roll-ups (DownlineSalesDay, SalesMonth) from the orders and the "
        "current referral tree, in one transaction. Run it after bulk imports that bypass the "
        "order events; with --check, nightly from cron, to compare without changing anything."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only compare the stored roll-ups with a recomputation; exit 1 if they differ.",
        )
        parser.add_argument(
            "--show", type=int, default=20, help="With --check: differences listed per kind."
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        if options["check"]:
            result = rollups.check(limit=options["show"])
            for name, count in result.counts.items():
                if not count:
                    continue
                self.stdout.write(f"{name}: {count} rows")
                for row in getattr(result, name):
                    self.stdout.write("  " + ", ".join(str(v) for v in row))
            elapsed = time.perf_counter() - started
            if not result.ok:
                raise CommandError(
                    f"The sales roll-ups differ from the orders ({elapsed:.1f} s); "
                    "run rebuild_sales_rollups without --check to repair them."
                )
            self.stdout.write(self.style.SUCCESS(f"Sales roll-ups match ({elapsed:.1f} s)."))
            return
        result = rollups.rebuild()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Sales roll-ups rebuilt: {result.day_rows} day rows, "
                f"{result.month_rows} month rows ({elapsed:.1f} s)."
            )
        )
