"""Webhooks end to end against a real HTTP receiver: signed, retried after a 500, replayed from
the back office, never sent for a change that rolled back, and bounded by their time limits."""

import hashlib
import hmac
import ssl
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from fenrun.commissions.models import Commission
from fenrun.commissions.tests.conftest import complete, make_chain, place, seed_plan
from fenrun.core.testing import grant_role
from fenrun.orders.services import change_status
from fenrun.orders.status import OrderStatus
from fenrun.webhooks import services
from fenrun.webhooks.models import Attempt, Delivery
from fenrun.webhooks.signing import SIGNATURE_HEADER
from fenrun.webhooks.tasks import send_due_webhooks

pytestmark = pytest.mark.django_db


def test_a_paid_order_is_posted_signed_and_retried_after_a_500(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    hook = endpoint(["order.paid"])
    receiver.answers = [500]
    seed_plan()
    _sponsor, buyer = make_chain(2)
    with django_capture_on_commit_callbacks(execute=True):
        order = place(buyer, price=Decimal(1000))
        order = change_status(order, OrderStatus.PAID)

    assert len(receiver.received) == 1
    first = receiver.received[0]
    assert first.signature_ok
    assert first.payload["type"] == "order.paid"
    assert first.payload["data"]["order"]["number"] == order.number
    assert first.payload["data"]["order"]["grand_total"] == str(order.grand_total)
    assert first.headers["X-Fenrun-Event"] == "order.paid"
    # What a receiver recomputes, with nothing but the standard library.
    t = first.headers[SIGNATURE_HEADER].split(",")[0].removeprefix("t=")
    expected = hmac.new(hook.secret.encode(), f"{t}.".encode() + first.body, hashlib.sha256)
    assert first.headers[SIGNATURE_HEADER] == f"t={t},v1={expected.hexdigest()}"

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.attempts == 1 and delivery.last_status_code == 500
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=20) < wait <= timedelta(seconds=30)

    assert send_due_webhooks.delay().get() == 0  # not due yet
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        with django_capture_on_commit_callbacks(execute=True):
            assert send_due_webhooks.delay().get() == 1

    assert len(receiver.received) == 2
    again = receiver.received[1]
    assert again.signature_ok
    assert again.payload["id"] == first.payload["id"]  # the same event: receivers deduplicate
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED and delivery.attempts == 2
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [500, 200]
    assert all(a.duration_ms >= 0 for a in delivery.attempt_log.all())


def test_staff_replay_a_delivery_from_the_back_office(
    endpoint, receiver, client, django_capture_on_commit_callbacks
):
    endpoint(["order.placed"])
    _sponsor, buyer = make_chain(2)
    with django_capture_on_commit_callbacks(execute=True):
        place(buyer)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SUCCEEDED
    owner = grant_role(make_chain(1)[0], "店長")
    owner.is_staff = True
    owner.save()
    client.force_login(owner)

    url = reverse("admin:webhooks_delivery_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "replay", "_selected_action": [delivery.pk]})
    assert response.status_code == 302
    assert len(receiver.received) == 2
    assert receiver.received[1].payload["id"] == str(delivery.event_id)
    assert receiver.received[1].signature_ok
    assert Attempt.objects.filter(delivery=delivery, replay=True).count() == 1
    page = client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk]))
    assert page.status_code == 200
    assert "order.placed" in page.content.decode()


def test_a_member_without_the_integrations_right_cannot_replay(endpoint, client):
    endpoint(["order.placed"])
    _sponsor, buyer = make_chain(2)
    place(buyer)
    shipper = grant_role(make_chain(1)[0], "出貨")
    shipper.is_staff = True
    shipper.save()
    client.force_login(shipper)
    assert client.get(reverse("admin:webhooks_delivery_changelist")).status_code == 403


