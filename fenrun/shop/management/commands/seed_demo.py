import importlib

from django.core.management.base import BaseCommand

from fenrun.accounts.demo import MEMBER_PASSWORD, STAFF_EMAIL, STAFF_PASSWORD

# Each app seeds what it owns, in dependency order; every step is idempotent.
DEMO_MODULES = [
    "fenrun.catalog.demo",
    "fenrun.accounts.demo",
    "fenrun.orders.demo",
    "fenrun.referrals.demo",
    "fenrun.commissions.demo",
    "fenrun.wallet.demo",
    "fenrun.analytics.demo",
]


class Command(BaseCommand):
    help = "Load the demo shop (山嵐小農). Safe to run again: nothing is duplicated."

    def handle(self, *args, **options):
        for path in DEMO_MODULES:
            try:
                module = importlib.import_module(path)
            except ModuleNotFoundError as exc:
                if exc.name != path:
                    raise
                continue
            module.seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo shop ready."))
        self.stdout.write(
            f"  Staff login:  {STAFF_EMAIL} / {STAFF_PASSWORD}  (back office: /admin/)"
        )
        self.stdout.write(f"  Member login: demo-member-01@example.com / {MEMBER_PASSWORD}")
