"""What every analytics operation shares: the viewer, the date range and the member asked for.

A bad range raises ``RangeError`` (400), an unknown member ``MemberNotFound`` (404), one outside
the viewer's downline ``OutsideDownline`` (403): all DomainErrors, answered by the API's one
handler.
"""

from fenrun.analytics.access import Viewer, viewer_for
from fenrun.analytics.api.schemas import DateParams
from fenrun.analytics.periods import DateRange, parse_range


def viewer(request) -> Viewer:
    return viewer_for(request.auth)


def period(dates: DateParams) -> DateRange:
    return parse_range(dates.start, dates.end, dates.preset)
