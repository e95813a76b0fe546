"""Settings for the IQF, read from environment variables.

DJANGO_ENV=development (the default) gives safe local defaults; DJANGO_ENV=production
refuses to start without SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL.
"""

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import overload

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: None = None) -> str | None: ...
def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development or production, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    missing = [n for n in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL") if not env_str(n)]
    if missing:
        raise ImproperlyConfigured(
            "Production settings need these environment variables: " + ", ".join(missing)
        )

SECRET_KEY = env_str("SECRET_KEY", "django-insecure-development-only-key-not-for-production")
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])

# Where the admin lives (a path of letters, digits, - and _ segments; default admin/).
ADMIN_PATH = env_str("ADMIN_PATH", "admin").strip("/") + "/"
if not re.fullmatch(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*/", ADMIN_PATH):
    raise ImproperlyConfigured(f"ADMIN_PATH must be a path like admin or staff/iqf, not {ADMIN_PATH!r}")

INSTALLED_APPS = [
    "iqf.apps.IQFAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "import_export",
    "simple_history",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "qualifications",
    "roles",
    "commoncore",
    "reports",
    "bundles",
    "tooling",
    "iqf.apps.IQFConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "iqf.lib.sessions.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # last, as django-axes requires: turns a locked-out sign-in into its lockout page
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # first: refuses a locked-out sign-in before the password is checked
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "iqf.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "iqf.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "iqf.wsgi.application"

# Persistent connections (seconds a connection is kept between requests; 0 closes it after
# each request) save a connection's set-up on every request; checked before reuse.
try:
    CONN_MAX_AGE = int(env_str("CONN_MAX_AGE", "60" if PRODUCTION else "0"))
except ValueError:
    raise ImproperlyConfigured("CONN_MAX_AGE must be a whole number of seconds") from None
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=CONN_MAX_AGE,
        conn_health_checks=CONN_MAX_AGE > 0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The site's queries run in milliseconds to a second: compiling them to machine code
    # (PostgreSQL's JIT, on by default for costly plans) adds more than it saves.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once; enforce foreign keys as PostgreSQL does.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Public pages are kept, per process, until the content changes (iqf.lib.pagecache); a
# kept page is also dropped after PAGE_CACHE_SECONDS.
PAGE_CACHE = env_bool("PAGE_CACHE", True)
try:
    PAGE_CACHE_SECONDS = int(env_str("PAGE_CACHE_SECONDS", "600"))
except ValueError:
    raise ImproperlyConfigured("PAGE_CACHE_SECONDS must be a whole number of seconds") from None
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "TIMEOUT": PAGE_CACHE_SECONDS,
        "OPTIONS": {"MAX_ENTRIES": 300},
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# where collectstatic gathers the static files for production (whitenoise serves them)
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# The public site's design system is built by `make assets` into iqf/static/govuk/, which
# the app's static folder serves.

# Only staff with the model's own import/export permission may use the admin's screens.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# -- response headers and sessions (every environment; HTTPS-only parts in production) --

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Scripts, styles, images and fonts from the site itself only: no inline script or style
# anywhere (the public pages load one module script; the admin's scripts are files too).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# The browser features the site never uses, denied to it and to anything it might embed.
PERMISSIONS_POLICY: dict[str, list[str]] = {
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
        "xr-spatial-tracking",
    )
}

# A second factor for staff (an authenticator app's code, django-otp TOTP): on by default in
# production. Devices are made with manage.py totp_device USERNAME.
STAFF_TWO_FACTOR = env_bool("STAFF_TWO_FACTOR", PRODUCTION)
OTP_TOTP_ISSUER = "IQF"

# Sign-in throttling (django-axes): five failures for a username from one address lock that
# pair out for 15 minutes; a success clears the count. Behind PROXY_COUNT reverse proxies
# (1 by default in production), the client's address is the one the outermost proxy put
# in X-Forwarded-For, so a forged header from the client changes nothing.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
# Locks are cleared from the command line (manage.py axes_reset_username NAME), not the admin.
AXES_ENABLE_ADMIN = False
try:
    PROXY_COUNT = int(env_str("PROXY_COUNT", "1" if PRODUCTION else "0"))
except ValueError:
    raise ImproperlyConfigured("PROXY_COUNT must be a whole number of proxies") from None
AXES_IPWARE_META_PRECEDENCE_ORDER: tuple[str, ...]
if PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = PROXY_COUNT
    AXES_IPWARE_PROXY_ORDER = "right-most"
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# Signed-in sessions end after 30 minutes without a request (renewed at most once a minute:
# iqf.lib.sessions) and 12 hours after sign-in.
SESSION_COOKIE_AGE = 30 * 60
SESSION_RENEW_AFTER = 60
SESSION_MAXIMUM_AGE = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

if PRODUCTION:
    # Behind a proxy that terminates TLS and sets X-Forwarded-Proto; SECURE_SSL_REDIRECT=false
    # serves plain HTTP on loopback (make serve-prod), where browsers still keep secure cookies.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # __Host- cookies: secure, for this host only, for the whole site
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    # hashed, compressed static files served by the application itself (whitenoise)
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
