"""The documented production settings pass Django's deployment checks, and an unset secret key
stops the shop instead of running it on the public development key."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FENRUN_"))}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_ALLOWED_HOSTS": "shop.example.tw",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://shop.example.tw",
}


def test_check_deploy_is_clean_in_the_documented_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_debug_the_shop_refuses_to_start_without_a_secret_key():
    for key in ("", "fenrun-local-development-key-not-for-production"):
        result = manage("check", DJANGO_SECRET_KEY=key, **PRODUCTION)
        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_development_still_runs_on_the_local_key():
    result = manage("check")
    assert result.returncode == 0, result.stderr


def test_without_debug_invoices_are_not_issued_through_the_stand_in():
    key = secrets.token_urlsafe(50)
    refused = manage("check", DJANGO_SECRET_KEY=key, FENRUN_INVOICES_ENABLED="true", **PRODUCTION)
    assert refused.returncode != 0
    assert "FENRUN_ECPAY_INVOICE_URL is the stand-in" in refused.stderr
    configured = manage(
        "check",
        DJANGO_SECRET_KEY=key,
        FENRUN_INVOICES_ENABLED="true",
        FENRUN_ECPAY_INVOICE_URL="stage",
        **PRODUCTION,
    )
    assert configured.returncode == 0, configured.stderr


def test_the_file_based_mail_backend_writes_into_the_folder_given_by_the_environment(tmp_path):
    folder = tmp_path / "mail"
    result = manage(
        "shell",
        "-c",
        "from django.core.mail import send_mail; send_mail('s', 'b', 'a@example.com', ['b@example.com'])",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(folder),
    )
    assert result.returncode == 0, result.stderr
    assert "To: b@example.com" in "".join(p.read_text() for p in folder.glob("*.log"))
