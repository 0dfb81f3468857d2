"""The demo shop runs by itself: the scheduler releases its held bonuses and expires its unpaid
orders on their dates, with no command typed."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from celery import beat
from django.core.management import call_command
from django.utils import timezone

from config.celery import app
from fenrun.commissions.models import Commission
from fenrun.orders.models import Order
from fenrun.orders.status import OrderStatus
from fenrun.wallet.selectors import balances

pytestmark = pytest.mark.django_db


def test_the_demo_releases_its_first_held_bonus_and_expires_an_unpaid_order_on_their_dates():
    call_command("seed_demo", stdout=StringIO())
    unpaid = (
        Order.objects.filter(source="demo", status=OrderStatus.PENDING, payment_method="atm")
        .exclude(pay_by=None)
        .order_by("pay_by")
    )
    expiring = unpaid.first()
    assert expiring is not None, "the demo has no unpaid ATM order"
    assert expiring.pay_by > timezone.now(), "a demo order is past its deadline at seeding"
    pending = Commission.objects.filter(status=Commission.Status.PENDING).order_by("available_at")
    first = pending.select_related("payee").first()
    assert first is not None, "the demo holds no bonus to release"
    target = max(first.available_at, expiring.pay_by) + timedelta(minutes=2)
    later = pending.filter(available_at__gt=target).count()
    coins_before = balances(first.payee).coins

    with time_machine.travel(timezone.now(), tick=False) as clock:
        scheduler = beat.Scheduler(app=app, lazy=True)
        scheduler.setup_schedule()
        for _entry in range(len(scheduler.schedule) + 1):
            scheduler.tick()
        clock.move_to(target)
        for _entry in range(len(scheduler.schedule) + 1):
            scheduler.tick()

    first.refresh_from_db()
    assert first.status == Commission.Status.AVAILABLE
    assert balances(first.payee).coins >= coins_before + first.amount
    expiring.refresh_from_db()
    assert expiring.status == OrderStatus.CANCELLED
    # Bonuses whose date has not come stay held.
    assert Commission.objects.filter(status=Commission.Status.PENDING).count() == later
