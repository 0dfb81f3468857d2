"""Who may open what: every staff page, admin screen and API operation × every role.

The matrix is generated, not listed: staff pages come from the URL conf (everything under
/staff/), API operations from the OpenAPI document, admin screens from the admin registry. Each
must declare what it needs (``@requires``, ``x-access``, ``CapabilityAdminMixin``); one that
declares nothing fails here, so a new page cannot ship unguarded.

Principals: anonymous, a plain member, staff with no role, each default role, a superuser.
A request the principal may make must not be refused (401, 403, a redirect to a login); one it
may not make must be refused the documented way.
"""

import importlib
import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.api import api
from fenrun.core.auth import issue_integrator_token
from fenrun.core.permissions import INTEGRATOR_ACCESS, ROLES, Capability, CapabilityAdminMixin
from fenrun.core.scopes import Scope
from fenrun.core.testing import role_group

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("uninstrumented_templates")]

PRINCIPALS = ["anonymous", "member", "staff_without_role", *ROLES, "superuser"]
ROLE_IDS = {"店長": "owner", "財務": "finance", "出貨": "fulfilment", "行銷": "marketing"}
IDS = [ROLE_IDS.get(p, p) for p in PRINCIPALS]
DUMMY = {"int": "999999", "str": "nobody", "slug": "nobody", "path": "nobody"}
LOGIN_PATHS = ("/admin/login/", "/accounts/login/")


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def staff_pages() -> list[tuple[str, object]]:
    pages = []
    for route, callback in _walk(get_resolver().url_patterns):
        if not route.startswith("staff/"):
            continue
        url = "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: DUMMY[m.group(1) or "str"], route)
        pages.append((url, callback))
    return sorted(pages, key=lambda p: p[0])


def api_operations() -> list[tuple[str, str, dict]]:
    schema = api.get_openapi_schema()
    ops = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            url = re.sub(r"\{(\w+)\}", lambda m, op=op: _path_value(op, m.group(1)), path)
            ops.append((method.upper(), url, op))
    return ops


def _path_value(op, name):
    for param in op.get("parameters", []):
        if param["name"] == name and param["in"] == "path":
            return "999999" if param.get("schema", {}).get("type") == "integer" else "nobody"
    return "nobody"


def _capabilities_of(principal: str) -> set[str] | None:
    """The principal's capabilities; None for a superuser (all)."""
    if principal == "superuser":
        return None
    return {str(c) for c in ROLES.get(principal, ())}


def _may(principal: str, needed) -> bool:
    held = _capabilities_of(principal)
    return held is None or bool(held & {str(c) for c in needed})


@pytest.fixture
def clients():
    made = {"anonymous": Client()}
    member = UserFactory()
    made["member"] = _logged_in(member)
    made["staff_without_role"] = _logged_in(UserFactory(is_staff=True))
    for role in ROLES:
        user = UserFactory(is_staff=True)
        user.groups.add(role_group(role))
        made[role] = _logged_in(user)
    made["superuser"] = _logged_in(UserFactory(is_staff=True, is_superuser=True))
    return made


def _logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(LOGIN_PATHS)


def test_the_migration_creates_exactly_the_default_roles():
    migration = importlib.import_module("fenrun.core.migrations.0002_default_roles")
    assert {name: set(codenames) for name, codenames in migration.ROLES.items()} == {
        name: {c.codename for c in caps} for name, caps in ROLES.items()
    }
    assert set(migration.ALL) == {c.codename for c in Capability}


def test_every_default_role_is_a_group_with_exactly_its_capabilities():
    for role, capabilities in ROLES.items():
        group = role_group(role)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert held == {str(c) for c in capabilities}, role


def test_every_staff_page_declares_its_capabilities():
    pages = staff_pages()
    assert len(pages) > 20  # the walk found the staff pages at all
    undeclared = [url for url, view in pages if not getattr(view, "capabilities", None)]
    assert not undeclared, f"staff pages without @requires: {undeclared}"


def test_every_api_operation_declares_who_may_call_it():
    ops = api_operations()
    assert len(ops) > 40
    undeclared = [f"{m} {u}" for m, u, op in ops if not op.get("x-access")]
    assert not undeclared, f"API operations without x-access: {undeclared}"


def test_every_admin_screen_declares_its_capabilities():
    undeclared = [
        f"{model._meta.label}"
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, CapabilityAdminMixin)
    ]
    assert not undeclared, f"admins without CapabilityAdminMixin: {undeclared}"


def test_every_custom_admin_action_declares_a_permission():
    bare = []
    for model, model_admin in admin.site._registry.items():
        for name, func in _actions(model_admin):
            if name == "delete_selected":
                continue
            if not getattr(func, "allowed_permissions", None):
                bare.append(f"{model._meta.label}.{name}")
    assert not bare, f"admin actions without permissions=[...]: {bare}"


def _actions(model_admin):
    for action in model_admin.actions or []:
        func = action if callable(action) else getattr(model_admin, action)
        yield getattr(func, "__name__", str(action)), func


