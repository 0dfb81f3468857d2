"""The staff dashboard over JSON."""

from ninja import Router

from fenrun.analytics import selectors
from fenrun.analytics.api.schemas import STAFF, DashboardOut
from fenrun.core.permissions import Capability, staff_only

router = Router()


@router.get(
    "/dashboard",
    response={200: DashboardOut, **STAFF},
    summary="Staff: dashboard",
    **staff_only(Capability.VIEW_REPORTS),
)
def dashboard(request):
    return selectors.dashboard()
