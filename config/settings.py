"""fenrun settings: one module, every deployment choice read from the environment."""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", True)
# The embedded set-up runs with a fixed local key. The key signs sessions, the attribution cookie
# and (by default) the test gateway's callbacks: a production shop on the public key could be
# forged, so without DEBUG the shop refuses to start on it.
DEVELOPMENT_SECRET_KEY = "fenrun-local-development-key-not-for-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not DEBUG and SECRET_KEY in ("", DEVELOPMENT_SECRET_KEY):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a long random value when DJANGO_DEBUG is false "
        "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

# HTTPS. On by default without DEBUG; each switch can be turned off for a set-up that must (for
# example a first deployment before the certificate is in place). See docs/operations.md.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(
    os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
# Behind nginx or a load balancer that terminates TLS, Django sees plain HTTP; trust the proxy's
# X-Forwarded-Proto only when told the proxy sets it (a client could send it otherwise).
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
# Health probes from the load balancer come over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
X_FRAME_OPTIONS = "DENY"
# Preloading HSTS is a commitment made at hstspreload.org, not a setting to default: the check
# that asks for it is silenced; DJANGO_SECURE_HSTS_PRELOAD=true turns preloading on.
SILENCED_SYSTEM_CHECKS = ["security.W021"]


def env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def csp_additions(text: str) -> dict[str, list[str]]:
    """'frame-src https://www.youtube-nocookie.com; img-src https://cdn.example.tw' as a dict."""
    additions: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        directive, *sources = part.split()
        if not directive.endswith(("-src", "-uri", "-action")) or not sources:
            raise ImproperlyConfigured(f"FENRUN_CSP_EXTRA: {part!r} is not 'directive source...'")
        additions.setdefault(directive, []).extend(sources)
    return additions


# Content-Security-Policy (django-csp; docs/operations.md says how to extend it). Every page
# loads its scripts, styles, fonts and images from the shop itself, so nothing else may run: an
# injected <script>, an inline event handler or a script from another host is refused.
# Style attributes (style="...") are allowed, <style> elements are not: the templates use them
# for one-off layout and the charts write them; an attribute cannot run script and has no
# selectors, so it cannot read the page (the CSS data-theft trick needs a stylesheet).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        # QR codes are inline SVG and no stylesheet uses data: images, so none are allowed.
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        # A payment gateway that takes the buyer to its own page by a form post needs its
        # origin here: FENRUN_CSP_FORM_ACTION=https://payment.ecpay.com.tw (comma-separated).
        "form-action": [SELF, *env_list("FENRUN_CSP_FORM_ACTION")],
        **(
            {"report-uri": [os.environ["FENRUN_CSP_REPORT_URI"]]}
            if os.environ.get("FENRUN_CSP_REPORT_URI")
            else {}
        ),
    }
}
# Sources an owner adds without changing code, e.g. a video embed or images on a CDN:
# FENRUN_CSP_EXTRA="frame-src https://www.youtube-nocookie.com; img-src https://cdn.example.tw"
for _directive, _sources in csp_additions(os.environ.get("FENRUN_CSP_EXTRA", "")).items():
    _current = CONTENT_SECURITY_POLICY["DIRECTIVES"].get(_directive)
    # A fetch directive not yet set falls back to default-src 'self': keep 'self' when adding.
    CONTENT_SECURITY_POLICY["DIRECTIVES"][_directive] = [*(_current or [SELF]), *_sources]
# Added to the policy under /admin/ only: the admin theme's Alpine.js evaluates expressions
# (unsafe-eval) and writes a <style> element (fenrun/core/security_headers.py says why).
FENRUN_CSP_ADMIN_EXTRA = {"script-src": [UNSAFE_EVAL], "style-src": [UNSAFE_INLINE]}
# Browser features no page of the shop uses, switched off for every page and any frame in it.
# Clipboard and Web Share stay allowed: the share buttons use them.
FENRUN_PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "django.contrib.sitemaps",
    "ninja",
    "fenrun.core",
    "fenrun.accounts",
    "fenrun.catalog",
    "fenrun.orders",
    "fenrun.referrals",
    "fenrun.commissions",
    "fenrun.wallet",
    "fenrun.analytics",
    "fenrun.webhooks",
    "fenrun.invoices",
    "fenrun.storefront",
    "fenrun.shop",
    "fenrun.standins",
]

