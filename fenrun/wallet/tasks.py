"""Background work of the wallet app: the nightly check of the books."""

from celery import shared_task
from django.utils.translation import gettext as _

from fenrun.core.alerts import alert_staff
from fenrun.wallet.reconcile import run_checks


@shared_task
def reconcile_wallet() -> int:
    """Check the wallet's books (read only); alert staff naming every broken row."""
    lines: list[str] = []
    for name, found in run_checks():
        for problem in found:
            lines.append(f"{name}: {problem}")
    if lines:
        alert_staff(_("The wallet's books do not balance"), lines)
    return len(lines)
