"""The jobs through a real worker process and a real Redis broker (the production path).

The worker is ``celery -A config worker`` started as its own process on the test database, on a
queue of this test's own so nothing else on the broker is touched. It needs PostgreSQL (the
worker must see the test's committed rows; SQLite's test database lives in this process's
memory) and Redis at REDIS_URL or 127.0.0.1:6379.
"""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone

from fenrun.commissions.models import Commission
from fenrun.commissions.tests.conftest import complete, make_chain, place, seed_plan
from fenrun.core import testing
from fenrun.wallet.models import Entry
from fenrun.wallet.selectors import balances

BROKER = os.environ.get("FENRUN_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parent.parent
pytestmark = [*testing.POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]


def broker_reachable() -> bool:
    client = Celery(broker=BROKER)
    try:
        with client.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


@pytest.fixture
def worker(tmp_path):
    """A worker process consuming one fresh queue; yields (sender app, queue name)."""
    if not broker_reachable():
        pytest.fail(f"no broker at {BROKER}: the worker tests need Redis")
    queue = f"fenrun-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER,
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    sender = Celery("fenrun-test-sender", broker=BROKER)
    sender.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 90
        while "ready." not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "worker did not start:\n" + log.read_text()
            time.sleep(0.5)
        yield sender, queue, log
    finally:
        process.terminate()
        process.wait(timeout=30)
        with sender.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
        forget_bindings(queue)


def forget_bindings(queue: str) -> None:
    """Kombu's Redis transport records each queue's bindings in ``_kombu.binding*`` keys (a set
    per queue, a sorted set of deadlines) that deleting the queue leaves behind; take this
    queue's out so the broker ends as it began."""
    import redis

    client = redis.Redis.from_url(BROKER)
    name = queue.encode()
    for key in client.scan_iter("_kombu.binding*"):
        if name in key:
            client.delete(key)
        elif client.type(key) == b"set":
            client.srem(key, *[m for m in client.smembers(key) if name in m] or [b"-"])
        elif client.type(key) == b"zset":
            client.zrem(key, *[m for m in client.zrange(key, 0, -1) if name in m] or [b"-"])


def wait_until(condition, log, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the worker did not do it:\n" + log.read_text()
        time.sleep(0.3)


def test_a_held_bonus_is_released_by_the_worker_once_however_often_it_is_sent(worker):
    sender, _queue, log = worker
    seed_plan()
    sponsor, buyer = make_chain(2)
    complete(place(buyer, price=Decimal(1000)))
    commission = Commission.objects.get(payee=sponsor)
    Commission.objects.filter(pk=commission.pk).update(
        available_at=timezone.now() - timedelta(seconds=1)
    )
    for _ in range(3):
        sender.send_task("fenrun.commissions.tasks.release_held_commissions")
    wait_until(lambda: log.read_text().count("succeeded") >= 3, log)
    commission.refresh_from_db()
    assert commission.status == Commission.Status.AVAILABLE
    assert balances(sponsor).coins == commission.amount
    assert Entry.objects.filter(account__owner=sponsor, account__kind="coins").count() == 1
