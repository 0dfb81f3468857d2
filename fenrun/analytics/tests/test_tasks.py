"""The nightly analytics jobs: tag recompute (twice is harmless) and the roll-up check's alert."""

from decimal import Decimal

import pytest
from django.core import mail

from fenrun.analytics.models import DownlineSalesDay, MemberTag, Metric, Period, TagRule
from fenrun.analytics.tasks import check_sales_rollups, recompute_tags

pytestmark = pytest.mark.django_db


def tagged(rule):
    return set(MemberTag.objects.filter(rule=rule).values_list("member_id", "value"))


def test_recomputing_tags_twice_gives_the_same_tags(org):
    rule = TagRule.objects.create(
        name="轉單王",
        metric=Metric.DOWNLINE_SALES,
        period=Period.ROLLING,
        period_days=30,
        threshold=Decimal("2000"),
    )
    assert recompute_tags.delay().get() == 1
    first = tagged(rule)
    assert {member for member, _value in first} == {org.source.pk, org.sponsor.pk, org.member.pk}
    assert recompute_tags.delay().get() == 1
    assert tagged(rule) == first
    assert MemberTag.objects.filter(rule=rule).count() == 3


def test_a_rollup_difference_alerts_staff_once_a_day(org, settings):
    settings.FENRUN_ALERT_EMAIL = "owner@example.com, ops@example.com"
    assert check_sales_rollups.delay().get() is True
    assert mail.outbox == []
    changed = DownlineSalesDay.objects.filter(member_id=org.source.pk).update(sales=Decimal("1"))
    assert changed
    assert check_sales_rollups.delay().get() is False
    assert check_sales_rollups.delay().get() is False
    assert len(mail.outbox) == 1
    alert = mail.outbox[0]
    assert alert.to == ["owner@example.com", "ops@example.com"]
    assert "rebuild_sales_rollups" in alert.body
    assert f"day_missing: {changed}" in alert.body
