"""Writes of the analytics app: recomputing high-contribution tags."""

import math
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fenrun.analytics import selectors
from fenrun.analytics.models import MemberTag, Period, TagRule
from fenrun.analytics.periods import DateRange, month_start, today


def rule_period(rule: TagRule, *, on=None) -> DateRange:
    on = on or today()
    if rule.period == Period.THIS_MONTH:
        return DateRange(month_start(on), on)
    if rule.period == Period.LAST_MONTH:
        last = month_start(on) - timedelta(days=1)
        return DateRange(month_start(last), last)
    return DateRange(on - timedelta(days=rule.period_days - 1), on)


def select_members(values: dict[int, Decimal], rule: TagRule) -> dict[int, Decimal]:
    """Who earns the tag. Only members with a figure above zero ever qualify.

    Top N%: the best ceil(N% of the members with a figure) members, plus anyone tied with the
    last of them: two members with the same figure always get the same answer.
    """
    positive = {uid: v for uid, v in values.items() if v > 0}
    if rule.threshold is not None:
        return {uid: v for uid, v in positive.items() if v >= rule.threshold}
    if not positive:
        return {}
    ranking = selectors.ranked(positive)
    count = max(1, math.ceil(len(ranking) * rule.top_percent / Decimal(100)))
    cut = ranking[min(count, len(ranking)) - 1][1]
    return {uid: v for uid, v in ranking if v >= cut}


@dataclass(frozen=True)
class RecomputeResult:
    rule: str
    period: DateRange
    tagged: int
    added: int
    removed: int


@transaction.atomic
def recompute_rule(rule: TagRule, *, on=None) -> RecomputeResult:
    """Replace the rule's tags with those its figures give now; one transaction per rule, so
    lists never show a half-computed tag."""
    rule = TagRule.objects.select_for_update().get(pk=rule.pk)
    period = rule_period(rule, on=on)
    now = timezone.now()
    chosen = (
        select_members(selectors.metric_values(rule.metric, period), rule) if rule.is_active else {}
    )
    existing = set(MemberTag.objects.filter(rule=rule).values_list("member_id", flat=True))
    removed = existing - set(chosen)
    MemberTag.objects.filter(rule=rule, member_id__in=removed).delete()
    for uid, value in chosen.items():
        MemberTag.objects.update_or_create(
            rule=rule, member_id=uid, defaults={"value": value, "computed_at": now}
        )
    TagRule.objects.filter(pk=rule.pk).update(last_computed_at=now)
    return RecomputeResult(
        rule=rule.name,
        period=period,
        tagged=len(chosen),
        added=len(set(chosen) - existing),
        removed=len(removed),
    )


def recompute_member_tags(*, rule_ids=None, on=None) -> list[RecomputeResult]:
    """Recompute every rule (or the given ones); inactive rules lose their tags."""
    rules = TagRule.objects.order_by("name")
    if rule_ids is not None:
        rules = rules.filter(pk__in=list(rule_ids))
    return [recompute_rule(rule, on=on) for rule in rules]
