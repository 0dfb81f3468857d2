"""Bad input at every edge: never a 500, never a change to money, stock or orders.

Generated, not listed, so a new page, form field or API parameter is covered the day it ships:
- pages: every named route of the URL conf (its path parameters get the bad values; the rest of
  the page is opened with real ones), and every field of every form those pages render (GET
  forms as query strings, POST forms as bodies: one field bad at a time, the others blank so no
  submission can succeed by accident);
- the API: every operation of the OpenAPI document — each path parameter, query parameter and
  JSON body field, and whole bodies nested 50,000 deep;
as a guest, a member and staff. The values: NUL and other control characters, 10,000-character
strings, emoji, ``1e999999999``, ``NaN``, negative and zero amounts, 2^63, the calendar's edges.

Afterwards the ledger's totals, the stock, the number of orders and wallet requests are what they
were, and the wallet reconciles. The explicit list of the addresses that gave a 500 (issue 12)
comes first; control characters must be refused there (404 for a look-up, 422 in the API, 400
on a page), on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import re
import time
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.db.models import Count, Sum
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.api import api
from fenrun.catalog.models import Product
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.orders.models import Order
from fenrun.orders.services import place_order
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient
from fenrun.referrals.models import Campaign
from fenrun.wallet import reconcile, services
from fenrun.wallet.models import Adjustment, Conversion, Entry, Withdrawal

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("uninstrumented_templates")]
# BAD_INPUT_TRACE=<file> logs every request with the seconds since start: where the time goes.
TRACE = (
    open(os.environ["BAD_INPUT_TRACE"], "w", buffering=1)
    if os.environ.get("BAD_INPUT_TRACE")
    else None
)
START = time.monotonic()

NUL = "a\x00b"
CONTROLS = "\x01\x08\x0b\x1b\x7f\x85"
LONG = "長" * 10_000
EMOJI = "🌾🍅" * 3
HUGE = "1e999999999"
TWO_63 = str(2**63)
DATES = ["0001-01-01", "9999-12-31"]
# Every field gets at least these; the others are spread over the fields (see ``_values``).
ALWAYS = [NUL, LONG, HUGE, TWO_63]
SOMETIMES = [CONTROLS, "-1", EMOJI, "0", "NaN", DATES[0], "-" + TWO_63, DATES[1], "sNaN", "0.001"]
DEEP = "[" * 50_000
# Forms with more kinds of field than this get every value in every field at once instead.
FULL_MATRIX_FIELDS = 8
# Routes whose answer would end the session under test or that only redirect elsewhere.
SKIPPED_ROUTES = {"accounts:logout", "set_language"}
SKIPPED_ACTIONS = ("/accounts/logout/", "/i18n/setlang/", "/admin/")


# -- the shop the requests meet ----------------------------------------------------------------


@pytest.fixture
def shop():
    """A member with coins, credit, an order and open wallet requests; staff with every right."""
    staff = UserFactory(is_staff=True, is_superuser=True, email="staff@example.com")
    member = UserFactory(email="member@example.com")
    product = ProductFactory(stock=50, price=Decimal("500"))
    shipping = ShippingMethodFactory()
    for kind, key in (("coins", "bad-input-coins"), ("credit", "bad-input-credit")):
        services.adjust_balance(
            member,
            account_kind=kind,
            amount=Decimal("2000"),
            reason="fixture",
            actor=staff,
            idempotency_key=key,
        )
    order = place_order(
        items=[(product.pk, 1)],
        recipient=home_recipient(),
        shipping_method=shipping,
        payment_method="atm",
        user=member,
    )
    withdrawal = services.request_withdrawal(
        member, amount="500", bank_code="812", account_number="12345678901", account_name="王小明"
    )
    conversion = services.request_conversion(member, "100")
    return {
        "staff": staff,
        "member": member,
        "product": product,
        "order": order,
        "withdrawal": withdrawal,
        "conversion": conversion,
    }


@pytest.fixture
def clients(shop):
    made = {"guest": Client(raise_request_exception=False)}
    for who in ("member", "staff"):
        made[who] = Client(raise_request_exception=False)
        made[who].force_login(shop[who])
    # A cart, so the checkout page renders its form.
    made["member"].post(reverse("storefront:cart_add"), {"product": shop["product"].pk})
    return made


def _state() -> dict:
    """What no refused request may change."""
    by_kind = (
        Entry.objects.values("account__kind")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by("account__kind")
    )
    return {
        "ledger": [(r["account__kind"], r["total"], r["n"]) for r in by_kind],
        "stock": Product.objects.aggregate(s=Sum("stock"))["s"],
        "orders": Order.objects.count(),
        "statuses": sorted(Order.objects.values_list("status", flat=True)),
        "withdrawals": list(Withdrawal.objects.order_by("pk").values_list("pk", "status")),
        "conversions": list(Conversion.objects.order_by("pk").values_list("pk", "status")),
        "adjustments": Adjustment.objects.count(),
        "campaigns": Campaign.objects.count(),
    }


class Probe:
    """Sends requests, collects every 5xx and every request after which the state moved."""

    def __init__(self):
        self.failures: list[str] = []
        self.sent = 0
        self.state = _state()

    def send(self, client, method: str, url: str, label: str, **kwargs):
        self.sent += 1
        if TRACE:
            print(f"{time.monotonic() - START:8.2f} {method} {url[:80]} {label}", file=TRACE)
        response = getattr(client, method.lower())(url, **kwargs)
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} {method} {url[:120]!r} {label}")
        return response

    def check_state(self, label: str):
        now = _state()
        if now != self.state:
            self.failures.append(f"state changed after {label}: {self.state} -> {now}")
            self.state = now

    def assert_clean(self):
        assert reconcile.problems() == []
        assert not self.failures, "\n".join(self.failures[:60])


def _values(index: int, *, text_only: bool = False) -> list[str]:
    """ALWAYS plus two of SOMETIMES in turn, so every value meets many fields."""
    picked = [SOMETIMES[(2 * index) % len(SOMETIMES)], SOMETIMES[(2 * index + 1) % len(SOMETIMES)]]
    values = ALWAYS + picked
    return [v for v in values if not text_only or v in (NUL, LONG, CONTROLS, EMOJI)]


# -- the addresses issue 12 found -------------------------------------------------------------


def _issue_urls(shop):
    order = shop["order"]
    return [
        ("guest", "get", reverse("storefront:search") + "?q=%00", 400),
        ("guest", "get", "/p/%00/", 404),
        ("guest", "get", "/c/%00/", 404),
        ("guest", "get", "/r/%00", 404),
        ("guest", "get", "/api/v1/products?q=%00", 422),
        ("guest", "get", "/api/v1/products/%00", 404),
        ("member", "get", "/api/v1/orders/%00", 404),
        ("member", "get", "/member/orders/%00/", 404),
        ("member", "get", "/checkout/placed/%00/", 404),
        ("guest", "get", "/pay/test/%00/", 404),
        ("member", "get", "/api/v1/analytics/search?q=%00", 422),
        ("staff", "get", reverse("analytics:levels") + "?q=%00", 400),
        ("staff", "get", reverse("wallet:staff_queues") + "?status=%00", 400),
        ("staff", "get", reverse("wallet:staff_members") + "?q=%00", 400),
        ("staff", "get", "/api/v1/wallet/staff/withdrawals?status=%00", 422),
        ("member", "get", reverse("wallet:my_account") + "?type=%00", 400),
        ("member", "get", f"/api/v1/orders/{order.number}%00", 404),
    ]


def _issue_bodies(shop):
    member = shop["member"]
    w, c = shop["withdrawal"], shop["conversion"]
    order_body = {
        "items": [{"product": shop["product"].slug, "quantity": 1}],
        "recipient_name": "王小明",
        "recipient_phone": "0912345678",
        "email": "buyer@example.com",
        "county": "臺北市",
        "district": "大安區",
        "street": "復興南路一段1號",
        "postal_code": "106",
        "note": "",
        "shipping_method": "home",
        "payment_method": "atm",
        "external_ref": "",
    }
    withdrawal = {
        "amount": "300",
        "bank_code": "812",
        "account_number": "12345678901",
        "account_name": "王小明",
    }
    api_posts = [
        ("member", "/api/v1/orders", {**order_body, "recipient_name": NUL}),
        ("member", "/api/v1/orders", {**order_body, "note": NUL}),
        ("member", "/api/v1/orders", {**order_body, "street": NUL}),
        ("member", "/api/v1/orders", {**order_body, "external_ref": NUL}),
        ("member", "/api/v1/wallet/me/withdrawals", {**withdrawal, "account_name": NUL}),
        ("staff", f"/api/v1/wallet/staff/withdrawals/{w.pk}/reject", {"reason": NUL}),
        ("staff", f"/api/v1/wallet/staff/conversions/{c.pk}/reject", {"reason": NUL}),
        (
            "staff",
            f"/api/v1/wallet/staff/members/{member.pk}/adjustments",
            {"account": "coins", "amount": "1", "reason": NUL},
        ),
        (
            "member",
            "/api/v1/referrals/campaigns",
            {
                "title": NUL,
                "slug": "live-1",
                "kind": "live",
                "starts_at": "2030-01-01T10:00:00+08:00",
                "ends_at": "2030-01-01T12:00:00+08:00",
            },
        ),
        ("member", "/api/v1/referrals/me/code", {"code": "ab\x00cd"}),
    ]
    form_posts = [
        ("member", reverse("wallet:request_withdrawal"), {**withdrawal, "account_name": NUL}),
        ("member", reverse("orders:checkout"), {"recipient_name": NUL, "note": NUL}),
        ("staff", reverse("wallet:staff_adjust", args=[member.pk]), {"reason": NUL}),
        ("staff", reverse("wallet:staff_withdrawal", args=[w.pk]), {"reason": NUL}),
    ]
    return api_posts, form_posts


def test_control_characters_are_refused_at_every_address_issue_12_found(shop, clients):
    probe = Probe()
    wrong = []
    for who, method, url, expected in _issue_urls(shop):
        response = probe.send(clients[who], method, url, who)
        if response.status_code != expected:
            wrong.append(f"{who} {url}: {response.status_code}, expected {expected}")
        elif url.startswith("/api/"):
            body = response.json()
            assert set(body) == {"detail", "code", "errors"}, body
    api_posts, form_posts = _issue_bodies(shop)
    for who, url, body in api_posts:
        response = probe.send(
            clients[who], "post", url, who, data=json.dumps(body), content_type="application/json"
        )
        if response.status_code != 422 or response.json()["code"] != "control_character":
            wrong.append(f"{who} POST {url} {body}: {response.status_code} {response.content!r}")
    for who, url, data in form_posts:
        response = probe.send(clients[who], "post", url, who, data=data)
        if response.status_code != 400:
            wrong.append(f"{who} POST {url} {data}: {response.status_code}")
    # Multipart too: a field value, and an uploaded file's name.
    response = probe.send(
        clients["member"], "post", reverse("orders:checkout"), "multipart", data={"note": NUL}
    )
    if response.status_code != 400:
        wrong.append(f"multipart checkout: {response.status_code}")
    probe.check_state("the addresses of issue 12")
    assert not wrong, "\n".join(wrong)
    probe.assert_clean()


# -- pages: the URL conf and the forms they render --------------------------------------------


def _routes(patterns=None, prefix="", namespace=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            child = f"{namespace}:{ns}".strip(":") if ns else namespace
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern), child)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, prefix + str(entry.pattern)


def page_routes() -> list[tuple[str, str]]:
    """Every named page: not the API (its own document covers it), the admin or static media."""
    return sorted(
        (name, route)
        for name, route in _routes()
        if not route.startswith(("api/", "admin/", "media/", "i18n/"))
        and name not in SKIPPED_ROUTES
    )


PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _real_values(shop) -> dict[str, str]:
    return {
        "pk": str(shop["member"].pk),
        "number": shop["order"].number,
        "slug": shop["product"].slug,
        "code": "nobody",
        "reference": "nobody",
        "uidb64": "MQ",
        "token": "set-password",
    }


def _fill(route: str, values: dict[str, str], bad: tuple[str, str] | None = None) -> str:
    def one(match):
        name = match.group(2)
        if bad and bad[0] == name:
            return quote(bad[1], safe="")
        return values.get(name, "1")

    return "/" + PARAM.sub(one, route)


def _principals_for(route: str) -> list[str]:
    if route.startswith("staff/"):
        return ["staff"]
    if route.startswith("member/") or route.startswith("checkout/"):
        return ["member"]
    return ["guest", "member"]


class _Forms(HTMLParser):
    """The forms of a page: action, method and each named field with its first value."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._open = {
                "action": a.get("action") or "",
                "method": (a.get("method") or "get").lower(),
                "fields": {},
            }
            self.forms.append(self._open)
        elif self._open is not None and tag in ("input", "select", "textarea", "button"):
            name = a.get("name")
            if name and name != "csrfmiddlewaretoken":
                self._open["fields"].setdefault(name, a.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def _forms_of(html: str, page_url: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    found = []
    for form in parser.forms:
        action = urlsplit(form["action"] or page_url).path or page_url
        if form["fields"] and not action.startswith(SKIPPED_ACTIONS):
            found.append({**form, "action": action})
    return found


def _one_of_each_kind(names) -> list[str]:
    """One field of each numbered family (``rate_0`` … ``rate_14`` are one kind of field)."""
    seen, picked = set(), []
    for name in names:
        kind = re.sub(r"\d+", "#", name)
        if kind not in seen:
            seen.add(kind)
            picked.append(name)
    return picked


def test_pages_and_their_forms_survive_bad_input(shop, clients):
    probe = Probe()
    values = _real_values(shop)
    routes = page_routes()
    assert len(routes) > 50  # the walk found the URL conf at all
    forms: dict[tuple[str, str, str], dict] = {}
    for index, (name, route) in enumerate(routes):
        for who in _principals_for(route):
            client = clients[who]
            for param in PARAM.findall(route):
                for value in _values(index):
                    url = _fill(route, values, (param[1], value))
                    probe.send(client, "get", url, f"{who} {name} {param[1]}")
            url = _fill(route, values)
            response = probe.send(client, "get", url, f"{who} {name}")
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                for form in _forms_of(response.content.decode(), url):
                    forms.setdefault((form["method"], form["action"]), {**form, "who": who})
        probe.check_state(name)
    assert len(forms) > 20  # the pages rendered their forms
    for index, ((method, action), form) in enumerate(sorted(forms.items())):
        who, client = form["who"], clients[form["who"]]
        fields = _one_of_each_kind(form["fields"])
        blank = dict.fromkeys(form["fields"], "")

        def submit(data, label, method=method, action=action, who=who, client=client):
            if method == "get":
                probe.send(client, "get", f"{action}?{urlencode(data)}", f"{who} {label}")
            else:
                probe.send(client, "post", action, f"{who} {label}", data=data)

        if len(fields) <= FULL_MATRIX_FIELDS:
            for field_index, field in enumerate(fields):
                for value in _values(index + field_index):
                    submit({**blank, field: value}, f"form field {field}")
        else:
            # A long form (the plan editor): every value in every field at once, and each field
            # alone with NUL and one other value in turn.
            for value in _values(index) + SOMETIMES:
                submit(dict.fromkeys(form["fields"], value), f"every field = {value[:20]!r}")
            for field_index, field in enumerate(fields):
                for value in (NUL, _values(field_index)[1 + field_index % 5]):
                    submit({**blank, field: value}, f"form field {field}")
        probe.check_state(f"{who} {method} {action}")
    probe.assert_clean()


# -- the API: its OpenAPI document -------------------------------------------------------------


def _resolve(schema: dict, components: dict) -> dict:
    ref = schema.get("$ref")
    return components[ref.split("/")[-1]] if ref else schema


def _types(schema: dict, components: dict) -> set[str]:
    schema = _resolve(schema, components)
    kinds = {schema["type"]} if "type" in schema else set()
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        kinds |= _types(option, components)
    if "enum" in schema:
        kinds.add("enum")
    return kinds


def _baseline(schema: dict, components: dict):
    """A plain value of the schema's type: the other fields of a body under test."""
    schema = _resolve(schema, components)
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return _baseline(schema["anyOf"][0], components)
    kind = schema.get("type")
    if schema.get("format") == "date":
        return "2024-01-01"
    if schema.get("format") == "date-time":
        return "2030-01-01T10:00:00+08:00"
    return {"integer": 1, "number": 1, "boolean": False, "array": [], "object": {}}.get(kind, "x")


def _json_values(index: int, kinds: set[str]):
    """Bad values for a JSON field, as JSON text (so NaN, 1e999999999 and 2^63 stay literal)."""
    texts = [json.dumps(v) for v in _values(index)] + [json.dumps("\ud800")]
    if kinds & {"number", "integer"}:
        texts += [HUGE, "NaN", "Infinity", "-1", "0", TWO_63, "-" + TWO_63, "1e-999999999"]
    return texts


def api_operations(shop):
    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]
    real = {
        "slug": shop["product"].slug,
        "number": shop["order"].number,
        "member_id": shop["member"].pk,
        "user_id": shop["member"].pk,
        "withdrawal_id": shop["withdrawal"].pk,
        "conversion_id": shop["conversion"].pk,
        "order_id": shop["order"].pk,
        "metric": "sales",
    }
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            params = op.get("parameters", [])
            body = None
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = _resolve(content["application/json"]["schema"], components)
            yield method.upper(), path, op, params, body, components, real


def _who_calls(op) -> str:
    access = set(op["x-access"])
    if "public" in access:
        return "guest"
    if "member" in access:
        return "member"
    return "staff"


def test_every_api_parameter_and_body_field_survives_bad_input(shop, clients):
    probe = Probe()
    ops = list(api_operations(shop))
    assert len(ops) > 40
    for index, operation in enumerate(ops):
        _exercise(probe, clients, index, *operation)
        probe.check_state(f"{operation[0]} {operation[1]}")
    probe.assert_clean()


def _exercise(probe, clients, index, method, path, op, params, body, components, real):
    client = clients[_who_calls(op)]
    # Reads meet real rows; writes an unknown one, so a value that happens to be acceptable
    # (a reason "0") cannot decide a real request.
    known = real if method == "GET" else {}
    path_values = {p["name"]: known.get(p["name"], 999999) for p in params if p["in"] == "path"}

    def url_with(bad_param=None, bad_value="", query=None):
        def one(match):
            name = match.group(1)
            return quote(bad_value if name == bad_param else str(path_values[name]), safe="")

        url = re.sub(r"\{(\w+)\}", one, path)
        return f"{url}?{urlencode(query)}" if query else url

    properties = (body or {}).get("properties", {})
    baseline = {name: _baseline(prop, components) for name, prop in properties.items()}

    def send(url, label, data=None):
        if body is None:
            probe.send(client, method, url, label)
        else:
            data = json.dumps(baseline) if data is None else data
            probe.send(client, method, url, label, data=data, content_type="application/json")

    for param_index, param in enumerate(params):
        for value in _values(index + param_index):
            if param["in"] == "path":
                send(url_with(param["name"], value), f"path {param['name']}")
            elif param["in"] == "query":
                send(url_with(query={param["name"]: value}), f"query {param['name']}")
    if body is None:
        if method == "GET":
            send(url_with(), "no parameters")
        return
    for field_index, (name, prop) in enumerate(properties.items()):
        others = {k: json.dumps(v) for k, v in baseline.items() if k != name}
        for text in _json_values(index + field_index, _types(prop, components)):
            members = {**others, name: text}
            document = "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in members.items()) + "}"
            send(url_with(), f"body {name}", data=document)
    send(url_with(), "body nested 50,000 deep", data=DEEP)
    send(url_with(), "a field nested 50,000 deep", data='{"x": ' + DEEP + "}")
