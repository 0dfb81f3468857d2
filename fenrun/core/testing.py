"""Factories shared by every app's tests."""

import os
import threading
import time
from decimal import Decimal

import factory
import pytest
from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection

from fenrun.catalog.models import Category, Product
from fenrun.orders.models import ShippingMethod
from fenrun.orders.services import Recipient


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    name = factory.Sequence(lambda n: f"會員{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"分類{n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"商品{n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    price = Decimal("500")
    stock = 10


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingMethod
        django_get_or_create = ("code",)

    code = "home"
    name = "宅配"
    kind = ShippingMethod.Kind.HOME
    fee = Decimal("100")
    free_threshold = Decimal("1500")


def home_recipient(**overrides) -> Recipient:
    data = dict(
        name="王小明",
        phone="0912345678",
        email="buyer@example.com",
        county="臺北市",
        district="大安區",
        street="復興南路一段1號",
        postal_code="106",
    )
    data.update(overrides)
    return Recipient(**data)


# -- concurrency on PostgreSQL -----------------------------------------------------------------

# `make test-pg` runs the tests marked postgres in a pass of their own, one after the other:
# two of them at once would pass PostgreSQL's default of 100 connections.
POSTGRES_ONLY = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL's row locks; runs in the PostgreSQL pass",
    ),
]


def run_at_once(count: int, work, *, timeout: float = 120) -> list:
    """Run ``work(i)`` for i in 0..count-1, each in a thread of its own, all released together
    by a barrier: what simultaneous requests do to the database.

    Returns each call's result, or the exception it raised, in order. Each thread closes its
    own database connection; a thread still running after ``timeout`` seconds fails the test.
    """
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # handed to the test, which asserts on it
            results[i] = exc
        finally:
            connection.close()

    before = _backends()
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    close_old_connections()
    _wait_for_backends(before)
    return results


def _backends() -> int:
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _wait_for_backends(count: int, seconds: float = 10) -> None:
    """Wait until the server has let go of the threads' connections.

    A closed connection's server process takes a moment to exit; the next test's fifty threads
    would otherwise meet PostgreSQL's limit of 100 connections ("too many clients already").
    """
    deadline = time.monotonic() + seconds
    while _backends() > count and time.monotonic() < deadline:
        time.sleep(0.05)


def run_all_at_once(jobs, *, timeout: float = 120) -> list:
    """``run_at_once`` for a list of callables; fails the test if any of them raised."""
    results = run_at_once(len(jobs), lambda i: jobs[i](), timeout=timeout)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return results
