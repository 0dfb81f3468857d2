"""Every kind of response carries the Content-Security-Policy and the Permissions-Policy, strict
everywhere but the admin, whose theme needs eval and a <style> element (docs/operations.md)."""

import importlib
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.core.testing import grant_role

ROOT = Path(__file__).resolve().parents[3]
db = pytest.mark.django_db

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
PERMISSIONS_OFF = ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()")


def directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in parts}


def member_client() -> Client:
    client = Client()
    client.force_login(UserFactory())
    return client


def staff_client() -> Client:
    client = Client()
    client.force_login(grant_role(UserFactory(), "店長"))
    return client


def assert_permissions_policy(response):
    policy = response["Permissions-Policy"]
    for feature in PERMISSIONS_OFF:
        assert feature in policy
    # the share buttons copy and share: those stay allowed
    assert "clipboard" not in policy and "web-share" not in policy


@db
def test_a_storefront_page_has_the_strict_policy():
    product = ProductFactory()
    response = Client().get(product.get_absolute_url())
    assert response.status_code == 200
    assert directives(response) == STRICT
    assert_permissions_policy(response)


@db
@pytest.mark.parametrize("name", ["storefront:member_orders", "referrals:my_links"])
def test_member_pages_have_the_strict_policy(name):
    response = member_client().get(reverse(name))
    assert response.status_code == 200
    assert directives(response) == STRICT
    assert_permissions_policy(response)


@db
def test_staff_pages_outside_the_admin_keep_the_strict_policy():
    response = staff_client().get(reverse("commissions:plan_create"))
    assert response.status_code == 200
    assert directives(response) == STRICT


@db
def test_an_api_response_has_the_policy():
    response = Client().get("/api/v1/products")
    assert response.status_code == 200
    assert directives(response) == STRICT
    assert_permissions_policy(response)


@db
@pytest.mark.parametrize("url", ["/admin/", "/admin/orders/order/", "/admin/login/"])
def test_the_admin_alone_may_eval_and_use_inline_styles(url):
    client = Client() if url == "/admin/login/" else staff_client()
    response = client.get(url)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == "'self' 'unsafe-eval'"
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    # still no inline script, nothing from elsewhere, no framing
    assert "'unsafe-inline'" not in policy["script-src"]
    assert {k: v for k, v in policy.items() if k not in ("script-src", "style-src")} == {
        k: v for k, v in STRICT.items() if k not in ("script-src", "style-src")
    }
    assert_permissions_policy(response)


def policy_under(monkeypatch, **env) -> dict:
    """The settings module's policy as read with these environment variables."""
    import config.settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        return importlib.reload(config.settings).CONTENT_SECURITY_POLICY["DIRECTIVES"]
    finally:
        for name in env:
            monkeypatch.delenv(name)
        importlib.reload(config.settings)


def test_an_owner_extends_the_policy_from_the_environment(monkeypatch):
    policy = policy_under(
        monkeypatch,
        FENRUN_CSP_FORM_ACTION="https://pay.example.tw, https://3d.example.tw",
        FENRUN_CSP_REPORT_URI="https://csp.example.tw/report",
        FENRUN_CSP_EXTRA="frame-src https://www.youtube-nocookie.com; img-src https://cdn.example.tw",
    )
    assert policy["form-action"] == ["'self'", "https://pay.example.tw", "https://3d.example.tw"]
    assert policy["report-uri"] == ["https://csp.example.tw/report"]
    assert policy["frame-src"] == ["'self'", "https://www.youtube-nocookie.com"]
    assert policy["img-src"] == ["'self'", "https://cdn.example.tw"]
    assert policy["script-src"] == ["'self'"]


def test_a_malformed_addition_stops_the_shop(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="FENRUN_CSP_EXTRA"):
        policy_under(monkeypatch, FENRUN_CSP_EXTRA="https://www.youtube-nocookie.com")


# What the policy refuses, found in the templates themselves: the browser test only sees an
# inline handler when its event fires, so every template is read for one.
TEMPLATE_DIRS = sorted(ROOT.glob("fenrun/**/templates"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.I)
SCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)
TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.S)


def without_comments(text: str) -> str:
    # Comments never reach the page; keep their newlines so line numbers stay right.
    return TEMPLATE_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text)


def page_templates():
    for directory in TEMPLATE_DIRS:
        for path in directory.rglob("*.html"):
            # e-mails are read in a mail program, not served under the policy
            if "email" not in path.relative_to(directory).parts[:-1]:
                yield path


def test_no_template_carries_what_the_policy_refuses():
    found = []
    for path in page_templates():
        text = without_comments(path.read_text(encoding="utf-8"))
        for name, pattern in [
            ("inline script", INLINE_SCRIPT),
            ("inline event handler", INLINE_HANDLER),
            ("<style> element", STYLE_ELEMENT),
            ("javascript: URL", SCRIPT_URL),
        ]:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert len(TEMPLATE_DIRS) > 5
    assert found == []
