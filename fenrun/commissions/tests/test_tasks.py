"""The release of held bonuses runs by itself: the schedule fires it, twice is harmless."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from celery import beat
from django.utils import timezone

from config.celery import app
from fenrun.commissions.models import Commission
from fenrun.commissions.tasks import release_held_commissions
from fenrun.wallet.selectors import balances

from .conftest import complete, make_chain, place, seed_plan

pytestmark = pytest.mark.django_db


def held_bonus(hold, days=7):
    hold(days)
    seed_plan()
    sponsor, buyer = make_chain(2)
    complete(place(buyer, price=Decimal(1000)))
    commission = Commission.objects.get(payee=sponsor)
    assert commission.status == Commission.Status.PENDING
    return sponsor, commission


def tick_every_entry(scheduler):
    # One tick looks at the entry due first; one per entry gives each its turn.
    for _entry in range(len(scheduler.schedule) + 1):
        scheduler.tick()


def test_every_scheduled_job_names_a_registered_task():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled, "nothing is scheduled"
    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)


def test_the_scheduler_releases_a_held_bonus_once_its_date_has_come(hold):
    """Beat's own scheduler, with the clock moved past the hold: no command is typed."""
    sponsor, commission = held_bonus(hold)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        scheduler = beat.Scheduler(app=app, lazy=True)
        scheduler.setup_schedule()
        tick_every_entry(scheduler)  # the first ticks only start the intervals
        clock.move_to(start + timedelta(days=6, hours=23))
        tick_every_entry(scheduler)
        commission.refresh_from_db()
        assert commission.status == Commission.Status.PENDING
        clock.move_to(commission.available_at + timedelta(minutes=1, seconds=1))
        tick_every_entry(scheduler)
    commission.refresh_from_db()
    assert commission.status == Commission.Status.AVAILABLE
    assert balances(sponsor).coins == commission.amount


def test_running_the_release_twice_credits_once(hold):
    sponsor, commission = held_bonus(hold)
    Commission.objects.filter(pk=commission.pk).update(
        available_at=timezone.now() - timedelta(seconds=1)
    )
    assert release_held_commissions.delay().get() == 1
    assert release_held_commissions.delay().get() == 0
    assert balances(sponsor).coins == commission.amount
