"""fenrun settings: one module, every deployment choice read from the environment."""

import os
from pathlib import Path

import dj_database_url
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
X_FRAME_OPTIONS = "DENY"
# Preloading HSTS is a commitment made at hstspreload.org, not a setting to default: the check
# that asks for it is silenced; DJANGO_SECURE_HSTS_PRELOAD=true turns preloading on.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

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
    "fenrun.storefront",
    "fenrun.shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
# Bank account shown for ATM transfers.
FENRUN_BANK_TRANSFER = {
    "bank_code": os.environ.get("FENRUN_BANK_CODE", "812"),
    "bank_name": os.environ.get("FENRUN_BANK_NAME", "台新銀行"),
    "account": os.environ.get("FENRUN_BANK_ACCOUNT", "2888-1000-123456"),
}

UNFOLD = {
    # Lazy translations: unfold reads these per request, so each language gets its own words.
    "SITE_TITLE": _("fenrun back office"),
    "SITE_HEADER": _("fenrun back office"),
    "SITE_SYMBOL": "storefront",
    "DASHBOARD_CALLBACK": "fenrun.orders.dashboard.dashboard_callback",
    "SHOW_LANGUAGES": True,
    "SIDEBAR": {"show_search": True, "show_all_applications": True},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
