"""Schemathesis against the API's own OpenAPI document, in-process through the WSGI application.

Every operation gets generated requests (valid ones, and invalid ones built from the schema),
each sent as a guest, as a logged-in member (with the CSRF token a browser would send), as an
integrator with a bearer key and as the shop owner (a superuser). Each answer must not be a 5xx,
and must be what the document says: a documented status, its content type, its headers, and
a body that matches its schema. docs/api.md says which checks run and why the others do not.

It runs in the test database: the owner's generated approvals, adjustments and payouts move
only test money.
"""

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fenrun.accounts.tests.factories import UserFactory
from fenrun.api import api
from fenrun.core.auth import issue_integrator_token
from fenrun.core.scopes import Scope

# Enough for each operation to meet its edges (bounds, empty and long strings, wrong types)
# while the whole run stays well under 90 s per database on the project's 2-core machine.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
CSRF_SECRET = "s" * 32  # the form Django keeps in the csrftoken cookie


@pytest.fixture
def wsgi_app():
    # Django's own test client does this: the real handler would close the test's connection
    # (and its transaction) after each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _session_headers(user) -> dict:
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    return {
        "Cookie": f"sessionid={session}; csrftoken={CSRF_SECRET}",
        "X-CSRFToken": CSRF_SECRET,
    }


@pytest.fixture
def identities(db):
    _, key = issue_integrator_token("schemathesis-pos", list(Scope))
    return {
        "guest": {},
        "member": _session_headers(UserFactory()),
        "integrator": {"Authorization": f"Bearer {key}"},
        "owner": _session_headers(UserFactory(is_staff=True, is_superuser=True)),
    }


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
    # Only generated cases, not shrunk: schemathesis's coverage phase (every edge value of every
    # parameter, hundreds of cases per operation) would take many minutes on two cores; a
    # failure is reported with its case and a curl command, which is enough to reproduce it.
    phases=[Phase.generate],
)
def test_api_conforms_to_its_document(case, identities, wsgi_app):
    for who, headers in identities.items():
        # Generated headers (a bearer key of its own, say) must not hide who is calling.
        case.headers = {
            k: v
            for k, v in (case.headers or {}).items()
            if k.lower() not in {"authorization", "cookie"}
        }
        try:
            case.call_and_validate(headers=headers, app=wsgi_app, checks=CHECKS)
        except Exception as exc:
            exc.add_note(f"as {who}")
            raise
