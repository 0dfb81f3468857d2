"""Date ranges for every report: parsed once, checked once, in the shop's time zone.

A range is two calendar dates, both included; queries use the half-open interval
[start 00:00, day after end 00:00) in the shop's time zone, so an order at 23:59 on the last day
counts and one at 00:00 the next day does not.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fenrun.core.errors import DomainError
from fenrun.core.periods import day_after, day_start, month_start, today

__all__ = ["DateRange", "RangeError", "day_start", "month_start", "parse_range", "today"]

EARLIEST = date(2000, 1, 1)
# Ten years is more history than any shop report needs; a longer span is a typo.
MAX_SPAN_DAYS = 3660
DEFAULT_PRESET = "30d"

PRESETS = {
    "today": gettext_lazy("Today"),
    "7d": gettext_lazy("Last 7 days"),
    "30d": gettext_lazy("Last 30 days"),
    "this_month": gettext_lazy("This month"),
    "last_month": gettext_lazy("Last month"),
    "this_year": gettext_lazy("This year"),
}


class RangeError(DomainError):
    """Bad dates: ``errors`` maps the field (start, end, preset) to readable reasons."""

    code = "invalid_date_range"
    status = 400

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(_("Invalid date range."), errors=errors)


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return day_start(self.start)

    @property
    def end_before(self) -> datetime:
        """The first moment after the range."""
        return day_after(self.end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_query(self) -> str:
        return f"start={self.start.isoformat()}&end={self.end.isoformat()}"

    def __str__(self):
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def preset_range(name: str, *, on: date | None = None) -> DateRange:
    on = on or today()
    if name == "today":
        return DateRange(on, on)
    if name == "7d":
        return DateRange(on - timedelta(days=6), on)
    if name == "30d":
        return DateRange(on - timedelta(days=29), on)
    if name == "this_month":
        return DateRange(month_start(on), on)
    if name == "last_month":
        last = month_start(on) - timedelta(days=1)
        return DateRange(month_start(last), last)
    if name == "this_year":
        return DateRange(on.replace(month=1, day=1), on)
    raise RangeError({"preset": [_("Unknown period “%(name)s”.") % {"name": name[:30]}]})


def _parse_day(raw: str, field: str, errors: dict) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw[:10]) if len(raw) <= 10 else None
    except ValueError:
        value = None
    if value is None:
        errors.setdefault(field, []).append(_("Enter a date as YYYY-MM-DD."))
    return value


def _check_bounds(start_day, end_day, latest) -> None:
    errors: dict[str, list[str]] = {}
    for field, value in (("start", start_day), ("end", end_day)):
        if value is not None and (value < EARLIEST or value > latest):
            errors.setdefault(field, []).append(
                _("Choose a date between %(first)s and %(last)s.")
                % {"first": EARLIEST.isoformat(), "last": latest.isoformat()}
            )
    if errors:
        raise RangeError(errors)


def parse_range(
    start: str | None = None,
    end: str | None = None,
    preset: str | None = None,
    *,
    default: str = DEFAULT_PRESET,
) -> DateRange:
    """The range the request asks for; a missing bound falls back to the default preset.

    Raises RangeError for unreadable, reversed or absurd dates.
    """
    errors: dict[str, list[str]] = {}
    if preset and not (start or end):
        return preset_range(preset)
    start_day = _parse_day(start or "", "start", errors)
    end_day = _parse_day(end or "", "end", errors)
    if errors:
        raise RangeError(errors)
    fallback = preset_range(default)
    if start_day is None and end_day is None:
        return fallback
    latest = today() + timedelta(days=366)
    # Bounds first: the missing bound is computed from the given one, and a day near year 1
    # would overflow that arithmetic.
    _check_bounds(start_day, end_day, latest)
    if end_day is None:
        end_day = max(start_day, today())
    if start_day is None:
        start_day = end_day - timedelta(days=fallback.days - 1)
    _check_bounds(start_day, end_day, latest)
    if end_day < start_day:
        raise RangeError({"end": [_("The end date is before the start date.")]})
    if (end_day - start_day).days + 1 > MAX_SPAN_DAYS:
        raise RangeError(
            {"end": [_("A range can cover at most %(days)d days.") % {"days": MAX_SPAN_DAYS}]}
        )
    return DateRange(start_day, end_day)


def range_from_query(params, *, default: str = DEFAULT_PRESET) -> DateRange:
    """parse_range over a QueryDict (pages) or a dict (API)."""
    return parse_range(
        params.get("start") or None,
        params.get("end") or None,
        params.get("preset") or None,
        default=default,
    )
