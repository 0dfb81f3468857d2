from django.core.management.base import BaseCommand

from fenrun.wallet.reconcile import run_checks


class Command(BaseCommand):
    help = (
        "Check the wallet's books: balances equal their entries, transactions sum to zero, no "
        "negative spendable balance, one earning entry per commission. Exits 1 naming broken rows."
    )

    def handle(self, *args, **options):
        broken = 0
        for name, found in run_checks():
            if found:
                broken += len(found)
                self.stdout.write(self.style.ERROR(f"FAIL  {name}"))
                for problem in found:
                    self.stdout.write(f"      {problem}")
            else:
                self.stdout.write(self.style.SUCCESS(f"ok    {name}"))
        if broken:
            self.stderr.write(f"{broken} problem(s) found.")
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS("The wallet's books are consistent."))
