"""Settings for newsapp, all from the environment (the README's Settings table).

Every environment variable the app reads is read here, through the helpers below, which
refuse a value they cannot read instead of falling back to the default. An empty
variable counts as unset. With DATABASE_URL unset, the embedded PostgreSQL under var/
is started on demand.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from newsapp import embedded_db
from newsapp.headers import static_headers
from newsapp.pool import check_connection


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if not value:
        return default
    words = [("1", "0"), ("true", "false"), ("yes", "no"), ("on", "off")]
    for true, false in words:
        if value.lower() in (true, false):
            return value.lower() == true
    choices = ", ".join(f"{true}/{false}" for true, false in words)
    raise ImproperlyConfigured(f"{name} must be one of {choices}, not {value!r}")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    value = env_str(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, not {value!r}"
        ) from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value!r}")
    return number


def env_float(name: str, default: float, minimum: float | None = None) -> float:
    value = env_str(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None
    if number != number or (minimum is not None and number < minimum):
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value!r}")
    return number


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default).upper()
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name} must be one of {', '.join(choices)}, not {env_str(name)!r}"
        )
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("NEWSAPP_VAR_DIR") or embedded_db.DEFAULT_VAR_DIR)


def local_secret_key() -> str:
    """A key made once per checkout, so a fresh clone needs no secrets file by hand."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def database_from_url(
    url: str, *, pool_min: int, pool_max: int, pool_timeout: float
) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL must be a postgresql:// URL, not {parts.scheme}://"
        )
    query = dict(parse_qsl(parts.query))
    host = query.pop("host", None) or unquote(parts.hostname or "")
    port = query.pop("port", None) or parts.port or ""
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(port),
        # Pooled connections are checked before use, so a restarted server is survived.
        "CONN_HEALTH_CHECKS": True,
        # Separate names let several test runs share one server at once.
        "TEST": {"NAME": env_str("TEST_DATABASE_NAME") or None},
        "OPTIONS": {
            "pool": {
                "min_size": pool_min,
                "max_size": pool_max,
                "timeout": pool_timeout,
                # CONN_HEALTH_CHECKS does not reach pooled connections: without this the
                # pool hands out connections a server restart killed (one 500 each).
                "check": check_connection,
            },
            **query,
        },
    }


DEBUG = env_bool("DJANGO_DEBUG", False)
# Production hardening, switched on by HTTPS=1 behind a TLS-terminating proxy.
HTTPS = env_bool("HTTPS", False)
# A production server must not sign sessions with a key kept in a file on one machine:
# every app server needs the same key, and it belongs with the other secrets.
if HTTPS and not env_str("SECRET_KEY"):
    raise ImproperlyConfigured(
        "HTTPS=1 is a production setting: set SECRET_KEY in the environment "
        "(the same long random value on every app server)"
    )
SECRET_KEY = env_str("SECRET_KEY") or local_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Every web request's SQL statements are stopped after this many milliseconds (0: never),
# so no click can hold a server thread and a transaction for minutes; the user is told
# what took too long. Background tasks (db_worker) run without this bound.
REQUEST_STATEMENT_TIMEOUT_MS = env_int("REQUEST_STATEMENT_TIMEOUT_MS", 5000, minimum=0)
# "Accept all" takes at most this many suggestions per press (the message says how many
# are left for the next press), so one press stays well inside the timeout above.
ACCEPT_ALL_LIMIT = env_int("ACCEPT_ALL_LIMIT", 500, minimum=1)
# The annotation screen pages a text longer than LARGE_DOCUMENT_CHARS characters into
# parts of about PART_CHARS (whole paragraphs), so a 5 MB article opens in well under
# a second and a change never answers with the whole of it.
LARGE_DOCUMENT_CHARS = env_int("LARGE_DOCUMENT_CHARS", 200_000, minimum=1)
PART_CHARS = env_int("PART_CHARS", 100_000, minimum=1)

