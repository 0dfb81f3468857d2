"""Staff reports over the whole organisation: leaderboards and the depth analysis."""

from django.utils.translation import gettext as _
from ninja import Query, Router

from fenrun.analytics import selectors
from fenrun.analytics.api.common import period
from fenrun.analytics.api.schemas import (
    ON_MEMBER,
    STAFF_REPORT,
    DateParams,
    DepthOut,
    LeaderboardOut,
)
from fenrun.analytics.models import Metric
from fenrun.core.api_errors import ApiError
from fenrun.core.paging import LimitOffsetPage
from fenrun.core.permissions import Capability, staff_only

router = Router()


@router.get(
    "/leaderboards/{metric}",
    response={200: LeaderboardOut, **ON_MEMBER},
    summary="Staff: top members by a metric",
    description="metric: " + ", ".join(Metric.values),
    **staff_only(Capability.VIEW_REPORTS),
)
def leaderboards(
    request,
    metric: str,
    dates: Query[DateParams],
    paging: Query[LimitOffsetPage.Input],
):
    if metric not in Metric.values:
        raise ApiError(404, _("Unknown metric."), {"metric": [", ".join(Metric.values)]})
    days = period(dates)
    return {
        "count": selectors.leaderboard_size(metric, days),
        "limit": paging.limit,
        "offset": paging.offset,
        "metric": metric,
        "period": days,
        "items": selectors.leaderboard(metric, days, limit=paging.limit, offset=paging.offset),
    }


@router.get(
    "/depth",
    response={200: DepthOut, **STAFF_REPORT},
    summary="Staff: which level contributes most (組織深度分析)",
    **staff_only(Capability.VIEW_REPORTS),
)
def depth(request, dates: Query[DateParams]):
    return selectors.depth_analysis(period(dates))
