"""DealerCRM settings: one module, every deployment difference read from the environment.

Defaults give the embedded setup (SQLite, a file-system Celery broker, console email);
DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis for production.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DEALERCRM_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and env_bool("DEALERCRM_PRODUCTION", False):
        raise RuntimeError("SECRET_KEY must be set in production")
    SECRET_KEY = "insecure-embedded-default-change-me-for-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "bootstrap",
    "accounts",
    "catalog",
    "leads",
    "showroom",
    "dcc",
    "complaints",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "accounts.middleware.CurrentStoreMiddleware",
    "accounts.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "dealercrm.urls"
WSGI_APPLICATION = "dealercrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.workspace",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Persistent connections buy nothing on SQLite; WAL lets the worker and the web app share it.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool("DB_JIT", False):
    # PostgreSQL's JIT compiler spends seconds compiling the reports' grouped queries that then
    # run in milliseconds; the app's queries are short, so it is off unless DB_JIT says otherwise.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The lists' covering indexes (INCLUDE columns) are PostgreSQL's; on SQLite they are plain indexes,
# which is what they should be there, so Django's warning about it only hides real ones.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
AUTH_USER_MODEL = "accounts.User"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": env_str("STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage")},
}
# Without collectstatic (embedded and test runs) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = True

# --- Security (production: DEBUG off, behind TLS) ------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies in front of the app append to X-Forwarded-For (0: use the socket address).
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)

# --- Email and notification channels --------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "DealerCRM <noreply@dealercrm.local>")
NOTIFICATION_CHANNELS = env_list(
    "NOTIFICATION_CHANNELS",
    ["accounts.channels.EmailChannel", "accounts.channels.WeComWebhookChannel"],
)
WECOM_WEBHOOK_URL = env_str("WECOM_WEBHOOK_URL", "")
# DCC: how customer messages (SMS, email, invitations) go out, and the telephony hook of the call screen.
DCC_MESSAGE_BACKEND = env_str("DCC_MESSAGE_BACKEND", "dcc.messaging.LogBackend")
DCC_TELEPHONY_BACKEND = env_str("DCC_TELEPHONY_BACKEND", "dcc.telephony.NoTelephony")

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "accounts.api.pagination.StandardCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "accounts.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DealerCRM API",
    "DESCRIPTION": "Sales-lead CRM for car dealerships. Token auth: POST /api/v1/auth/token/.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {
        "WeekdayEnum": "accounts.models.OpeningHours.Weekday",
        "ComplaintStatusEnum": "complaints.models.ComplaintStatus",
        "CallbackKindEnum": "complaints.models.Callback.Kind",
        "ServiceReminderKindEnum": "complaints.models.ServiceReminder.Kind",
        "EnquiryKindEnum": "complaints.models.Enquiry.Kind",
        "ScorecardOutcomeEnum": "complaints.models.ScorecardLine.Outcome",
        "OutcomeEnum": "dcc.models.Outcome",
        "HolidayKindEnum": "accounts.models.Holiday.Kind",
    },
}

# --- Celery ---------------------------------------------------------------------------------
# With REDIS_URL: Redis as broker. Without: a file-system broker that needs no server, so the
# embedded `make run` still runs a real worker with beat.
CELERY_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
    CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
    for sub in ("queue", "processed", "results", "control"):
        (CELERY_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DIR / "queue"),
        "data_folder_out": str(CELERY_DIR / "queue"),
        "processed_folder": str(CELERY_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_DIR / "control"),
    }
    CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", f"file://{CELERY_DIR / 'results'}")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "scheduler-heartbeat": {
        "task": "accounts.tasks.scheduler_heartbeat",
        "schedule": timedelta(seconds=env_int("HEARTBEAT_SECONDS", 60)),
    },
    "purge-read-notifications": {
        "task": "accounts.tasks.purge_old_notifications",
        "schedule": crontab(hour=3, minute=15),
    },
    "leads-daily-maintenance": {
        "task": "leads.tasks.daily_maintenance_all",
        "schedule": crontab(hour=env_int("DAILY_JOB_HOUR", 7), minute=0),
    },
    "showroom-cross-check": {
        "task": "showroom.tasks.cross_check_all",
        "schedule": crontab(minute=20),
    },
    # DCC: call lists after the leads' morning job; reminders and first-call SLA checks through the
    # day. DCC_BEAT_SECONDS (tests) runs all three every that many seconds.
    "dcc-build-call-lists": {
        "task": "dcc.tasks.build_call_lists_all",
        "schedule": timedelta(seconds=env_int("DCC_BEAT_SECONDS", 0))
        if env_int("DCC_BEAT_SECONDS", 0)
        else crontab(hour=env_int("DAILY_JOB_HOUR", 7), minute=30),
    },
    "dcc-arrival-reminders": {
        "task": "dcc.tasks.arrival_reminders_all",
        "schedule": timedelta(seconds=env_int("DCC_BEAT_SECONDS", 0) or 15 * 60),
    },
    "dcc-first-call-sla": {
        "task": "dcc.tasks.first_call_sla_check_all",
        "schedule": timedelta(seconds=env_int("DCC_BEAT_SECONDS", 0) or 120),
    },
    # Customer service: complaints at risk or past due, every few minutes.
    "complaints-escalate": {
        "task": "complaints.tasks.escalate_complaints_all",
        "schedule": timedelta(seconds=env_int("COMPLAINTS_BEAT_SECONDS", 5 * 60)),
    },
    "callbacks-service-reminders": {
        "task": "complaints.tasks.create_service_reminders_all",
        "schedule": crontab(hour=env_int("DAILY_JOB_HOUR", 7), minute=15),
    },
    # The day's callbacks: ladders missing from recent deliveries, the next repeating rungs.
    "callbacks-create": {
        "task": "complaints.tasks.create_callbacks_all",
        "schedule": crontab(hour=env_int("DAILY_JOB_HOUR", 7), minute=10),
    },
    # Reports: expired exports are deleted at night.
    "reports-purge-exports": {
        "task": "reports.tasks.purge_exports",
        "schedule": crontab(hour=3, minute=30),
    },
    # Reports: the report center's files past their keeping time are deleted at night.
    "reports-purge-center": {
        "task": "reports.tasks.purge_report_center",
        "schedule": crontab(hour=3, minute=35),
    },
    # Reports: the daily summaries (the days before, and days changed since), before the report center.
    "reports-refresh-daily-counts": {
        "task": "reports.tasks.refresh_daily_counts_all",
        "schedule": crontab(hour=env_int("DAILY_JOB_HOUR", 7), minute=25),
    },
    # Reports: the report center's files of the day before (and the month to it), then the subscribers' emails.
    "reports-build-center": {
        "task": "reports.tasks.build_report_center_all",
        "schedule": crontab(hour=env_int("DAILY_JOB_HOUR", 7), minute=40),
    },
}

# --- Reports ----------------------------------------------------------------------------------
# Exports with more rows than this run in the background and are downloaded from "My exports".
REPORT_EXPORT_BACKGROUND_ROWS = env_int("REPORT_EXPORT_BACKGROUND_ROWS", 20000)
REPORT_EXPORT_EXPIRY_HOURS = env_int("REPORT_EXPORT_EXPIRY_HOURS", 72)
# The report center keeps its files this many days; the month-to-date files of a month's last day
# (the whole month) are kept this many months.
REPORT_CENTER_KEEP_DAYS = env_int("REPORT_CENTER_KEEP_DAYS", 92)
REPORT_CENTER_KEEP_MONTHS = env_int("REPORT_CENTER_KEEP_MONTHS", 24)
# The morning job recounts this many days before today (late entries and corrections), besides
# every day changed since its previous run.
REPORT_SUMMARY_REFRESH_DAYS = env_int("REPORT_SUMMARY_REFRESH_DAYS", 3)

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
