"""Admin list filters keep to the shop's days, like every other filter.

A changelist accepts lookups straight from the query string (``?placed_at__gte=0001-01-01``,
``?paid_at__year=0``, the date hierarchy's ``__year``/``__month``/``__day``, a range filter's
``placed_at_from``). Days outside ``periods.EARLIEST`` … ``periods.LATEST`` overflow when the
database or Python turns them into the shop's local midnights (0001-01-01 on SQLite,
9999-12-31 or year 0 on PostgreSQL): the changelist refuses them as the admin refuses any bad
lookup, with ``IncorrectLookupParameters`` (its usual redirect to ``?e=1``).

``CapabilityAdminMixin`` (on every admin, see ``tests/test_authorization_matrix.py``) brings
``BoundedDatesAdminMixin``, so no admin class needs to ask for it.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models.constants import LOOKUP_SEP

from fenrun.core.periods import EARLIEST, LATEST

# Lookups whose values are whole dates or moments; the others on a date (month, day, week_day,
# isnull...) are small integers or booleans that cannot overflow.
DATE_VALUED = {"exact", "gt", "gte", "lt", "lte", "range", "in", "date"}
YEAR_VALUED = {"year", "iso_year"}
# Suffixes of range filters (unfold's RangeDateFilter: ``placed_at_from``, ``placed_at_to``).
RANGE_SUFFIXES = ("_from", "_to")


class BoundedDatesChangeListMixin:
    def get_filters(self, request):
        for key, values in self.get_filters_params().items():
            for value in values:
                refuse_out_of_range(self.model, key, value)
        return super().get_filters(request)


class BoundedDatesAdminMixin:
    def get_changelist(self, request, **kwargs):
        return _bounded(super().get_changelist(request, **kwargs))


@cache
def _bounded(changelist_class):
    return type(
        f"BoundedDates{changelist_class.__name__}",
        (BoundedDatesChangeListMixin, changelist_class),
        {},
    )


def refuse_out_of_range(model, key: str, value: str) -> None:
    """Raise ``IncorrectLookupParameters`` if ``key=value`` names a day the shop does not know."""
    field, lookups = _date_field_and_lookups(model, key)
    if field is None:
        return
    if lookups & YEAR_VALUED:
        _check_year(value)
    elif not lookups or lookups <= DATE_VALUED:
        for part in value.split(",") if lookups & {"range", "in"} else [value]:
            _check_day(part)


def _date_field_and_lookups(model, key: str):
    """The date field a lookup path ends on and the lookups after it, or ``(None, set())``."""
    for suffix in RANGE_SUFFIXES:
        if key.endswith(suffix) and LOOKUP_SEP not in key:
            field = _local_field(model, key.removesuffix(suffix))
            if isinstance(field, models.DateField):
                return field, set()
    opts = model._meta
    parts = key.split(LOOKUP_SEP)
    for index, name in enumerate(parts):
        field = _local_field_of(opts, name)
        if field is None:
            return None, set()
        if isinstance(field, models.DateField):
            return field, set(parts[index + 1 :])
        if not field.is_relation or field.related_model is None:
            return None, set()
        opts = field.related_model._meta
    return None, set()


def _local_field(model, name: str):
    return _local_field_of(model._meta, name)


def _local_field_of(opts, name: str):
    try:
        return opts.get_field(name)
    except FieldDoesNotExist:
        return None


def _check_year(value: str) -> None:
    try:
        year = int(value)
    except ValueError as exc:
        raise IncorrectLookupParameters(exc) from exc
    if not EARLIEST.year <= year <= LATEST.year:
        raise IncorrectLookupParameters(f"year {year} is outside the shop's calendar")


def _check_day(value: str) -> None:
    if not value.strip():
        return
    try:
        parsed = models.DateTimeField().to_python(value.strip())
    except (ValidationError, ValueError, OverflowError) as exc:
        raise IncorrectLookupParameters(exc) from exc
    if parsed is None:
        return
    day = parsed.date() if isinstance(parsed, datetime) else parsed
    if not isinstance(day, date) or not EARLIEST <= day <= LATEST:
        raise IncorrectLookupParameters(f"{value!r} is outside the shop's calendar")
