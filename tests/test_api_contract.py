"""The API as a whole does what docs/api.md says, on every router alike.

Each test walks the OpenAPI document (or the operations behind it), so a router added later is
held to the same rules without a test of its own.
"""

import json
import re

import pytest
from django.test import Client
from pydantic import BaseModel

from fenrun.accounts.tests.factories import UserFactory
from fenrun.api import api
from fenrun.core.auth import issue_integrator_token
from fenrun.referrals.models import ReferralCode
from fenrun.wallet.models import Conversion

pytestmark = pytest.mark.django_db

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def operations():
    """(method, path template, operation) for every operation in the document."""
    doc = api.get_openapi_schema()
    return [
        (method.upper(), path, op)
        for path, methods in doc["paths"].items()
        for method, op in methods.items()
    ]


def _path_params(op):
    return [p for p in op.get("parameters", []) if p["in"] == "path"]


def _url(path, op, value_for_int="1"):
    def value(match):
        for param in _path_params(op):
            if param["name"] == match.group(1):
                return value_for_int if param["schema"].get("type") == "integer" else "nobody"
        return "nobody"

    return re.sub(r"\{(\w+)\}", value, path)


def _call(client, method, url, **headers):
    return client.generic(method, url, data="{}", content_type="application/json", headers=headers)


def _is_error_shape(response, code=None):
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["code"], str) and body["code"]
    if code is not None:
        assert body["code"] == code, body
    return body


def _guarded():
    return [(m, p, op) for m, p, op in operations() if "public" not in op["x-access"]]


# -- unknown fields ----------------------------------------------------------------------------


def test_every_request_body_refuses_unknown_fields_in_the_document():
    doc = api.get_openapi_schema()
    schemas = doc["components"]["schemas"]
    loose = []
    for method, path, op in operations():
        body = op.get("requestBody")
        if not body:
            continue
        ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        pending, seen = [ref], set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            schema = schemas[name]
            if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
                loose.append(f"{method} {path}: {name}")
            pending += re.findall(r'"#/components/schemas/(\w+)"', json.dumps(schema))
    assert not loose, loose


def test_wallet_and_referrals_refuse_an_unknown_field_and_do_nothing():
    client = Client()
    client.force_login(UserFactory())
    conversion = client.post(
        "/api/v1/wallet/me/conversions",
        json.dumps({"coins": "10", "ratio": "100"}),
        content_type="application/json",
    )
    assert conversion.status_code == 422
    assert "ratio" in _is_error_shape(conversion)["errors"]
    vanity = client.post(
        "/api/v1/referrals/me/code",
        json.dumps({"code": "mycode", "kind": "staff"}),
        content_type="application/json",
    )
    assert vanity.status_code == 422
    assert "kind" in _is_error_shape(vanity)["errors"]
    assert not ReferralCode.objects.filter(code="mycode").exists()
    assert not Conversion.objects.exists()


# -- authentication ----------------------------------------------------------------------------


def test_a_bad_bearer_key_is_refused_even_with_a_session_on_every_router():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    wrong = []
    for method, path, op in _guarded():
        response = _call(client, method, _url(path, op), Authorization="Bearer fr_not-a-key")
        if response.status_code != 401:
            wrong.append(f"{method} {path}: {response.status_code}")
        else:
            _is_error_shape(response, "unauthenticated")
    assert not wrong, wrong


