"""Failed log-ins and password-reset requests are limited per account, per e-mail and per client."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from fenrun.accounts import limits
from fenrun.accounts.tests.factories import UserFactory

User = get_user_model()
pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"
NEW_PASSWORD = "another-secret-456"
BLOCKED = "登入失敗次數過多"
RESET_BLOCKED = "重設密碼的申請次數過多"


def log_in(client, email, password, **extra):
    return client.post(
        reverse("accounts:login"), {"username": email, "password": password}, **extra
    )


def fail(client, email, times, **extra):
    for _ in range(times):
        response = log_in(client, email, "wrong-guess", **extra)
        assert response.status_code == 200
        assert "電子郵件或密碼錯誤" in response.content.decode()


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_sixth_try_after_five_failures_is_refused_even_with_the_right_password(client):
    UserFactory(email="amei@example.com")
    fail(client, "amei@example.com", 5)

    response = log_in(client, "amei@example.com", PASSWORD)

    assert response.status_code == 429
    html = response.content.decode()
    assert BLOCKED in html and "15 分鐘" in html
    assert 'id="login-blocked"' in html
    assert "電子郵件或密碼錯誤" not in html  # the answer says why, not "wrong password"
    assert response["Retry-After"] == "900"
    assert not logged_in(client)


def test_four_failures_still_let_the_member_in(client):
    UserFactory(email="amei@example.com")
    fail(client, "amei@example.com", 4)
    assert log_in(client, "amei@example.com", PASSWORD).status_code == 302
    assert logged_in(client)


def test_the_blocked_message_is_translated(client):
    UserFactory(email="amei@example.com")
    fail(client, "amei@example.com", 5)
    response = log_in(client, "amei@example.com", PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "Too many failed log-in attempts. Wait 15 minutes" in response.content.decode()


def test_success_clears_the_accounts_counter(client):
    UserFactory(email="amei@example.com")
    fail(client, "amei@example.com", 4)
    assert log_in(client, "amei@example.com", PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    fail(client, "amei@example.com", 4)  # 8 in the window, but only 4 since the success
    assert log_in(client, "amei@example.com", PASSWORD).status_code == 302


def test_the_account_limit_is_per_client_address(client):
    UserFactory(email="amei@example.com")
    fail(client, "amei@example.com", 5, REMOTE_ADDR="203.0.113.7")
    assert log_in(client, "amei@example.com", PASSWORD, REMOTE_ADDR="203.0.113.7").status_code == (
        429
    )
    # The member on her own phone is not locked out by someone guessing elsewhere.
    assert log_in(client, "amei@example.com", PASSWORD, REMOTE_ADDR="198.51.100.2").status_code == (
        302
    )


def test_the_address_is_blocked_after_thirty_failures_over_many_accounts(client):
    UserFactory(email="amei@example.com")
    for n in range(30):
        # Four tries per account stay under the account limit; the address limit catches them.
        response = log_in(client, f"guess{n // 4}@example.com", "wrong-guess")
        assert response.status_code == 200, n
    assert log_in(client, "amei@example.com", PASSWORD).status_code == 429
    assert log_in(client, "amei@example.com", PASSWORD, REMOTE_ADDR="198.51.100.2").status_code == (
        302
    )


def test_the_back_office_log_in_is_limited_too(client):
    staff = UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)
    for variant in (
        "boss@example.com",
        "BOSS@example.com",
        "Boss@Example.com",
        " boss@example.com",
        "boss@EXAMPLE.com",
    ):
        response = client.post(
            reverse("admin:login"), {"username": variant, "password": "wrong-guess"}
        )
        assert response.status_code == 200
    # Five failures in any spelling count for one account: the right password no longer works.
    response = client.post(reverse("admin:login"), {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 200
    assert not logged_in(client)
    # And the shop's log-in page, which shares the counters, says why.
    assert log_in(client, staff.email, PASSWORD).status_code == 429


def test_the_block_ends_with_the_window(client, monkeypatch):
    UserFactory(email="amei@example.com")
    fail(client, "amei@example.com", 5)
    assert log_in(client, "amei@example.com", PASSWORD).status_code == 429
    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert log_in(client, "amei@example.com", PASSWORD).status_code == 302


def test_a_forged_forwarded_header_does_not_escape_the_limit_without_a_proxy(client, settings):
    settings.FENRUN_PROXY_COUNT = 0
    UserFactory(email="amei@example.com")
    for n in range(5):
        log_in(client, "amei@example.com", "wrong-guess", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    response = log_in(client, "amei@example.com", PASSWORD, HTTP_X_FORWARDED_FOR="10.0.0.99")
    assert response.status_code == 429


def test_behind_a_proxy_clients_are_told_apart_by_the_forwarded_address(client, settings):
    settings.FENRUN_PROXY_COUNT = 1
    UserFactory(email="amei@example.com")
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    fail(client, "amei@example.com", 5, HTTP_X_FORWARDED_FOR="forged, 203.0.113.7", **proxy)
    blocked = log_in(
        client, "amei@example.com", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy
    )
    assert blocked.status_code == 429
    other = log_in(
        client, "amei@example.com", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy
    )
    assert other.status_code == 302


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "expected"),
    [
        ("203.0.113.7", "", 0, "203.0.113.7"),
        ("127.0.0.1", "1.2.3.4, 203.0.113.7", 0, "127.0.0.1"),
        ("127.0.0.1", "1.2.3.4, 203.0.113.7", 1, "203.0.113.7"),
        ("127.0.0.1", "1.2.3.4, 203.0.113.7, 10.0.0.2", 2, "203.0.113.7"),
        ("127.0.0.1", "", 1, "127.0.0.1"),  # a proxy that sent no header: its own address
        ("2001:db8:1:2:aaaa::1", "", 0, "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "", 0, "203.0.113.7"),
    ],
)
def test_client_address(settings, remote, forwarded, proxies, expected):
    settings.FENRUN_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert limits.client_ip(RequestFactory().get("/", **meta)) == expected


def test_two_ipv6_addresses_of_one_subscriber_share_a_counter(client):
    UserFactory(email="amei@example.com")
    for n in range(5):
        log_in(client, "amei@example.com", "wrong-guess", REMOTE_ADDR=f"2001:db8:1:2::{n + 1}")
    response = log_in(client, "amei@example.com", PASSWORD, REMOTE_ADDR="2001:db8:1:2::ff")
    assert response.status_code == 429


# ------------------------------------------------------------------------ password resets


def request_reset(client, email, **extra):
    return client.post(reverse("accounts:password_reset"), {"email": email}, **extra)


def test_three_reset_mails_per_address_then_429(client):
    UserFactory(email="amei@example.com")
    for _ in range(3):
        assert request_reset(client, "amei@example.com").status_code == 302
    assert len(mail.outbox) == 3

    response = request_reset(client, "AMEI@example.com", REMOTE_ADDR="198.51.100.2")
    assert response.status_code == 429
    assert RESET_BLOCKED in response.content.decode() and "60 分鐘" in response.content.decode()
    assert response["Retry-After"] == "3600"
    assert len(mail.outbox) == 3


def test_an_unknown_address_is_limited_the_same_way(client):
    # The answer for an unregistered address must not differ, or the limit would reveal members.
    for _ in range(3):
        assert request_reset(client, "nobody@example.com").status_code == 302
    assert request_reset(client, "nobody@example.com").status_code == 429
    assert mail.outbox == []


def test_ten_reset_requests_per_client_address(client):
    for n in range(10):
        assert request_reset(client, f"someone{n}@example.com").status_code == 302
    assert request_reset(client, "someone-else@example.com").status_code == 429
    other = request_reset(client, "someone-else@example.com", REMOTE_ADDR="198.51.100.2")
    assert other.status_code == 302


def test_resetting_the_password_lifts_the_log_in_block(client):
    user = UserFactory(email="amei@example.com")
    fail(client, "amei@example.com", 5)
    assert log_in(client, "amei@example.com", PASSWORD).status_code == 429

    request_reset(client, "amei@example.com")
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert log_in(client, "amei@example.com", NEW_PASSWORD).status_code == 302


# ---------------------------------------------------------------- registration (issue 12)


def _register(client, n, **extra):
    return client.post(
        reverse("accounts:register"),
        {
            "email": f"burst{n}@example.com",
            "name": "新會員",
            "password1": "a-Long-pass-2026",
            "password2": "a-Long-pass-2026",
            "referral_code": "",
        },
        **extra,
    )


def test_registration_attempts_are_limited_per_client_address(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.FENRUN_REGISTRATION_LIMITS = {"window_seconds": 600, "attempts_per_ip": 3}
    for n in range(3):
        assert _register(client, n, REMOTE_ADDR="203.0.113.7").status_code == 302
        client.logout()
    refused = _register(client, 3, REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "600"
    assert 'id="register-blocked"' in refused.content.decode()
    assert not User.objects.filter(email="burst3@example.com").exists()
    # another address is not affected
    assert _register(client, 4, REMOTE_ADDR="198.51.100.2").status_code == 302


def test_failed_registrations_count_too(client, settings):
    settings.FENRUN_REGISTRATION_LIMITS = {"window_seconds": 600, "attempts_per_ip": 2}
    bad = {"email": "not-an-address", "password1": "x", "password2": "y"}
    for _n in range(2):
        assert client.post(reverse("accounts:register"), bad).status_code == 200
    assert client.post(reverse("accounts:register"), bad).status_code == 429
