"""High-contribution tag rules and who holds them."""

from django.db.models import Count

from fenrun.analytics.models import MemberTag, TagRule


def active_rules():
    return TagRule.objects.filter(is_active=True).order_by("name")


def rules_with_counts():
    return TagRule.objects.annotate(member_count=Count("tags")).order_by("name")


def rule_members(rule: TagRule, limit: int | None = 200):
    """The rule's members, highest figure first; ``limit=None`` for all of them (exports)."""
    tags = MemberTag.objects.filter(rule=rule).select_related("member").order_by("-value")
    return tags if limit is None else tags[:limit]
