"""The shop's calendar: local days and months as aware datetimes.

Every report, list filter and dashboard counts a day as the shop's local day (settings.TIME_ZONE,
Asia/Taipei): from its midnight to the next one, half-open, so an order at 23:59 counts for
the day and one at 00:00 the next day does not. This module is the one place that turns
calendar dates into those bounds.
"""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

# The days a filter may name. Dates outside are typing mistakes, and the extremes (0001-01-01,
# 9999-12-31) overflow when turned into the shop's local midnights.
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


def today() -> date:
    return timezone.localdate()


def day_start(day: date) -> datetime:
    """The local midnight at which ``day`` begins."""
    return timezone.make_aware(datetime.combine(day, time.min))


def day_after(day: date) -> datetime:
    """The first moment after ``day``: the exclusive upper bound of a range ending on it."""
    return day_start(day + timedelta(days=1))


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return (month_start(day) + timedelta(days=32)).replace(day=1)


def day_and_month(now: datetime | None = None) -> dict[str, tuple[datetime, datetime]]:
    """Today and this month as [start, end) in the shop's time zone."""
    day = timezone.localdate(now or timezone.now())
    return {
        "today": (day_start(day), day_after(day)),
        "month": (day_start(month_start(day)), day_start(next_month(day))),
    }