MIDDLEWARE = [
    "fenrun.core.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "fenrun.core.security_headers.ContentSecurityPolicyMiddleware",
    "fenrun.core.security_headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fenrun.core.middleware.InputGuardMiddleware",
    "fenrun.referrals.middleware.ReferralMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "fenrun" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fenrun.storefront.context_processors.shop",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at BEGIN,
    # so concurrent checkouts queue instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "storefront:member_orders"
LOGOUT_REDIRECT_URL = "storefront:home"
# Django's backend behind the log-in limits (fenrun/accounts/limits.py), for every log-in page.
AUTHENTICATION_BACKENDS = ["fenrun.accounts.backends.RateLimitedModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "fenrun" / "locale"]
TIME_ZONE = "Asia/Taipei"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "fenrun" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("FENRUN_MEDIA_ROOT", BASE_DIR / "media"))
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Where django.core.mail.backends.filebased.EmailBackend writes each mail (a staging shop that
# must not mail anybody, or benchmarks/live_spike.py counting what the worker sent).
if os.environ.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
# The SMTP server of django.core.mail.backends.smtp.EmailBackend (the shop's mail provider).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "shop@fenrun.local")
# Where the new-order notice goes (comma-separated addresses); empty sends none.
FENRUN_ORDER_NOTIFY_EMAIL = os.environ.get("FENRUN_ORDER_NOTIFY_EMAIL", "")

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Failed log-ins and password-reset requests allowed per window (docs/operations.md).
FENRUN_LOGIN_LIMITS = {
    "window_seconds": 15 * 60,
    "failures_per_account": 5,  # per account and client address
    "failures_per_ip": 30,
    "reset_window_seconds": 60 * 60,
    "resets_per_email": 3,
    "resets_per_ip": 10,
}
# Registration (fenrun.accounts.limits): attempts per client address in a fixed window. Generous
# enough for a shop counter or a venue's Wi-Fi during a live event, far below a script's rate.
FENRUN_REGISTRATION_LIMITS = {
    "window_seconds": 10 * 60,
    "attempts_per_ip": 10,
}
# Bursts of sign-ups under one sponsor are flagged for staff review (fenrun.referrals.signups),
# not refused: a KOL's live stream legitimately brings many sign-ups at once.
FENRUN_SIGNUP_BURST = {
    "window_seconds": 10 * 60,
    "per_sponsor_and_ip": 3,  # the 3rd sign-up under one sponsor from one address is flagged
    "per_sponsor": 30,  # from any addresses within the window
}
# Reverse proxies in front of the app that append to X-Forwarded-For (nginx: 1). With 0 the
# client address is REMOTE_ADDR; behind a proxy that would put every visitor on one address.
FENRUN_PROXY_COUNT = int(os.environ.get("FENRUN_PROXY_COUNT", "0"))

# Shop identity, shown in pages, e-mails and share previews.
FENRUN_SHOP_NAME = os.environ.get("FENRUN_SHOP_NAME", "山嵐小農")
FENRUN_SITE_URL = os.environ.get("FENRUN_SITE_URL", "http://127.0.0.1:8000")
# The test gateway marks orders paid without money moving: on for the demo, off in production.
FENRUN_TEST_GATEWAY_ENABLED = env_bool("FENRUN_TEST_GATEWAY_ENABLED", DEBUG)
# Shared secret of the test payment gateway's signed callback.
FENRUN_TEST_GATEWAY_SECRET = os.environ.get("FENRUN_TEST_GATEWAY_SECRET", SECRET_KEY)

# Payment providers (docs/payments.md). Staff switch providers and methods on and enter their
# keys in the back office; a key given here in the environment wins over the one stored there.
FENRUN_PAYMENT_CREDENTIALS = {
    "ecpay": {
        "merchant_id": os.environ.get("FENRUN_ECPAY_MERCHANT_ID", ""),
        "key": os.environ.get("FENRUN_ECPAY_HASH_KEY", ""),
        "iv": os.environ.get("FENRUN_ECPAY_HASH_IV", ""),
    },
    "linepay": {
        "merchant_id": os.environ.get("FENRUN_LINEPAY_CHANNEL_ID", ""),
        "key": os.environ.get("FENRUN_LINEPAY_CHANNEL_SECRET", ""),
        "iv": "",
    },
}
# The Fernet key(s) that encrypt the keys stored in the database (fenrun.core.secrets).
FENRUN_SECRETS_KEY = os.environ.get("FENRUN_SECRETS_KEY", "")
# Seconds to wait for a provider's API (LINE Pay's request/confirm, ECPay's query and refund).
FENRUN_PAYMENT_HTTP_TIMEOUT = float(os.environ.get("FENRUN_PAYMENT_HTTP_TIMEOUT", "10"))
# ECPay's ATM virtual account stays valid this many days (1-60); a store code this many minutes.
FENRUN_ECPAY_ATM_EXPIRE_DAYS = int(os.environ.get("FENRUN_ECPAY_ATM_EXPIRE_DAYS", "3"))
FENRUN_ECPAY_CVS_EXPIRE_MINUTES = int(os.environ.get("FENRUN_ECPAY_CVS_EXPIRE_MINUTES", "4320"))
# Local stand-ins that speak ECPay's and LINE Pay's protocols (fenrun.standins): mounted under
# /standin/ only when this is on (the demo and tests); never in production.
FENRUN_STANDINS_ENABLED = env_bool("FENRUN_STANDINS_ENABLED", DEBUG)
FENRUN_STANDIN_BASE_URL = os.environ.get("FENRUN_STANDIN_BASE_URL", "")  # "" = FENRUN_SITE_URL
# The merchants the stand-ins know, as the real providers know theirs: ECPay's published test
# merchant, and a made-up LINE Pay channel (LINE Pay publishes none).
FENRUN_STANDIN_ECPAY_MERCHANTS = {"3002607": ("pwFHCqoQZGmho4w6", "EkRm7iFT261dpevs")}
FENRUN_STANDIN_LINEPAY_CHANNELS = {"1657000000": "demo0linepay0channel0secret00000"}
# B2C e-invoices (docs/invoices.md). The merchant's keys come from the environment only; the
# defaults are ECPay's published test merchant, answered by the local stand-in, so the demo
# issues invoices without an ECPay account. FENRUN_ECPAY_INVOICE_URL: "stand-in" (in-process),
# "stage" (ECPay's test host), "production", or a URL (e.g. the stand-in served on loopback).
FENRUN_INVOICES = {
    # On in development and the demo (through the stand-in); in production once configured.
    "enabled": env_bool("FENRUN_INVOICES_ENABLED", DEBUG),
    # When the invoice is issued: "paid", "shipped" or "completed".
    "issue_at": os.environ.get("FENRUN_INVOICE_ISSUE_AT", "paid"),
    "provider": os.environ.get("FENRUN_INVOICE_PROVIDER", "ecpay"),
    "timeout_seconds": float(os.environ.get("FENRUN_INVOICE_TIMEOUT", "10")),
    "ecpay": {
        "merchant_id": os.environ.get("FENRUN_ECPAY_INVOICE_MERCHANT_ID", "2000132"),
        "hash_key": os.environ.get("FENRUN_ECPAY_INVOICE_HASH_KEY", "ejCk326UnaZWKisg"),
        "hash_iv": os.environ.get("FENRUN_ECPAY_INVOICE_HASH_IV", "q9jcZX8Ib9LM8wYk"),
        "url": os.environ.get("FENRUN_ECPAY_INVOICE_URL", "stand-in"),
    },
    # The stand-in for ECPay's invoice API answers at /invoices/ecpay-stand-in/ (demo, tests).
    "stand_in_enabled": env_bool("FENRUN_INVOICE_STAND_IN", DEBUG),
}
if (
    not DEBUG
    and FENRUN_INVOICES["enabled"]
    and FENRUN_INVOICES["ecpay"]["url"] == "stand-in"
    and not FENRUN_INVOICES["stand_in_enabled"]
):
    # A shop that turned invoices on but never named ECPay's host would hand buyers invoice
    # numbers nobody filed with the tax authority.
    raise ImproperlyConfigured(
        "FENRUN_INVOICES_ENABLED is on but FENRUN_ECPAY_INVOICE_URL is the stand-in: set it to "
        "'stage' or 'production' and give the merchant's keys (docs/invoices.md)."
    )
# Hours an unpaid order waits for its payment before it is cancelled (fenrun/orders/deadlines.py).
FENRUN_PAYMENT_DEADLINE_HOURS = {
    "atm": float(os.environ.get("FENRUN_ATM_DEADLINE_HOURS", "72")),
    "gateway": float(os.environ.get("FENRUN_GATEWAY_DEADLINE_HOURS", "1")),
}
# Bank account shown for ATM transfers.
FENRUN_BANK_TRANSFER = {
    "bank_code": os.environ.get("FENRUN_BANK_CODE", "812"),
    "bank_name": os.environ.get("FENRUN_BANK_NAME", "台新銀行"),
    "account": os.environ.get("FENRUN_BANK_ACCOUNT", "2888-1000-123456"),
}

# Background work (Celery). Production points CELERY_BROKER_URL at Redis or RabbitMQ; the
# embedded set-up (make run) uses Kombu's file-system transport on a local folder, so it needs no
# server. docs/operations.md explains the choice and the commands.
FENRUN_VAR_DIR = Path(os.environ.get("FENRUN_VAR_DIR", BASE_DIR / "var"))
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    # One folder for both directions: the web process writes where the worker reads.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(FENRUN_VAR_DIR / "broker"),
        "data_folder_out": str(FENRUN_VAR_DIR / "broker"),
        "control_folder": str(FENRUN_VAR_DIR / "broker-control"),
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged once it has run, so a worker killed mid-task leaves it to be redone;
# every task is idempotent for that reason. One message at a time per process keeps a long
# task from holding others back.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# The worker logs through the LOGGING below (JSON in production) instead of Celery's own set-up.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(FENRUN_VAR_DIR / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Cheap when nothing is due (an indexed look-up); once a minute makes a bonus spendable
    # within a minute of its hold ending.
    "release-held-commissions": {
        "task": "fenrun.commissions.tasks.release_held_commissions",
        "schedule": 60.0,
    },
    "recompute-member-tags": {
        "task": "fenrun.analytics.tasks.recompute_tags",
        "schedule": crontab(hour=3, minute=0),
    },
    "check-sales-rollups": {
        "task": "fenrun.analytics.tasks.check_sales_rollups",
        "schedule": crontab(hour=3, minute=30),
    },
    "expire-unpaid-orders": {
        "task": "fenrun.orders.tasks.expire_unpaid_orders",
        "schedule": 60.0,
    },
    # Payments whose provider message never came (a lost ReturnURL call): ask the provider.
    "reconcile-payments": {
        "task": "fenrun.orders.tasks.reconcile_payments",
        "schedule": 600.0,
    },
    "send-due-webhooks": {
        "task": "fenrun.webhooks.tasks.send_due_webhooks",
        "schedule": 60.0,
    },
    # Invoices whose issue, void or allowance failed are tried again when due (1, 2, 4 … min,
    # at most hourly): none is ever dropped.
    "retry-due-invoices": {
        "task": "fenrun.invoices.tasks.retry_due",
        "schedule": 60.0,
    },
    "reconcile-wallet": {
        "task": "fenrun.wallet.tasks.reconcile_wallet",
        "schedule": crontab(hour=4, minute=0),
    },
    # The API's Idempotency-Key answers last 24 hours; hourly keeps the table at a day's writes.
    "forget-idempotency-keys": {
        "task": "fenrun.core.tasks.forget_idempotency_keys",
        "schedule": crontab(minute=15),
    },
}
# Webhook sends wait on other people's servers: they have a queue of their own, so a dead
# endpoint never delays a bonus release or an e-mail (production runs a worker per queue).
CELERY_TASK_ROUTES = {"fenrun.webhooks.tasks.*": {"queue": "webhooks"}}
FENRUN_WEBHOOKS = {
    "timeout_seconds": float(os.environ.get("FENRUN_WEBHOOK_TIMEOUT", "10")),
    "connect_timeout_seconds": 3.0,
    # Plain http:// endpoints only where DEBUG is on (a local receiver); production signs and
    # sends over TLS only.
    "allow_http": env_bool("FENRUN_WEBHOOKS_ALLOW_HTTP", DEBUG),
}
# Who hears about a failed nightly check (comma-separated); empty falls back to the order notice.
FENRUN_ALERT_EMAIL = os.environ.get("FENRUN_ALERT_EMAIL", "") or FENRUN_ORDER_NOTIFY_EMAIL

UNFOLD = {
    # Lazy translations: unfold reads these per request, so each language gets its own words.
    "SITE_TITLE": _("fenrun back office"),
    "SITE_HEADER": _("fenrun back office"),
    "SITE_SYMBOL": "storefront",
    "DASHBOARD_CALLBACK": "fenrun.orders.dashboard.dashboard_callback",
    "SHOW_LANGUAGES": True,
    "SIDEBAR": {"show_search": True, "show_all_applications": True},
}

# Logs: text on a developer's console; one JSON object per line in production (FENRUN_LOG_FORMAT),
# with a line per request (fenrun/core/request_log.py) and per background job (config/celery.py).
LOG_FORMAT = os.environ.get("FENRUN_LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        # Per-request and per-job lines are for the log collector; on a console runserver and
        # the worker print their own.
        "fenrun.request": {"level": "INFO" if LOG_FORMAT == "json" else "WARNING"},
        "fenrun.task": {"level": "INFO" if LOG_FORMAT == "json" else "WARNING"},
    },
}
