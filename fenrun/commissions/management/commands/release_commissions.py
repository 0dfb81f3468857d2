"""Release commissions whose hold period is over. Run it every few minutes (cron or Celery beat).

    */10 * * * *  cd /srv/fenrun && .venv/bin/python manage.py release_commissions

Safe to run often and from several machines at once: each commission is released once.
"""

from django.core.management.base import BaseCommand

from fenrun.commissions.services import release_due_commissions


class Command(BaseCommand):
    help = "Make pending commissions whose hold period has ended available (and credit the coins)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Commissions per transaction (default 500)."
        )

    def handle(self, *args, batch_size: int, **options):
        released = release_due_commissions(batch_size=max(1, batch_size))
        self.stdout.write(f"released {released} commission(s)")
