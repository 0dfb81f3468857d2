import os

import pytest
from hypothesis import settings as hypothesis_settings

# Hypothesis's default 200 ms per example is a timing test, and timing belongs in the benchmarks:
# on a busy 2-core machine a pure example can take longer and fail a correct property.
hypothesis_settings.register_profile("fenrun", deadline=None)
hypothesis_settings.load_profile("fenrun")

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness costs seconds per user created in tests; it is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clean_cache(settings):
    # Rate-limit counters (log-in, password reset, code guessing) live in the cache; a test
    # must not inherit another's. Tests always use the process's own memory cache, so clearing
    # it never touches a shared Redis or another xdist worker.
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def uninstrumented_templates(monkeypatch):
    """Templates render as in production, without the test runner's instrumentation (a signal
    per rendered template whose receiver copies the whole context, for ``response.context``).

    For tests that send hundreds of requests and read only status codes and HTML: a form page
    renders hundreds of widget templates, and the copies took two thirds of its time.
    """
    from django.template.base import Template
    from django.test.utils import _TestState

    monkeypatch.setattr(Template, "_render", _TestState.saved_data.template_render)


@pytest.fixture
def is_postgres():
    from django.db import connection

    return connection.vendor == "postgresql"


# Browser tests drive Debian's Chromium through Playwright's Python API (no browser download);
# every app's browser tests share this one launcher.
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def chromium(live_server):
    """A headless Chromium for one test (the live server runs beside it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(autouse=True, scope="session")
def _jobs_run_in_the_test():
    # Tasks run where they are sent, so a test sees their effect and no message is left in a
    # broker folder. The worker tests (tests/test_worker.py) send through a real broker instead.
    from config.celery import app

    app.conf.task_always_eager = True
    # Whatever is still sent by name (send_task ignores eager mode) stays in this process.
    app.conf.broker_url = "memory://"
    app.conf.broker_transport_options = {}
    app.loader.import_default_modules()
    yield


# Fixtures through which a test reaches the database (pytest-django refuses it any other way).
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="Run only the tests that use the database: the PostgreSQL pass of `make test`, "
        "since a test that cannot reach the database gives the same answer on every one.",
    )


def _is_database_test_case(cls) -> bool:
    from django.test import TransactionTestCase

    return isinstance(cls, type) and issubclass(cls, TransactionTestCase)


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--database-tests-only"):
        return
    kept, dropped = [], []
    for item in items:
        uses_database = (
            item.get_closest_marker("django_db") is not None
            or bool(DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))
            or _is_database_test_case(getattr(item, "cls", None))
        )
        (kept if uses_database else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases, which it can drop at the end even when a thread of a
    test (a live server's, a stand-in's) left a PostgreSQL session open on one of them."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all():
            if connection.vendor != "postgresql":
                continue
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
