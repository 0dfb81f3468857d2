"""Paging parameters every list in the API shares."""

from ninja import Query

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Far beyond any real list, and inside the 64-bit integer a database's OFFSET takes: 2^63 as an
# offset made the query itself fail.
MAX_OFFSET = 1_000_000


def limit_param():
    return Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


def offset_param():
    return Query(0, ge=0, le=MAX_OFFSET)