# The psycopg connection pool of each process.
DATABASE_POOL_MIN = env_int("DATABASE_POOL_MIN", 1, minimum=0)
DATABASE_POOL_MAX = env_int("DATABASE_POOL_MAX", 8, minimum=max(DATABASE_POOL_MIN, 1))
# Seconds a request or task waits for a connection before it fails (the fault tests
# shorten it, so that their database outage can be short and still outlast it).
DATABASE_POOL_TIMEOUT = env_float("DATABASE_POOL_TIMEOUT", 10.0, minimum=0.1)
DATABASE_URL = env_str("DATABASE_URL") or embedded_db.database_url(VAR_DIR)
DATABASES = {
    "default": database_from_url(
        DATABASE_URL,
        pool_min=DATABASE_POOL_MIN,
        pool_max=DATABASE_POOL_MAX,
        pool_timeout=DATABASE_POOL_TIMEOUT,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "django_tasks_db",
    # django-ninja: the API's Swagger UI files (static/ninja/), served by us, no CDN.
    "ninja",
    "annotate",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session and login look-ups, so their queries are bounded too.
    "annotate.views.timeouts.StatementTimeoutMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Cache-Control: private, no-store for signed-in users and the API (newsapp/headers.py).
    "newsapp.headers.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it sees request.htmx and the bare 405s of the view decorators.
    "annotate.views.errors.ErrorPagesMiddleware",
]

ROOT_URLCONF = "newsapp.urls"
WSGI_APPLICATION = "newsapp.wsgi.application"

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
                "django.template.context_processors.csp",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["newsapp.throttle.ThrottledModelBackend"]
# Failed logins are counted in PostgreSQL, shared by every app server (newsapp/throttle.py).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "newsapp_throttle",
    },
    # What each annotation screen shows, by its fingerprint (annotate.labelling.screen):
    # files, so every web process of a machine finds the drawing another one made. A
    # local directory (not a shared NEWSAPP_VAR_DIR): a miss costs a redraw, no more.
    "drawings": {
        "BACKEND": "newsapp.drawings_cache.DrawingCache",
        "LOCATION": Path(
            env_str("NEWSAPP_DRAWINGS_DIR") or VAR_DIR / "cache" / "drawings"
        ),
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}
LOGIN_THROTTLE_WINDOW = 15 * 60
LOGIN_THROTTLE_USER_FAILURES = 5
# Higher per address: a newsroom behind one NAT shares it.
LOGIN_THROTTLE_IP_FAILURES = 20
LOGIN_THROTTLE_CLIENT_IP_HEADER = env_str("LOGIN_THROTTLE_CLIENT_IP_HEADER")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "annotate:project-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
# Static files carry the security headers pages get (newsapp/headers.py).
WHITENOISE_ADD_HEADERS_FUNCTION = static_headers
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("NEWSAPP_PLAIN_STATIC", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}

# No inline script or style anywhere: every page is held to this policy.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Django's own CSRF failure page has an inline <style>, which the policy above blocks.
CSRF_FAILURE_VIEW = "annotate.views.htmx.csrf_failure"

# Production hardening (HTTPS, read above).
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Connections an import loads batches on at once (building the search vector is most
# of the database's work).
IMPORT_THREADS = env_int("NEWSAPP_IMPORT_THREADS", 2, minimum=1)

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
NEWSAPP_UPLOAD_MAX_BYTES = env_int(
    "NEWSAPP_UPLOAD_MAX_BYTES", 200 * 1024 * 1024, minimum=1
)
# What one .zip (or .gz) may unpack to, whatever its compression ratio, counted as it
# is read (annotate/ingest/readers/files.py): bytes in all, and files in it.
ARCHIVE_MAX_UNCOMPRESSED_BYTES = env_int(
    "NEWSAPP_ARCHIVE_MAX_UNCOMPRESSED_BYTES", 512 * 1024 * 1024, minimum=1
)
ARCHIVE_MAX_MEMBERS = env_int("NEWSAPP_ARCHIVE_MAX_MEMBERS", 100_000, minimum=1)

# The statistics page serves a stored snapshot younger than this many seconds as it is;
# an older one is shown while a background task recomputes it.
STATISTICS_MAX_AGE = env_int("STATISTICS_MAX_AGE", 300, minimum=0)

# Background runs (web imports and exports): the worker stamps the run it executes every
# TASK_HEARTBEAT_SECONDS; a run without a stamp for TASK_STALE_SECONDS lost its worker and
# is queued again once (TASK_RETRIES) or failed with "worker stopped". The worker looks
# for such runs every TASK_REAP_SECONDS, and a run's page whenever it polls.
TASK_HEARTBEAT_SECONDS = env_float("TASK_HEARTBEAT_SECONDS", 5.0, minimum=0.1)
TASK_STALE_SECONDS = env_float(
    "TASK_STALE_SECONDS", 30.0, minimum=2 * TASK_HEARTBEAT_SECONDS
)
TASK_REAP_SECONDS = env_float("TASK_REAP_SECONDS", 10.0, minimum=0.1)
TASK_RETRIES = env_int("TASK_RETRIES", 1, minimum=0)
# A project without a snapshot is computed in the request below this many documents,
# in the background (the page waits) from there.
STATISTICS_INLINE_DOCUMENTS = env_int("STATISTICS_INLINE_DOCUMENTS", 5000, minimum=0)

# The recommenders (annotate/assist): passes over the training documents of the entity
# model, documents predicted per chunk after a run, and the seconds without a heartbeat
# after which a running run counts as dead (its worker was killed) and is marked failed.
ASSIST_EPOCHS = env_int("NEWSAPP_ASSIST_EPOCHS", 20, minimum=1)
ASSIST_PREDICT_CHUNK = env_int("NEWSAPP_ASSIST_PREDICT_CHUNK", 200, minimum=1)
ASSIST_STALE_SECONDS = env_int("NEWSAPP_ASSIST_STALE_SECONDS", 300, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice(
            "LOG_LEVEL", "WARNING", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        ),
    },
}

