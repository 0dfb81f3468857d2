"""The demo shop's held bonuses are released by the scheduler on their dates, untouched."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from celery import beat
from django.core.management import call_command
from django.utils import timezone

from config.celery import app
from fenrun.commissions.models import Commission
from fenrun.wallet.selectors import balances

pytestmark = pytest.mark.django_db


def test_the_demo_releases_its_first_held_bonus_on_its_date():
    call_command("seed_demo", stdout=StringIO())
    pending = Commission.objects.filter(status=Commission.Status.PENDING).order_by("available_at")
    first = pending.select_related("payee").first()
    assert first is not None, "the demo holds no bonus to release"
    later = pending.filter(available_at__gt=first.available_at + timedelta(minutes=5)).count()
    coins_before = balances(first.payee).coins

    with time_machine.travel(timezone.now(), tick=False) as clock:
        scheduler = beat.Scheduler(app=app, lazy=True)
        scheduler.setup_schedule()
        for _entry in range(len(scheduler.schedule) + 1):
            scheduler.tick()
        clock.move_to(first.available_at + timedelta(minutes=2))
        for _entry in range(len(scheduler.schedule) + 1):
            scheduler.tick()

    first.refresh_from_db()
    assert first.status == Commission.Status.AVAILABLE
    assert balances(first.payee).coins >= coins_before + first.amount
    # Bonuses whose date has not come stay held.
    assert Commission.objects.filter(status=Commission.Status.PENDING).count() >= later > 0
