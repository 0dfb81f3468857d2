import itertools

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from fenrun.core.testing import role_group

_seq = itertools.count(1)


def pytest_configure(config):
    # pytest-xdist registers this marker; runs with `-p no:xdist` (and --strict-markers) need it.
    config.addinivalue_line(
        "markers", "xdist_group(name): run in the same xdist worker as its group"
    )


def make_user(**extra):
    """A member without password hashing (hashing costs ~100 ms a user)."""
    n = next(_seq)
    fields = {"email": f"ref-member-{n}@example.com", "name": f"會員{n}", "password": "!"}
    fields.update(extra)
    return get_user_model().objects.create(**fields)


@pytest.fixture
def user_maker(db):
    return make_user


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters and the cached settings live in the (per-process) cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Registration tests hash real passwords; the default hasher costs about a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def staff_in(*roles, **extra):
    """A staff member in the given default roles (店長, 財務, 出貨, 行銷)."""

    user = make_user(is_staff=True, **extra)
    user.groups.add(*(role_group(r) for r in roles))
    return user


def staff_with(*capabilities, **extra):
    """A staff member holding exactly ``capabilities``."""
    from django.contrib.auth.models import Permission

    user = make_user(is_staff=True, **extra)
    for capability in capabilities:
        app_label, codename = str(capability).split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user
