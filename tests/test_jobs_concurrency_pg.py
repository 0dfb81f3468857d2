"""Two workers running the same scheduled job at the same moment do no harm (PostgreSQL)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from fenrun.analytics.models import MemberTag, Metric, Period, TagRule
from fenrun.analytics.tasks import recompute_tags
from fenrun.analytics.tests.conftest import Org
from fenrun.commissions.models import Commission
from fenrun.commissions.tasks import release_held_commissions
from fenrun.commissions.tests.conftest import complete, make_chain, place, seed_plan
from fenrun.core import testing
from fenrun.wallet.models import Entry
from fenrun.wallet.selectors import balances

pytestmark = [*testing.POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]
WORKERS = 8


def test_simultaneous_releases_credit_each_bonus_once():
    seed_plan()
    sponsors = []
    for _ in range(3):
        sponsor, buyer = make_chain(2)
        complete(place(buyer, price=Decimal(1000)))
        sponsors.append(sponsor)
    Commission.objects.update(available_at=timezone.now() - timedelta(seconds=1))
    due = Commission.objects.count()

    results = testing.run_at_once(
        WORKERS, lambda _i: release_held_commissions.apply().get(disable_sync_subtasks=False)
    )

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == due
    assert not Commission.objects.exclude(status=Commission.Status.AVAILABLE).exists()
    for sponsor in sponsors:
        earned = Commission.objects.filter(payee=sponsor).values_list("amount", flat=True)
        assert balances(sponsor).coins == sum(earned)
    assert Entry.objects.filter(account__kind="coins").count() == due


def test_simultaneous_tag_recomputes_agree():
    org = Org()
    rule = TagRule.objects.create(
        name="轉單王",
        metric=Metric.DOWNLINE_SALES,
        period=Period.ROLLING,
        period_days=30,
        threshold=Decimal("2000"),
    )
    results = testing.run_at_once(
        WORKERS, lambda _i: recompute_tags.apply().get(disable_sync_subtasks=False)
    )
    assert results == [1] * WORKERS
    assert set(MemberTag.objects.filter(rule=rule).values_list("member_id", flat=True)) == {
        org.source.pk,
        org.sponsor.pk,
        org.member.pk,
    }