@pytest.mark.parametrize("principal", PRINCIPALS, ids=IDS)
def test_staff_pages_answer_each_principal_as_declared(principal, clients):
    client = clients[principal]
    wrong = []
    for url, view in staff_pages():
        response = client.get(url)
        if response.status_code == 405:
            response = client.post(url)
        refused = response.status_code == 403 or _is_login_redirect(response)
        if principal in ("anonymous", "member"):
            expected_refusal = True
            ok = _is_login_redirect(response)
        else:
            expected_refusal = not _may(principal, view.capabilities)
            ok = (response.status_code == 403) if expected_refusal else not refused
        if not ok:
            wrong.append(f"{url}: {response.status_code} (refusal expected: {expected_refusal})")
    assert not wrong, wrong


@pytest.mark.parametrize("principal", PRINCIPALS, ids=IDS)
def test_api_operations_answer_each_principal_as_declared(principal, clients):
    client = clients[principal]
    wrong = []
    for method, url, op in api_operations():
        access = set(op["x-access"])
        response = _call(client, method, url)
        refused = response.status_code in (401, 403)
        if "public" in access:
            ok = not refused
        elif principal == "anonymous":
            ok = response.status_code == 401
        elif "member" in access:
            ok = not refused
        else:
            needed = {a for a in access if not a.startswith(INTEGRATOR_ACCESS)}
            staff = principal not in ("member",)
            may = staff and principal != "staff_without_role" and _may(principal, needed)
            ok = (not refused) if may else response.status_code == 403
        if not ok:
            wrong.append(f"{method} {url} [{', '.join(sorted(access))}]: {response.status_code}")
    assert not wrong, wrong


def _scope_of(op) -> str | None:
    """The scope an operation takes a key with (``integrator:<scope>`` in x-access), or None."""
    keys = [a for a in op["x-access"] if a.startswith(INTEGRATOR_ACCESS)]
    assert len(keys) <= 1, op["x-access"]
    return keys[0].removeprefix(INTEGRATOR_ACCESS) if keys else None


def test_integrator_operations_accept_a_token_and_the_rest_refuse_it():
    _, key = issue_integrator_token("matrix-pos", list(Scope))
    client = Client(headers={"Authorization": f"Bearer {key}"})
    wrong = []
    for method, url, op in api_operations():
        access = set(op["x-access"])
        response = _call(client, method, url)
        refused = response.status_code in (401, 403)
        if "public" in access:
            continue
        ok = (not refused) if _scope_of(op) else response.status_code == 403
        if not ok:
            wrong.append(f"{method} {url} [{', '.join(sorted(access))}]: {response.status_code}")
    assert not wrong, wrong


def test_a_key_without_the_operations_scope_is_403_scope_missing_naming_it():
    scoped = [(m, u, op, _scope_of(op)) for m, u, op in api_operations() if _scope_of(op)]
    assert {scope for *_rest, scope in scoped} == set(Scope)  # every scope opens something
    wrong = []
    for scope in Scope:
        others = [s for s in Scope if s != scope]
        _, key = issue_integrator_token(f"matrix-without-{scope}", others)
        client = Client(headers={"Authorization": f"Bearer {key}"})
        for method, url, _op, needed in scoped:
            if needed != scope:
                continue
            response = _call(client, method, url)
            body = response.json()
            if (response.status_code, body.get("code"), body.get("errors")) != (
                403,
                "scope_missing",
                {"scope": [scope]},
            ):
                wrong.append(f"{method} {url} without {scope}: {response.status_code} {body}")
    assert not wrong, wrong


def test_the_document_lists_the_bearer_scheme_exactly_where_a_key_is_taken():
    wrong = []
    for method, url, op in api_operations():
        bearer = [
            r["IntegratorTokenAuth"] for r in op.get("security", ()) if "IntegratorTokenAuth" in r
        ]
        scope = _scope_of(op)
        if bearer != ([[scope]] if scope else []):
            wrong.append(f"{method} {url}: {bearer} for {op['x-access']}")
    assert not wrong, wrong


def _call(client, method, url):
    if method == "GET":
        return client.get(url)
    return client.generic(method, url, data="{}", content_type="application/json")


@pytest.mark.parametrize("principal", PRINCIPALS, ids=IDS)
def test_admin_screens_answer_each_principal_as_declared(principal, clients):
    client = clients[principal]
    wrong = []
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        declared = model_admin.capabilities
        needed = set()
        for right in ("view", "change"):
            value = declared.get(right)
            needed |= set(value if isinstance(value, tuple) else (value,) if value else ())
        if principal in ("anonymous", "member"):
            ok = _is_login_redirect(response)
        elif principal != "staff_without_role" and needed and _may(principal, needed):
            # A one-row settings admin sends its list straight to the row's page.
            ok = response.status_code == 200 or (
                response.status_code == 302 and not _is_login_redirect(response)
            )
        else:
            ok = response.status_code == 403
        if not ok:
            wrong.append(f"{url}: {response.status_code}")
    assert not wrong, wrong
