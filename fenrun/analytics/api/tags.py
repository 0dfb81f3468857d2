"""High-contribution tag rules: listing them and recomputing who holds them (marketing's)."""

from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from fenrun.analytics import selectors, services
from fenrun.analytics.api.schemas import ON_ONE, STAFF, RecomputeOut, TagRuleOut
from fenrun.analytics.models import TagRule
from fenrun.core.api_errors import ApiError, errors
from fenrun.core.paging import LimitOffsetPage
from fenrun.core.permissions import Capability, staff_only
from fenrun.core.schemas import MAX_ID

router = Router()


@router.get(
    "/tags",
    response={200: list[TagRuleOut], **STAFF, **errors(422)},
    summary="Staff: tag rules",
    **staff_only(Capability.MANAGE_CAMPAIGNS),
)
@paginate(LimitOffsetPage)
def tag_rules(request):
    return list(selectors.rules_with_counts())


@router.post(
    "/tags/recompute",
    response={200: list[RecomputeOut], **ON_ONE},
    summary="Staff: recompute high-contribution tags now",
    **staff_only(Capability.MANAGE_CAMPAIGNS),
)
def recompute_tags(request, rule: int | None = Query(None, ge=1, le=MAX_ID)):
    if rule is not None and not TagRule.objects.filter(pk=rule).exists():
        raise ApiError(404, _("No such tag rule."))
    return services.recompute_member_tags(rule_ids=[rule] if rule is not None else None)
