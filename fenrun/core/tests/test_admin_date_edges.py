"""Every admin changelist refuses days outside the shop's calendar instead of a 500.

0001-01-01 overflows on SQLite and year 0 / 9999-12-31 on PostgreSQL once turned into the
shop's local midnights; the admin's answer to a bad lookup is its redirect to ``?e=1``.
"""

import pytest
from django.contrib import admin
from django.db import models
from django.test import Client

from fenrun.accounts.tests.factories import UserFactory
from fenrun.core.admin_lookups import BoundedDatesChangeListMixin

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("uninstrumented_templates")]

EDGES = [
    "{f}__gte=0001-01-01",
    "{f}__lte=9999-12-31",
    "{f}__gte=0",
    "{f}__lt=9999-12-31 23:59:59",
    "{f}__date__gte=0001-01-01",
    "{f}__range=0001-01-01,2000-01-01",
    "{f}__in=9999-12-31",
    "{f}__year=0",
    "{f}__year=9999",
    "{f}_from=0001-01-01",
]


def _date_fields(model):
    return [
        f.name
        for f in model._meta.get_fields()
        if isinstance(f, models.DateField) and f.concrete and not f.is_relation
    ]


def changelists():
    found = []
    for model, model_admin in admin.site._registry.items():
        fields = _date_fields(model)
        if fields:
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            found.append((url, fields, model_admin.date_hierarchy))
    return sorted(found)


@pytest.fixture
def superuser_client():
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_every_changelist_is_bounded(rf):
    request = rf.get("/admin/")
    for model_admin in admin.site._registry.values():
        assert issubclass(model_admin.get_changelist(request), BoundedDatesChangeListMixin)


def test_edge_days_are_refused_on_every_changelist(superuser_client):
    lists = changelists()
    assert len(lists) > 20  # the registry walk found the admins at all
    wrong = []
    for url, fields, hierarchy in lists:
        plain = superuser_client.get(url)
        if plain.status_code != 200:
            continue  # a singleton whose list opens its one row
        queries = [edge.format(f=f) for f in fields for edge in EDGES]
        if hierarchy:
            queries += [f"{hierarchy}__year=9999", f"{hierarchy}__year=2024&{hierarchy}__month=13"]
        for query in queries:
            response = superuser_client.get(f"{url}?{query}")
            if response.status_code != 302 or not response["Location"].endswith("?e=1"):
                wrong.append(f"{url}?{query}: {response.status_code}")
    assert not wrong, wrong


def test_days_inside_the_calendar_still_filter(superuser_client):
    wrong = []
    for url, fields, hierarchy in changelists():
        if superuser_client.get(url).status_code != 200:
            continue
        f = hierarchy or fields[0]
        for query in (f"{f}__gte=1900-01-01&{f}__lte=2999-12-31", f"{f}__year=2024"):
            response = superuser_client.get(f"{url}?{query}")
            if response.status_code != 200:
                wrong.append(f"{url}?{query}: {response.status_code}")
    assert not wrong, wrong
