"""Staff traffic reports: a campaign's funnel and the UTM report."""

from django.utils.translation import gettext as _
from ninja import Query, Router

from fenrun.analytics import selectors
from fenrun.analytics.api.common import period
from fenrun.analytics.api.schemas import ON_ONE, STAFF_REPORT, CampaignReportOut, DateParams, UtmOut
from fenrun.core.api_errors import ApiError
from fenrun.core.permissions import Capability, staff_only
from fenrun.core.schemas import Id
from fenrun.referrals.models import Campaign

router = Router()


@router.get(
    "/campaigns/{id:campaign_id}",
    response={200: CampaignReportOut, **ON_ONE},
    summary="Staff: a campaign's report (直播導流分析)",
    **staff_only(Capability.VIEW_REPORTS),
)
def campaign(request, campaign_id: Id):
    obj = Campaign.objects.filter(pk=campaign_id).first()
    if obj is None:
        raise ApiError(404, _("No such campaign."))
    return selectors.campaign_report(obj)


@router.get(
    "/utm",
    response={200: UtmOut, **STAFF_REPORT},
    summary="Staff: UTM report (i追蹤分析表)",
    **staff_only(Capability.VIEW_REPORTS),
)
def utm(
    request,
    dates: Query[DateParams],
    by: str = Query("all", description="source, source_medium or all"),
):
    if by not in selectors.UTM_DIMENSIONS:
        raise ApiError(400, _("Invalid grouping."), {"by": [", ".join(selectors.UTM_DIMENSIONS)]})
    days = period(dates)
    rows, total = selectors.utm_report(days, by)
    return {"period": days, "by": by, "rows": rows, "total": total}
