import itertools
from decimal import Decimal

import pytest

from fenrun.accounts.tests.factories import UserFactory
from fenrun.commissions.events import CommissionReleased, CommissionReversed
from fenrun.core import events
from fenrun.core.testing import role_group
from fenrun.wallet import reconcile

_commission_ids = itertools.count(1)


def pytest_configure(config):
    # pytest-xdist registers this marker; runs with `-p no:xdist` (and --strict-markers) need it.
    config.addinivalue_line("markers", "xdist_group(name): run in the same xdist worker")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Members are created by the dozen in property tests; the real hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def member(db):
    return UserFactory()


@pytest.fixture
def other_member(db):
    return UserFactory()


@pytest.fixture
def staff(db):
    """A 財務 (finance) staff member: every wallet capability and contact data."""
    return staff_in("財務")


def staff_in(*roles):

    user = UserFactory(is_staff=True)
    user.groups.add(*(role_group(r) for r in roles))
    return user


def staff_with(*capabilities):
    """A staff member holding exactly ``capabilities`` (fenrun.core.permissions.Capability)."""
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    for capability in capabilities:
        app_label, codename = str(capability).split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def earn(member, amount, commission_id=None) -> int:
    """Release a commission to ``member`` the way the commissions app does: by an event."""
    commission_id = commission_id or next(_commission_ids) + 10_000_000
    events.publish(
        CommissionReleased(commission_id=commission_id, payee_id=member.pk, amount=Decimal(amount))
    )
    return commission_id


def reverse(member, commission_id, amount, was_released=True) -> None:
    events.publish(
        CommissionReversed(
            commission_id=commission_id,
            payee_id=member.pk,
            amount=Decimal(amount),
            was_released=was_released,
        )
    )


def wallet_problems() -> list[str]:
    """Every reconciliation check except the commissions one: these tests release commission
    ids that have no row in the commissions app (the wallet is tested on its own)."""
    return [
        p
        for name, check in reconcile.CHECKS
        if check is not reconcile.check_commissions
        for p in check()
    ]
