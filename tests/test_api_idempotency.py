"""Idempotency-Key on every write of the API: replay, mismatch, failures, callers, expiry."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from fenrun.accounts.tests.factories import UserFactory
from fenrun.api import api
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core.auth import issue_integrator_token
from fenrun.core.idempotency import HEADER, REPLAYED_HEADER, WRITES
from fenrun.core.models import IdempotencyKey, IntegratorToken
from fenrun.core.tasks import forget_idempotency_keys
from fenrun.orders.models import Order
from fenrun.orders.tests.factories import ShippingMethodFactory, api_order

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders"


@pytest.fixture
def pos():
    ShippingMethodFactory()
    ProductFactory(slug="oolong", price=Decimal("500"), stock=10)
    _token, key = issue_integrator_token("pos-retry")
    return Client(headers={"Authorization": f"Bearer {key}"})


order = api_order


def push(client, body, key, raw=None):
    data = raw if raw is not None else json.dumps(body)
    return client.post(URL, data, content_type="application/json", headers={HEADER: key})


def test_the_same_request_with_the_same_key_is_answered_once_and_replayed(pos):
    first = push(pos, order(), "sale-1")
    # The same JSON written in another key order is the same request.
    again = push(pos, None, "sale-1", raw=json.dumps(order(), sort_keys=True, indent=2))
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again[REPLAYED_HEADER] == "true" and not first.has_header(REPLAYED_HEADER)
    assert Order.objects.count() == 1


def test_the_same_key_with_another_request_is_422_and_runs_nothing(pos):
    assert push(pos, order(), "sale-2").status_code == 201
    reused = push(pos, order(note="another"), "sale-2")
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert HEADER in reused.json()["errors"]
    assert Order.objects.count() == 1


def test_a_failed_request_keeps_no_key_and_may_be_sent_again(pos):
    failed = push(pos, order(shipping_method="nope"), "sale-3")
    assert failed.status_code == 422
    assert not IdempotencyKey.objects.exists()
    assert push(pos, order(), "sale-3").status_code == 201


def test_keys_are_each_callers_own(pos):
    buyer = UserFactory()
    member = Client()
    member.force_login(buyer)
    assert push(pos, order(), "shared").status_code == 201
    mine = push(member, order(), "shared")
    assert mine.status_code == 201 and not mine.has_header(REPLAYED_HEADER)
    assert Order.objects.count() == 2
    token = IntegratorToken.objects.get(name="pos-retry")
    assert set(IdempotencyKey.objects.values_list("caller", flat=True)) == {
        f"integrator:{token.pk}",
        f"member:{buyer.pk}",
    }


@pytest.mark.parametrize("key", ["x" * 101, "ключ", "tab\there"])
def test_a_malformed_key_is_422_invalid_idempotency_key(pos, key):
    response = push(pos, order(), key)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_idempotency_key"
    assert not Order.objects.exists()


def test_keys_expire_after_a_day_and_the_cleanup_job_deletes_them(pos):
    assert push(pos, order(), "old").status_code == 201
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    # Expired, not yet cleaned up: the key is free for a new request.
    assert push(pos, order(note="next day"), "old").status_code == 201
    assert push(pos, order(), "fresh").status_code == 201
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    assert forget_idempotency_keys.delay().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
    schedule = settings.CELERY_BEAT_SCHEDULE["forget-idempotency-keys"]
    assert schedule["task"] == "fenrun.core.tasks.forget_idempotency_keys"


def test_every_write_in_the_document_takes_the_header_and_may_answer_422():
    missing = []
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method, op in methods.items():
            if method.upper() not in WRITES:
                continue
            names = [p["name"] for p in op.get("parameters", []) if p["in"] == "header"]
            if HEADER not in names or 422 not in op["responses"]:
                missing.append(f"{method.upper()} {path}")
    assert not missing, missing
