"""Settings for hrsaas, configured from the environment (12-factor).

Environment: DATABASE_URL, REDIS_URL, CELERY_BROKER_URL (overrides the broker), SECRET_KEY,
FIELD_ENCRYPTION_KEY, FIELD_ENCRYPTION_OLD_KEYS, DEBUG, ALLOWED_HOSTS (comma-separated), CSRF_TRUSTED_ORIGINS, SECURE_SSL_REDIRECT,
SITE_URL (the product's address, for links in e-mails).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or (
    # Only a development run may fall back to a fixed key; production must set one.
    "dev-only-insecure-key-change-me" if DEBUG or os.environ.get("HRSAAS_TESTING") else None
)
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# ---------------------------------------------------------------------------------------------
# Tenancy: HQ lives in the public schema, each branch in its own schema, chosen by /b/<code>/.
# Apps listed in SHARED_APPS have tables in public only; TENANT_APPS in every branch schema.
# ---------------------------------------------------------------------------------------------
SHARED_APPS = [
    "django_tenants",
    "branches",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's assets, served locally (no CDN)
    "simple_history",
    "commissions.hq",
    "social_insurance.policies",
]
TENANT_APPS = [
    "clients",
    "notifications",
    "commissions",
    "social_insurance",
    "performance",
    "portal",
    "history",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "branches.Branch"
TENANT_DOMAIN_MODEL = "branches.Domain"
TENANT_SUBFOLDER_PREFIX = "b"
# Each schema's migrate skips working out the models of apps the schema does not hold.
TENANT_BASE_MIGRATE_COMMAND = "branches.migrate_command.Command"
PUBLIC_SCHEMA_NAME = "public"
ROOT_URLCONF = "hrsaas.urls_branch"
PUBLIC_SCHEMA_URLCONF = "hrsaas.urls_hq"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

MIDDLEWARE = [
    # /healthz answers before routing, host checks and the HTTPS redirect (hrsaas/health.py).
    "hrsaas.health.HealthCheckMiddleware",
    "hrsaas.core.middleware.RejectNulMiddleware",  # NUL in path/query/form → 400 before anything reads it
    "branches.middleware.BranchSubfolderMiddleware",  # django-tenants' /b/<code>/ routing
    "branches.middleware.RefusalHeadersMiddleware",  # no `Allow` on a refusal: real and unknown codes alike
    "django.middleware.security.SecurityMiddleware",
    "hrsaas.core.csp.ContentSecurityPolicyMiddleware",
    "hrsaas.core.static.WhiteNoiseMiddleware",  # WhiteNoise, its index kept per process
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hrsaas.views.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "hrsaas.views.MethodNotAllowedPageMiddleware",  # a form target opened by GET: a page in words
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "branches.middleware.BranchAccessMiddleware",
    "branches.middleware.OutsiderFenceMiddleware",
    "hrsaas.core.middleware.PrivateResponsesMiddleware",  # no-store for signed-in responses; JSON ≤ 1 MB
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "branches.context_processors.navigation",
            ],
            # THE display formatter's filters (money, dates, labels) on every template.
            "builtins": ["hrsaas.core.templatetags.hr"],
        },
    },
]

WSGI_APPLICATION = "hrsaas.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hrsaas"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DATABASES["default"]["ENGINE"] = "hrsaas.core.postgres"  # django-tenants' backend, see its base.py
# `SET search_path` once per connection and schema, not before every query (it was one round
# trip in two). Safe here: django-tenants >= 4.0.1 forgets the path on ROLLBACK and ROLLBACK TO
# SAVEPOINT (which undo a SET) and on every schema switch, our backend also on the COMMIT of an
# aborted transaction (hrsaas/core/postgres), and no transaction-mode pooler sits
# between Django and PostgreSQL (TENANCY.md: with one, this must stay off).
# tests/platform/test_search_path.py holds the cases where the path could go stale.
TENANT_LIMIT_SET_CALLS = True

AUTH_USER_MODEL = "branches.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# ---------------------------------------------------------------------------------------------
# i18n: Chinese first, English switchable.
# ---------------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    # Uploads go under MEDIA_ROOT/<schema>/…; they are served only through views that check
    # the branch and the role, never by the web server directly.
    "default": {"BACKEND": "branches.storage.BranchFileStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG and not os.environ.get("HRSAAS_TESTING")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------------------------
# Redis: Celery broker and the cache (keys carry the schema).
# ---------------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "TIMEOUT": 300,
    }
}
# Statements and boards prepared after a recompute (hrsaas/core/prepared.py): how long a body
# is kept at most (it is replaced or invalidated as soon as what it shows changes).
PREPARED_READS_TTL = int(os.environ.get("PREPARED_READS_TTL", str(6 * 3600)))
# Statements each web process also keeps in memory (least recently read dropped first), so that
# Redis answers "unchanged" instead of sending a body again: 64 MB holds ≈ 7,000 statements of
# 6–11 kB.
PREPARED_LOCAL_BYTES = int(os.environ.get("PREPARED_LOCAL_BYTES", str(64 * 1024 * 1024)))
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Each database's tasks go to a queue of their own, named after it (hrsaas/celery.py): a worker
# of another database reading the same Redis database (staging beside production, two checkouts
# or test runs on one machine) never takes them — it would run them against its own database and
# the event would never reach a statement here, with nothing in this deployment's logs.
CELERY_TASK_DEFAULT_QUEUE = f"hrsaas.{DATABASES['default']['NAME']}"
CELERY_TASK_ROUTES = ("hrsaas.celery.route_to_this_database",)
# Sending a task subscribes to its result; with Redis down the default retries that for ~20 s
# inside the web request. Fail within a second instead: the event's durable marker is drained
# by beat once Redis is back (tests/reliability/test_redis_outage.py, docs/reliability.md).
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.25, "interval_max": 0.25}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

# Networks (CIDR, comma-separated) a branch webhook may reach besides WeCom and public https
# addresses — an operator's internal relay; empty by default (notifications/webhooks.py).
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS")

# PostgreSQL work_mem for a branch's social-insurance month compute (its transaction only): the
# sorts and hashes over a large branch's lines stay in memory instead of spilling to disk. Each
# worker process computes one branch at a time.
SI_COMPUTE_WORK_MEM = os.environ.get("SI_COMPUTE_WORK_MEM", "64MB").strip()
if not re.fullmatch(r"[1-9][0-9]{0,6}(kB|MB|GB)", SI_COMPUTE_WORK_MEM):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"SI_COMPUTE_WORK_MEM must look like 64MB (a number and kB, MB or GB), "
                               f"got {SI_COMPUTE_WORK_MEM!r}")
# A month's compute runs its roster checks and the HQ identity registry's changes on a second
# connection while the first stores the month's lines (hrsaas/core/beside.py): the other core does
# them instead of the compute doing them after. 0: one connection per compute (a database that
# allows few connections).
SI_COMPUTE_BESIDE = env_bool("SI_COMPUTE_BESIDE", True)

# ---------------------------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "branches.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: every view declares `roles` (branches/permissions.py, docs/security.md).
    "DEFAULT_PERMISSION_CLASSES": ["branches.permissions.DeclaredRoles"],
    # A JSON body is an object without lone surrogates, for every endpoint, and its numbers are
    # read as such, so that money and percents sent as numbers are refused (API.md: decimal
    # strings): hrsaas/core/parsers.py, hrsaas/core/json_numbers.py.
    "DEFAULT_PARSER_CLASSES": ["hrsaas.core.parsers.JSONObjectParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [],
    # Triggers of whole-branch jobs (commission recompute, SI month compute), per person and branch.
    "DEFAULT_THROTTLE_RATES": {"job-trigger": os.environ.get("JOB_TRIGGER_THROTTLE", "10/min")},
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "branches.apis.exception_handler",
}
# ---------------------------------------------------------------------------------------------
# Sign-in: failures counted per username and per client address, shared by the login page and
# the token endpoint (branches/login_guard.py). The address is REMOTE_ADDR; X-Forwarded-For is
# believed only when REMOTE_ADDR is one of TRUSTED_PROXIES (comma-separated addresses or
# networks, e.g. "127.0.0.1,10.0.0.0/8"; empty by default: nobody can choose their address).
# ---------------------------------------------------------------------------------------------
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
LOGIN_FAILURE_WINDOW = int(os.environ.get("LOGIN_FAILURE_WINDOW", str(15 * 60)))  # seconds
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))  # per username, any address
LOGIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "20"))  # any username
# Photos and attachments one person may store in a branch per 24 hours (portal.services).
UPLOAD_QUOTA_BYTES_PER_DAY = int(os.environ.get("UPLOAD_QUOTA_BYTES_PER_DAY", str(100 * 1024 * 1024)))

# API tokens end after API_TOKEN_IDLE_TIMEOUT seconds without use (12 h) and at the latest
# API_TOKEN_MAX_AGE seconds after they were issued (7 days), and at once on logout, password
# change or reset, deactivation, or `POST /api/v1/auth/token/revoke/`.
API_TOKEN_IDLE_TIMEOUT = int(os.environ.get("API_TOKEN_IDLE_TIMEOUT", str(12 * 3600)))
API_TOKEN_MAX_AGE = int(os.environ.get("API_TOKEN_MAX_AGE", str(7 * 24 * 3600)))

SPECTACULAR_SETTINGS = {
    "TITLE": "hrsaas API",
    "DESCRIPTION": "Multi-branch HR SaaS: HQ at /api/v1/, branches at /b/{branch}/api/v1/ ({branch}: the branch code, e.g. /b/beijing/api/v1/).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema maps every endpoint: signed-in people only (branch schemas: its members).
    "SERVE_PERMISSIONS": ["branches.permissions.SchemaReader"],
    "SERVE_AUTHENTICATION": None,
    # One name for the services a client contracts (clients', sales' and leads' fields alike).
    "ENUM_NAME_OVERRIDES": {"ServiceEnum": "clients.models.Service.values"},
    # Enum names first (the default), then the contract's error answers on every operation.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "hrsaas.openapi.document_errors"],
}

# Identity numbers are encrypted, and hashed for look-ups, with keys derived from
# FIELD_ENCRYPTION_KEY: its own secret, so that rotating SECRET_KEY (sessions, signed links)
# leaves every stored identity readable. FIELD_ENCRYPTION_OLD_KEYS (comma-separated) still
# decrypt and still find people until `manage.py rotate_field_keys` has moved every row to the
# current key. Unset, it falls back to SECRET_KEY: the API contract's deployment configures
# DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG and ALLOWED_HOSTS only, and `migrate` must run on
# exactly those. With DEBUG off the fallback is a warning on every management command
# (social_insurance.apps, `hrsaas.W001`), because rotating SECRET_KEY would then make every stored
# identity unreadable; production sets its own key.
FIELD_ENCRYPTION_KEY_SET = bool(os.environ.get("FIELD_ENCRYPTION_KEY"))
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY") or SECRET_KEY
FIELD_ENCRYPTION_OLD_KEYS = env_list("FIELD_ENCRYPTION_OLD_KEYS")

# ---------------------------------------------------------------------------------------------
# Security: safe by default; DEBUG must be asked for.
# ---------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "hrsaas@localhost")
# Where people reach the product (https://hr.example.com): e-mails end with the address of the
# page they are about. Empty: e-mails carry no address (a worker cannot know the host).
SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/")
if SITE_URL and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", SITE_URL):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"SITE_URL must look like https://hr.example.com, got {SITE_URL!r}")
# The SMTP backend's server (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

CSRF_FAILURE_VIEW = "hrsaas.views.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_traceback_for_refusals": {"()": "hrsaas.views.NoTracebackForRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["no_traceback_for_refusals"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# 电子工资条: days after a closed statement was sent (and between reminders) before an earner
# who has neither confirmed nor questioned it is reminded.
STATEMENT_CONFIRM_REMIND_DAYS = int(os.environ.get("STATEMENT_CONFIRM_REMIND_DAYS", "3"))
