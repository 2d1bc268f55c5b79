"""One settings file; everything that differs between machines comes from HEALTHLINKS_* variables."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

PACKAGE_DIR = Path(__file__).resolve().parent
_REPO = PACKAGE_DIR.parents[1]
# In a source checkout (make run) data lives in <repo>/var; an installed copy uses ./var.
VAR_DIR = Path(
    os.environ.get("HEALTHLINKS_VAR_DIR")
    or (_REPO / "var" if (_REPO / "pyproject.toml").exists() else Path.cwd() / "var")
)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("HEALTHLINKS_DEBUG", False)
PRODUCTION = env_bool("HEALTHLINKS_PRODUCTION", False)
if PRODUCTION and DEBUG:
    raise RuntimeError("HEALTHLINKS_DEBUG must be off in production (HEALTHLINKS_PRODUCTION=1)")
SECRET_KEY = os.environ.get("HEALTHLINKS_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("HEALTHLINKS_SECRET_KEY must be set in production")
    SECRET_KEY = "healthlinks-local-development-key-not-for-production-use-0123456789"  # noqa: S105

ALLOWED_HOSTS = [
    h for h in os.environ.get("HEALTHLINKS_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    *(["django_rq"] if os.environ.get("HEALTHLINKS_TASKS_BACKEND") == "rq" else []),  # RQ's worker command
    "healthlinks.reference",
    "healthlinks.accounts",
    "healthlinks.registry",
    "healthlinks.network",
    "healthlinks.activities",
    "healthlinks.careers",
    "healthlinks.results",
    "healthlinks.analytics",
    "healthlinks.interviews",
    "healthlinks.evidence",
    "healthlinks.planning",
    "healthlinks.evaluation",
    "healthlinks.projects",
    "healthlinks.programmes",
    "healthlinks.readiness",
    "healthlinks.demo",
    "healthlinks.ops",
    "healthlinks.tasks",
    "healthlinks.api",
    "healthlinks.web",
]

MIDDLEWARE = [
    "healthlinks.ops.middleware.TextCompressionMiddleware",  # first: it compresses what the others wrote
    "django.middleware.security.SecurityMiddleware",
    "healthlinks.ops.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "healthlinks.ops.middleware.StorageFullMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "healthlinks.ops.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "healthlinks.accounts.middleware.AccountLanguageMiddleware",
    "healthlinks.ops.middleware.IdleSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "healthlinks.urls"
WSGI_APPLICATION = "healthlinks.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "healthlinks.web.context_processors.site",
            ],
        },
    }
]

DATABASE_URL = os.environ.get("HEALTHLINKS_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'healthlinks.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0 if not PRODUCTION else 60)}
# A connection kept across requests (production) is checked before reuse: a restarted PostgreSQL fails no request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while an import writes; IMMEDIATE avoids lock upgrades mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("HEALTHLINKS_TEST_SQLITE") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspace"
LOGOUT_REDIRECT_URL = "dashboard"
# Sessions expire after HEALTHLINKS_SESSION_SECONDS idle (ops.middleware.IdleSessionMiddleware pushes the expiry
# forward at most every HEALTHLINKS_SESSION_REFRESH_SECONDS while the session is in use).
SESSION_COOKIE_AGE = int(os.environ.get("HEALTHLINKS_SESSION_SECONDS", str(8 * 3600)))
HEALTHLINKS_SESSION_REFRESH_SECONDS = int(os.environ.get("HEALTHLINKS_SESSION_REFRESH_SECONDS", "300"))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Login throttling: five failures for a username from one address locks it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("HEALTHLINKS_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("pt", _("Portuguese")), ("ar", _("Arabic"))]
# Our messages, then the reference lists' labels (compiled from .po at install: healthlinks.catalogues).
LOCALE_PATHS = [PACKAGE_DIR / "locale", PACKAGE_DIR / "reference" / "catalogue"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static" if PRODUCTION else None
MEDIA_ROOT = VAR_DIR / "media"
# Uploads above FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) are spooled here while read (default: the system temp dir).
FILE_UPLOAD_TEMP_DIR = os.environ.get("HEALTHLINKS_UPLOAD_TEMP_DIR") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "healthlinks.ops.storage.StaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Outside production the server serves static files straight from the apps (no collectstatic step).
WHITENOISE_USE_FINDERS = not PRODUCTION
# Source maps (14 of the 23 MB collected: Swagger UI's and ReDoc's) are fetched only by browser developer tools:
# served as they are, not compressed at every `serve --production` start (collectstatic 29 -> ~12 s on 2 cores)
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["healthlinks.api.permissions.ScopedAccess"],
    "DEFAULT_PAGINATION_CLASS": "healthlinks.api.pagination.Pagination",
    # Bodies are JSON: nested records (a partnership's members, a stay's sessions) have no form encoding.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "healthlinks.api.schema.AutoSchema",
    # 429 with Retry-After past these rates: anonymous use per address, signed-in use per user.
    "DEFAULT_THROTTLE_CLASSES": [
        "healthlinks.api.throttling.AnonRateThrottle",
        "healthlinks.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("HEALTHLINKS_ANON_RATE", "60/min"),
        "user": os.environ.get("HEALTHLINKS_USER_RATE", "1200/min"),
    },
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Healthlinks API",
    "DESCRIPTION": "Registry, knowledge network and evaluation of international health partnerships.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Lower bounds (days) of short stay, medium stay, long-term placement (the scheme's >= 6 months) and
# settlement on the travel-mobility-migration continuum; shorter than the first is a visit.
HEALTHLINKS_CONTINUUM_BOUNDS = [
    int(x) for x in os.environ.get("HEALTHLINKS_CONTINUUM_BOUNDS", "14,90,180,365").split(",")
]

# Costs are added up in this currency (ISO 4217), with the editable currency-rate table.
HEALTHLINKS_REPORTING_CURRENCY = os.environ.get("HEALTHLINKS_REPORTING_CURRENCY", "GBP")

# IATI publishing (docs/iati.md): the hub's IATI organisation identifier, the prefix of every published activity
# identifier (e.g. GB-CHC-1234567; required in production, a placeholder elsewhere), its name and IATI
# organisation type, and the public address of the site (for the links to the partnerships' pages).
HEALTHLINKS_IATI_PUBLISHER = os.environ.get("HEALTHLINKS_IATI_PUBLISHER", "" if PRODUCTION else "XX-DEV-HEALTHLINKS")
HEALTHLINKS_IATI_PUBLISHER_NAME = os.environ.get("HEALTHLINKS_IATI_PUBLISHER_NAME", "Healthlinks hub")
HEALTHLINKS_IATI_PUBLISHER_TYPE = os.environ.get("HEALTHLINKS_IATI_PUBLISHER_TYPE", "21")
HEALTHLINKS_PUBLIC_URL = os.environ.get("HEALTHLINKS_PUBLIC_URL", "http://localhost:8000")

# Mail (survey reminders): an SMTP server, by default the machine's own.
EMAIL_HOST = os.environ.get("HEALTHLINKS_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("HEALTHLINKS_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("HEALTHLINKS_EMAIL_FROM", "healthlinks@localhost")
EMAIL_TIMEOUT = 20

# Background tasks (django-tasks): queued in the database (the embedded default, "database") or in Redis for RQ
# workers on several machines ("rq", with HEALTHLINKS_REDIS_URL); run by `healthlinks worker`, or a thread of
# `healthlinks serve`. Eager (tests): run at submission by the immediate backend.
HEALTHLINKS_TASKS_BACKEND = os.environ.get("HEALTHLINKS_TASKS_BACKEND", "database")
if HEALTHLINKS_TASKS_BACKEND not in {"database", "rq"}:
    raise RuntimeError("HEALTHLINKS_TASKS_BACKEND must be 'database' or 'rq'")
HEALTHLINKS_REDIS_URL = os.environ.get("HEALTHLINKS_REDIS_URL", "redis://127.0.0.1:6379/0")
TASKS = {
    "default": (
        {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}
        if HEALTHLINKS_TASKS_BACKEND == "rq"
        else {"BACKEND": "django_tasks_db.DatabaseBackend"}
    ),
    "immediate": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
}
RQ_QUEUES = {"default": {"URL": HEALTHLINKS_REDIS_URL, "DEFAULT_TIMEOUT": 6 * 3600}}
TASKS_EAGER = env_bool("HEALTHLINKS_TASKS_EAGER", False)

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # analysis results shared by the server's processes (analytics.store)
    "analytics": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache" / "analytics"),
        "TIMEOUT": 7 * 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
    # background tasks' progress, seen by every worker and web server: Redis when the tasks run on RQ (several
    # machines), else files under var/ (every process of one machine)
    "tasks": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": HEALTHLINKS_REDIS_URL}
        if HEALTHLINKS_TASKS_BACKEND == "rq"
        else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "tasks")}
    ),
}
# After a write, analyses answer figures up to this old (marked "as of") while one process computes the new
# ones; 0 computes them at once (development and tests).
HEALTHLINKS_ANALYTICS_STALE_SECONDS = int(
    os.environ.get("HEALTHLINKS_ANALYTICS_STALE_SECONDS", "600" if PRODUCTION else "0")
)
# ... and recomputes them at most this often while writes go on
HEALTHLINKS_ANALYTICS_REFRESH_SECONDS = int(os.environ.get("HEALTHLINKS_ANALYTICS_REFRESH_SECONDS", "60"))
# ... in the task worker ("worker": set by `serve --production`, which starts one) or in a thread ("thread")
HEALTHLINKS_ANALYTICS_REFRESH_BY = os.environ.get("HEALTHLINKS_ANALYTICS_REFRESH_BY", "thread")

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (ops.middleware), in every mode so that the tests run under it: scripts and styles only
# from this site's static files; no inline script, no eval (charts use Vega's CSP-safe interpreter).
HEALTHLINKS_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
HEALTHLINKS_CSP_PATH_OVERRIDES = {"/api/docs/": {"style-src": "'self' 'unsafe-inline'"}}
if PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("HEALTHLINKS_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("HEALTHLINKS_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("HEALTHLINKS_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HEALTHLINKS_LOG_LEVEL", "WARNING")},
}
