"""Dates at the edges of the calendar are refused as bad input on every history, never a 500.

0001-01-01 and 9999-12-31 overflow when turned into the shop's local midnights (on SQLite and
PostgreSQL respectively); each list that filters by day refuses days outside the shop's range.
"""

import pytest
from django.test import Client
from django.urls import reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.core.testing import grant_role

pytestmark = pytest.mark.django_db

EDGES = [
    {"date_from": "0001-01-01"},
    {"date_to": "9999-12-31"},
    {"date_from": "0001-01-01", "date_to": "9999-12-31"},
]


@pytest.fixture
def member_client():
    client = Client()
    client.force_login(UserFactory())
    return client


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(grant_role(UserFactory(), "店長"))
    return client


@pytest.mark.parametrize("params", EDGES)
@pytest.mark.parametrize("path", ["/api/v1/wallet/me/history", "/api/v1/commissions/mine"])
def test_api_histories_answer_422(member_client, path, params):
    response = member_client.get(path, params)
    assert response.status_code == 422, response.content
    assert set(response.json()["errors"]) & set(params)


@pytest.mark.parametrize("params", EDGES)
@pytest.mark.parametrize("name", ["wallet:my_account", "commissions:my_commissions"])
def test_member_pages_show_the_error_and_answer(member_client, name, params):
    response = member_client.get(reverse(name), params)
    assert response.status_code in (200, 422)


@pytest.mark.parametrize("params", EDGES)
def test_staff_ledger_and_member_pages_answer(staff_client, params):
    member = UserFactory()
    assert staff_client.get(reverse("wallet:staff_ledger_csv"), params).status_code == 200
    page = staff_client.get(reverse("wallet:staff_member", args=[member.pk]), params)
    assert page.status_code in (200, 422)
