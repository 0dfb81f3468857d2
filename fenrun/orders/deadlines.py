"""How long an unpaid order waits for its payment before it is cancelled.

ATM transfers get days (the buyer goes to a bank or an ATM); card and other gateway payments an
hour (the buyer is at the payment page now, and their stock is held meanwhile). Cash on delivery
is paid at the door and has none. Orders pushed by an integrator follow the integrator's own
rules (a POS knows when it was paid): they get no deadline here.
"""

from datetime import datetime, timedelta

from django.conf import settings

from fenrun.core.auth import RESERVED_SOURCES


def deadline_for(payment_method: str, source: str, placed_at: datetime) -> datetime | None:
    if source not in RESERVED_SOURCES:
        return None
    hours = settings.FENRUN_PAYMENT_DEADLINE_HOURS.get(payment_method)
    if not hours:
        return None
    return placed_at + timedelta(hours=hours)
