"""How every list in the API pages: ``limit`` and ``offset`` in; ``count``, ``limit``,
``offset`` and ``items`` out.

A list operation returns its whole (lazy) collection and is decorated with
``@paginate(LimitOffsetPage)``; the paginator slices it and counts it. A collection whose items
need more than the response schema can do from a row (masking, a page-wide look-up) is wrapped
in ``MappedPage``, which does that work for the requested slice only.
"""

from collections.abc import Callable, Sequence
from typing import Any

from ninja import Field, Query, Schema
from ninja.pagination import PaginationBase

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Far beyond any real list, and inside the 64-bit integer a database's OFFSET takes: 2^63 as an
# offset made the query itself fail.
MAX_OFFSET = 1_000_000


def limit_param():
    return Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


def offset_param():
    return Query(0, ge=0, le=MAX_OFFSET)


class LimitOffsetPage(PaginationBase):
    """Ninja's pagination with the shop's bounds and a body that says which page it is."""

    class Input(Schema):
        limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page.")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")

    class Output(Schema):
        count: int = Field(..., description="Items in the whole list, all pages together.")
        limit: int
        offset: int
        items: list[Any]

    def paginate_queryset(self, queryset, pagination: Input, request, **params):
        offset, limit = pagination.offset, pagination.limit
        return {
            "count": self._items_count(queryset),
            "limit": limit,
            "offset": offset,
            "items": list(queryset[offset : offset + limit]),
        }


class PageFields(Schema):
    """The paging fields of a list that answers an object: the analytics reports put their
    context (the period, the parent node) beside ``items``, so they subclass this and add
    ``items`` instead of going through ``@paginate``."""

    count: int = Field(..., description="Items in the whole list, all pages together.")
    limit: int
    offset: int


class MappedPage(Sequence):
    """A queryset whose requested slice is turned into items by ``page(rows)``.

    ``len()`` counts in the database; a slice fetches only its rows.
    """

    def __init__(self, queryset, page: Callable[[list], list]):
        self.queryset = queryset
        self.page = page

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.page(list(self.queryset[index]))
        return self.page([self.queryset[index]])[0]


def each(queryset, item: Callable[[Any], Any]) -> MappedPage:
    return MappedPage(queryset, lambda rows: [item(row) for row in rows])


__all__ = ["MAX_OFFSET", "LimitOffsetPage", "MappedPage", "PageFields", "each"]
