"""Background work of the analytics app: nightly tag recompute and the roll-up check."""

from celery import shared_task
from django.utils.translation import gettext as _

from fenrun.analytics import rollups
from fenrun.analytics.services import recompute_member_tags
from fenrun.core.alerts import alert_staff


@shared_task
def recompute_tags() -> int:
    """Recompute every tag rule; return how many rules were recomputed.

    Each rule is recomputed in its own transaction holding the rule's row lock, so two runs at
    once take turns and the second finds the same figures.
    """
    return len(recompute_member_tags())


@shared_task
def check_sales_rollups() -> bool:
    """Compare the sales roll-ups with a from-scratch computation; alert staff on a difference."""
    result = rollups.check(limit=10)
    if not result.ok:
        lines = [f"{name}: {count}" for name, count in sorted(result.counts.items()) if count]
        lines.append(
            _(
                "The stored sales figures differ from the orders: run manage.py "
                "rebuild_sales_rollups (docs/operations.md)."
            )
        )
        alert_staff(_("Sales figures need a rebuild"), lines)
    return result.ok