def test_a_change_that_rolls_back_sends_nothing(endpoint, receiver):
    endpoint(["order.placed"])
    _sponsor, buyer = make_chain(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        place(buyer)
        raise RuntimeError("the order fails after it was written")
    assert not Delivery.objects.exists()
    assert receiver.received == []


def test_an_endpoint_gets_only_the_events_it_chose(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    endpoint(["order.completed", "commission.created"])
    seed_plan()
    sponsor, buyer = make_chain(2)
    with django_capture_on_commit_callbacks(execute=True):
        order = complete(place(buyer, price=Decimal(1000)))
    by_kind = {r.payload["type"]: r.payload for r in receiver.received}
    assert len(receiver.received) == 2
    assert set(by_kind) == {"order.completed", "commission.created"}
    commission = Commission.objects.get(payee=sponsor)
    data = by_kind["commission.created"]["data"]["commission"]
    assert data["order_number"] == order.number
    assert data["amount"] == str(commission.amount) and data["payee_id"] == sponsor.pk


def test_a_dead_endpoint_is_recorded_and_retried_later(endpoint, receiver):
    hook = endpoint(["order.placed"])
    receiver.stop()  # nothing listens on the port any more
    hook.url = receiver.url
    hook.save()
    _sponsor, buyer = make_chain(2)
    place(buyer)
    delivery = Delivery.objects.get()
    assert services.send(delivery.pk) == Delivery.Status.PENDING
    attempt = Attempt.objects.get(delivery=delivery)
    assert attempt.status_code is None and "ConnectError" in attempt.error
    receiver.start()  # so that the fixture can stop it


def test_a_slow_endpoint_cannot_hold_the_worker(endpoint, receiver, settings):
    settings.FENRUN_WEBHOOKS = {**settings.FENRUN_WEBHOOKS, "timeout_seconds": 0.5}
    endpoint(["order.placed"])
    receiver.delay = 3
    _sponsor, buyer = make_chain(2)
    place(buyer)
    delivery = Delivery.objects.get()
    started = time.monotonic()
    assert services.send(delivery.pk) == Delivery.Status.PENDING
    assert time.monotonic() - started < 2.5
    assert "Timeout" in Attempt.objects.get(delivery=delivery).error


def test_sending_twice_posts_once_and_a_finished_delivery_is_not_resent(endpoint, receiver):
    endpoint(["order.placed"])
    _sponsor, buyer = make_chain(2)
    place(buyer)
    delivery = Delivery.objects.get()
    assert services.send(delivery.pk) == Delivery.Status.SUCCEEDED
    assert services.send(delivery.pk) is None
    assert len(receiver.received) == 1


def test_deliveries_share_one_tls_context_instead_of_loading_the_ca_bundle_each_time(
    endpoint, receiver, monkeypatch
):
    endpoint(["order.placed"])
    _sponsor, buyer = make_chain(2)
    place(buyer)
    place(buyer)
    built = []
    original = ssl.create_default_context
    monkeypatch.setattr(
        ssl, "create_default_context", lambda *a, **kw: built.append(1) or original(*a, **kw)
    )
    services._tls_context.cache_clear()
    for delivery in Delivery.objects.all():
        assert services.send(delivery.pk) == Delivery.Status.SUCCEEDED
    assert len(receiver.received) == 2
    assert len(built) == 1


def test_an_endpoint_still_down_after_a_day_is_given_up(endpoint, receiver):
    endpoint(["order.placed"])
    receiver.answers = [503] * 100
    _sponsor, buyer = make_chain(2)
    place(buyer)
    delivery = Delivery.objects.get()
    start = delivery.created_at
    tries = 0
    with time_machine.travel(start, tick=False) as clock:
        while True:
            status = services.send(delivery.pk)
            tries += 1
            delivery.refresh_from_db()
            if status == Delivery.Status.FAILED:
                break
            assert delivery.next_attempt_at <= start + timedelta(hours=24)
            clock.move_to(delivery.next_attempt_at)
            assert tries < 40
    assert delivery.status == Delivery.Status.FAILED and delivery.next_attempt_at is None
    assert tries == delivery.attempts == len(receiver.received)
    assert 10 <= tries <= 20


def test_a_member_who_joins_through_a_share_link_is_reported_with_their_sponsor(
    endpoint, receiver, client, django_capture_on_commit_callbacks
):
    from fenrun.accounts.models import User
    from fenrun.accounts.tests.test_accounts_views import registration
    from fenrun.referrals.services import ensure_code

    endpoint(["member.joined"])
    (sponsor,) = make_chain(1)
    code = ensure_code(sponsor).code
    client.get(f"/r/{code}", HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Safari/604.1")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:register"), registration())
    assert response.status_code == 302
    member = User.objects.get(email="new.member@example.com")
    (received,) = receiver.received
    assert received.signature_ok
    data = received.payload["data"]["member"]
    assert data["id"] == member.pk and data["sponsor_id"] == sponsor.pk
    assert data["bound_via"] == "link" and data["tree_level"] == 2
    assert "email" not in data and "phone" not in data