# Mail: invitations and password reset links. Django 6.1 configures mail through
# MAILERS (its EMAIL_* settings are deprecated and may not sit beside it); the EMAIL_*
# environment variables fill it. With EMAIL_HOST unset, mail is printed to the
# server's console (the invitation link is shown on the page to copy anyway).
_email_host = env_str("EMAIL_HOST")
_email_backend = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if _email_host
    else "django.core.mail.backends.console.EmailBackend"
)
MAILERS = {
    "default": {
        "BACKEND": _email_backend,
        "OPTIONS": {
            "host": _email_host,
            "port": env_int("EMAIL_PORT", 587, minimum=1),
            "username": env_str("EMAIL_HOST_USER"),
            "password": env_str("EMAIL_HOST_PASSWORD"),
            "use_tls": env_bool("EMAIL_USE_TLS", True),
        }
        if _email_backend.endswith(".smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "newsapp@localhost")
# Mail is optional: without it invitation links are copied from the page. The deploy
# check against development mail backends is silenced only while no mail is set up.
SILENCED_SYSTEM_CHECKS = (
    [] if _email_host or env_str("EMAIL_BACKEND") else ["mail.E001"]
)
# How long an invitation link works, in days.
INVITATION_DAYS = env_int("NEWSAPP_INVITATION_DAYS", 7, minimum=1)

# The REST API (annotate/api) and its webhooks.
# A request body past this many bytes is refused (413) before any of it is read; bulk
# document bodies are streamed, never held whole.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 200 * 1024 * 1024, minimum=1)
# Writes per token (or per session user) in each window of API_WRITE_WINDOW seconds,
# counted in PostgreSQL like failed logins; past it, 429 with Retry-After.
API_WRITES_PER_WINDOW = env_int("API_WRITES_PER_WINDOW", 3000, minimum=1)
API_WRITE_WINDOW = env_int("API_WRITE_WINDOW", 60, minimum=1)
# Webhook deliveries: seconds before giving up on a receiver, attempts in all, the
# first retry's delay (each next one doubles it), and how old a signed timestamp a
# receiver should accept (docs/api.md).
WEBHOOK_TIMEOUT = env_float("WEBHOOK_TIMEOUT", 5.0, minimum=0.1)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6, minimum=1)
WEBHOOK_RETRY_SECONDS = env_float("WEBHOOK_RETRY_SECONDS", 30.0, minimum=0)
WEBHOOK_MAX_AGE = env_int("WEBHOOK_MAX_AGE", 300, minimum=1)
# External model servers (annotate/mlbackend, Label Studio's ML backend protocol):
# seconds a server has to answer one request, and documents sent per /predict call.
MODEL_SERVER_TIMEOUT = env_float("MODEL_SERVER_TIMEOUT", 30.0, minimum=0.1)
MODEL_SERVER_CHUNK = env_int("MODEL_SERVER_CHUNK", 20, minimum=1)
# Receivers on loopback or private networks are refused unless this is set.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