def test_a_valid_key_on_an_operation_integrators_may_not_call_is_403_with_a_session_too():
    _, key = issue_integrator_token("contract-pos")
    client = Client()
    client.force_login(UserFactory())
    response = client.get("/api/v1/wallet/me", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403
    _is_error_shape(response, "integrator_not_allowed")


def test_an_anonymous_write_is_401_not_a_csrf_failure():
    client = Client(enforce_csrf_checks=True)
    wrong = []
    for method, path, op in _guarded():
        if method not in WRITES:
            continue
        response = _call(client, method, _url(path, op))
        if response.status_code != 401:
            wrong.append(f"{method} {path}: {response.status_code} {response.content[:80]}")
    assert not wrong, wrong


def test_a_session_write_without_the_csrf_token_is_403_csrf_failed_in_the_api_shape():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    wrong = []
    for method, path, op in _guarded():
        if method not in WRITES:
            continue
        response = _call(client, method, _url(path, op))
        if response.status_code != 403 or response.json().get("code") != "csrf_failed":
            wrong.append(f"{method} {path}: {response.status_code} {response.content[:80]}")
    assert not wrong, wrong


def test_a_session_write_with_the_csrf_token_passes_the_check():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    token = "k" * 32  # a CSRF secret, as Django keeps it in the cookie
    client.cookies["csrftoken"] = token
    response = client.post(
        "/api/v1/referrals/me/code",
        json.dumps({"code": "withtoken"}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201, response.content


# -- the document ------------------------------------------------------------------------------


def _models_in(annotation, found):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found.setdefault(annotation.__name__, set()):
            return
        found[annotation.__name__].add(annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, found)
        return
    for arg in getattr(annotation, "__args__", ()):
        _models_in(arg, found)


def test_every_schema_name_in_the_document_names_one_schema():
    found: dict[str, set] = {}
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for operation in path_view.operations:
                for model in operation.response_models.values():
                    if model is not None:
                        _models_in(model.model_fields["response"].annotation, found)
                for model in operation.models:
                    for field in model.model_fields.values():
                        _models_in(field.annotation, found)
    # Ninja builds a page schema (Paged<Item>) per list operation: the same name for the same
    # JSON schema is one schema; the same name for two different ones would hide one of them.
    shared = {
        name: sorted({json.dumps(c.model_json_schema(), sort_keys=True) for c in classes})
        for name, classes in found.items()
    }
    assert {n: len(m) for n, m in shared.items() if len(m) > 1} == {}


def test_every_operation_documents_the_errors_the_framework_can_give():
    missing = []
    for method, path, op in operations():
        documented = {str(status) for status in op["responses"]}
        access = set(op["x-access"])
        needed = set()
        if "public" not in access:
            # Someone authenticated is refused: a key where integrators may not call or
            # without the operation's scope, a role without the capability, a session write
            # without its CSRF token.
            needed |= {"401", "403"}
        if op.get("requestBody") or any(p["in"] == "query" for p in op.get("parameters", [])):
            needed.add("422")
        if _path_params(op):
            needed.add("404")
        if op.get("requestBody"):
            needed.add("400")
        for status in sorted(needed - documented):
            missing.append(f"{method} {path}: {status}")
        for status in documented & needed:
            schema = op["responses"][int(status)]["content"]["application/json"]["schema"]
            assert schema["$ref"].endswith("Out"), (method, path, status)
    assert not missing, missing


def test_integer_path_ids_are_bounded_in_the_document():
    loose = []
    for method, path, op in operations():
        for param in _path_params(op):
            schema = param["schema"]
            if schema.get("type") == "integer" and not (
                schema.get("minimum") == 1 and schema.get("maximum") == 2**63 - 1
            ):
                loose.append(f"{method} {path} {param['name']}")
    assert not loose, loose


# -- not found, not allowed --------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["abc", "-1", "0", "1.5", "1e3", str(2**63), str(2**64)])
def test_a_bad_id_in_a_path_is_a_json_404_on_every_operation(bad_id):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    wrong = []
    for method, path, op in operations():
        if not any(p["schema"].get("type") == "integer" for p in _path_params(op)):
            continue
        response = _call(client, method, _url(path, op, value_for_int=bad_id))
        if response.status_code != 404 or not response["Content-Type"].startswith(
            "application/json"
        ):
            wrong.append(f"{method} {path}: {response.status_code} {response['Content-Type']}")
        else:
            _is_error_shape(response, "not_found")
    assert not wrong, wrong


@pytest.mark.parametrize(
    "url", ["/api/v1/nothing", "/api/v1/wallet/me/", "/api/v1/orders/x/y/z", "/api/v2/products"]
)
def test_an_unknown_api_url_is_a_json_404(url):
    response = Client().get(url)
    assert response.status_code == 404
    _is_error_shape(response, "not_found")


def test_a_method_an_api_url_does_not_take_is_a_json_405_with_allow():
    response = Client().delete("/api/v1/products")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    _is_error_shape(response, "method_not_allowed")


def test_a_write_to_an_unknown_api_url_is_a_json_404_not_a_csrf_page():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    response = client.put("/api/v1/commissions/plans/null", "{}", content_type="application/json")
    assert response.status_code == 404
    _is_error_shape(response, "not_found")


def test_a_body_that_is_not_json_is_a_400_in_the_api_shape():
    client = Client()
    client.force_login(UserFactory())
    response = client.post(
        "/api/v1/wallet/me/conversions", b"{not json", content_type="application/json"
    )
    assert response.status_code == 400
    _is_error_shape(response, "malformed_body")


def test_a_parser_that_refuses_a_body_by_a_shop_rule_gets_its_own_answer(monkeypatch):
    from fenrun.core.errors import DomainError

    def refuse(request):
        raise DomainError("No control characters.", code="control_character")

    monkeypatch.setattr(api.parser, "parse_body", refuse)
    client = Client()
    client.force_login(UserFactory())
    response = client.post("/api/v1/wallet/me/conversions", b"{}", content_type="application/json")
    assert response.status_code == 422
    _is_error_shape(response, "control_character")


# -- lists -------------------------------------------------------------------------------------


# What an analytics report's page may carry beside the paging fields: the period it covers, the
# node whose referrals it lists, the metric it ranks by.
PAGE_CONTEXT = {"period", "parent_id", "metric"}


def test_every_list_is_paged_the_same_way():
    doc = api.get_openapi_schema()
    schemas = doc["components"]["schemas"]
    wrong = []
    for method, path, op in operations():
        if method != "GET":
            continue
        schema = op["responses"][200]["content"]["application/json"]["schema"]
        if schema.get("type") == "array":
            wrong.append(f"{path}: a bare list")
            continue
        body = schemas[schema["$ref"].rsplit("/", 1)[1]]
        if "items" not in body.get("properties", {}):
            continue
        query = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        if (
            set(body["properties"]) - PAGE_CONTEXT != {"count", "limit", "offset", "items"}
            or not {
                "limit",
                "offset",
            }
            <= query
        ):
            wrong.append(f"{path}: {sorted(body['properties'])} with {sorted(query)}")
    assert not wrong, wrong


def test_a_page_says_where_it_is_and_how_many_there_are():
    from fenrun.wallet.services import cancel_conversion, request_conversion
    from fenrun.wallet.tests.conftest import earn

    member = UserFactory()
    earn(member, 1000)
    for _ in range(3):
        cancel_conversion(request_conversion(member, 10).pk, member=member)
    client = Client()
    client.force_login(member)
    page = client.get("/api/v1/wallet/me/conversions", {"limit": 2, "offset": 1}).json()
    assert (page["count"], page["limit"], page["offset"], len(page["items"])) == (3, 2, 1, 2)
    assert client.get("/api/v1/wallet/me/conversions", {"limit": 101}).status_code == 422
