"""Eight workers sending the same delivery at once post it once (PostgreSQL)."""

import pytest
from django.utils import timezone

from fenrun.commissions.tests.conftest import make_chain, place
from fenrun.core import testing
from fenrun.webhooks import services
from fenrun.webhooks.models import Attempt, Delivery

pytestmark = [*testing.POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]


def test_simultaneous_sends_post_once(endpoint, receiver):
    endpoint(["order.placed"])
    _sponsor, buyer = make_chain(2)
    receiver.answers = [500]
    place(buyer)  # committed: sent at once, refused, due again in 30 s
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    results = testing.run_at_once(8, lambda _i: services.send(delivery.pk))
    assert results.count(Delivery.Status.SUCCEEDED) == 1, results
    assert results.count(None) == 7, results
    assert len(receiver.received) == 2
    assert Attempt.objects.filter(delivery=delivery).count() == 2
