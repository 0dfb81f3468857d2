"""Test helpers every app shares: running work at once against PostgreSQL.

Factories live with the app whose models they make, in ``fenrun/<app>/tests/factories.py``.
"""

import os
import threading
import time

import pytest
from django.db import close_old_connections, connection

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


def examples(on_sqlite: int, on_postgres: int) -> int:
    """How many examples a database-heavy property test draws in each pass of `make test`.

    The SQLite pass searches the space of histories; the PostgreSQL pass is there to catch what
    differs between the databases (types, ordering, constraint timing), which shows in far fewer
    examples, each of which costs several times more round trips there.
    """
    return on_postgres if ON_POSTGRES else on_sqlite


# -- concurrency on PostgreSQL -----------------------------------------------------------------

# `make test-pg` runs the tests marked postgres in a pass of their own, one after the other:
# two of them at once would pass PostgreSQL's default of 100 connections.
POSTGRES_ONLY = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not ON_POSTGRES,
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


# -- staff roles ---------------------------------------------------------------------------------


def role_group(name: str):
    """The default role ``name`` as a group with its capabilities.

    The migration creates the roles, but a transactional test (a browser test's live server)
    empties every table when it ends, groups included; later tests in the same process would find
    none. This puts the role back exactly as the migration makes it.
    """
    from django.contrib.auth.models import Group, Permission

    from fenrun.core.permissions import APP_LABEL, ROLES

    group, created = Group.objects.get_or_create(name=name)
    if created:
        codenames = [c.codename for c in ROLES[name]]
        group.permissions.set(
            Permission.objects.filter(content_type__app_label=APP_LABEL, codename__in=codenames)
        )
    return group


def grant_role(user, name: str):
    """Make ``user`` staff holding the default role ``name``; returns the user."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(role_group(name))
    return user
