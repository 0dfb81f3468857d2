from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from fenrun.accounts.tests.factories import UserFactory
from fenrun.analytics.tests.builders import build_tree, make_commission, make_order


class Org:
    """source → sponsor → member → (kid1, kid2); kid1 → grandkid; stranger is another source."""

    def __init__(self):
        users = build_tree([None, 0, 1, 2, 2, 3, None])
        (
            self.source,
            self.sponsor,
            self.member,
            self.kid1,
            self.kid2,
            self.grandkid,
            self.stranger,
        ) = users
        for user, (name, phone) in zip(
            users,
            [
                ("林源頭", "0911000001"),
                ("陳上線", "0911000002"),
                ("王小明", "0911000003"),
                ("李大華", "0911000004"),
                ("張美玲", "0911000005"),
                ("吳孫子", "0911000006"),
                ("黃路人", "0911000007"),
            ],
            strict=True,
        ):
            user.name, user.phone = name, phone
            user.set_password("pass-word-123")
            user.save()
        now = timezone.now()
        make_order(self.kid1, goods=Decimal("1000"), placed_at=now - timedelta(hours=1))
        make_order(self.grandkid, goods=Decimal("500"), placed_at=now - timedelta(hours=2))
        make_order(self.stranger, goods=Decimal("9000"), placed_at=now - timedelta(hours=3))
        order = make_order(self.kid2, goods=Decimal("800"), placed_at=now - timedelta(hours=1))
        make_commission(order, self.member, level=1, amount=Decimal("40"))


@pytest.fixture
def org(db):
    return Org()


def staff_in(role: str, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def staff(db):
    return staff_in("店長", name="店長")


@pytest.fixture
def marketing(db):
    """行銷: every report, campaigns and tags, never contact data."""
    return staff_in("行銷", name="行銷")


@pytest.fixture
def marketing_client(client, marketing):
    client.force_login(marketing)
    return client


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def member_client(client, org):
    client.force_login(org.member)
    return client
