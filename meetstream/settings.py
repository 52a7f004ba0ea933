"""Settings, all read from the environment (docs/operations.md names every variable and its
default)."""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from meetstream.shared.env import (
    REQUIRED_SECRETS,
    env_bool,
    env_choice,
    env_header,
    env_int,
    env_list,
    env_str,
)
from meetstream.shared.logcontext import log_format, logging_config
from meetstream.shared.timing import SCHEDULER_EVERY
from meetstream.webhook_schema import WEBHOOK_COMPONENTS
from storageconfig.backends import sdk_loggers

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEV_SECRET_KEY = "dev-only-insecure-secret-key-set-SECRET_KEY-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY") or DEV_SECRET_KEY
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

# First key encrypts, every key decrypts: rotate by prepending a new key.
FERNET_KEYS = env_list("FERNET_KEYS") or [SECRET_KEY]
# Secrets left to their public defaults: the web, the worker and manage.py refuse to start
# with any of these when DEBUG is false (meetstream.startup); tests and the demo set them.
SECRETS_DEFAULTED = [name for name in REQUIRED_SECRETS if not env_str(name)]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "meetstream",
    "meetstream.tenants",
    "meetstream.demo",
    "storageconfig",
    "bots",
    "media_fetch",
]

MIDDLEWARE = [
    "meetstream.shared.proxy.ClientAddressMiddleware",
    "meetstream.shared.logcontext.RequestIdMiddleware",
    "meetstream.shared.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out admin login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Admin logins: after this many failures a user name is locked out from that address only.
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ADMIN_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

ROOT_URLCONF = "meetstream.urls"
WSGI_APPLICATION = "meetstream.wsgi.application"

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
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (server, worker, tests) share the file: wait for locks, don't fail.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that a worker process started by a test sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "meetstream",
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# var/ holds the default SQLite file, collected static files and staged media.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")

# Recorder files are staged under MEDIA_ROOT (the "staging" storage), or across machines in an
# S3 bucket of the platform's account, with its credentials and endpoint (bots.pipeline.staging).
STAGING_S3_BUCKET = env_str("STAGING_S3_BUCKET")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "staging": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["meetstream.tenants.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["meetstream.shared.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "meetstream.shared.schema.AutoSchema",
    "EXCEPTION_HANDLER": "meetstream.shared.errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "storage_config_write": env_str("STORAGE_CONFIG_THROTTLE_RATE") or "20/min",
    },
    "UNAUTHENTICATED_USER": None,
    # `?format=` belongs to get_audio (wav or mp3), not to DRF's renderer choice.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "MeetStream custom S3 storage API",
    "DESCRIPTION": "Keep every bot recording in your own S3 bucket.\n\nWebhook bodies: OpenAPI "
    "3.0 cannot declare webhooks, so each storage event's body is a component named after it "
    "(StorageDeliveredWebhook, StorageFallbackUsedWebhook, StorageConfigInvalidWebhook, "
    "StorageConfigRestoredWebhook).",
    "APPEND_COMPONENTS": {"schemas": WEBHOOK_COMPONENTS},
    "VERSION": "1.0.0",
    "TAGS": [
        {"name": "storage", "description": "Your bucket: configure it, check it, its policy."},
        {"name": "bots", "description": "Bots: create, list, status, redelivery, webhooks."},
        {"name": "media", "description": "A bot's files: presigned URLs and stored JSON."},
        {"name": "deletion", "description": "Deleting a bot's media on request."},
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # JavaScript, not JSON: Authorize takes the key alone and each request sends it as
    # `Token <key>` (drf-spectacular's own interceptor runs first; a value that already has
    # a scheme is sent as typed).
    "SWAGGER_UI_SETTINGS": """{
  persistAuthorization: true,
  requestInterceptor: (request) => {
    const sent = requestInterceptor(request);
    const key = sent.headers.Authorization;
    if (key && !key.trim().includes(" ")) sent.headers.Authorization = "Token " + key.trim();
    return sent;
  },
}""",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "MediaStateEnum": "bots.bot.media_state.MEDIA_STATES",
        "UploadStateEnum": "bots.pipeline.upload_lifecycle.UploadState",
        "StorageReasonEnum": "storageconfig.failures.REASONS",
        "StorageCheckEnum": "storageconfig.serializers.CHECKS",
    },
    "PREPROCESSING_HOOKS": ["meetstream.schema_hooks.public_endpoints"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "meetstream.schema_hooks.closed_shapes",
    ],
}
# The recorder's schema (/internal/schema/): its own routes, nothing left out.
INTERNAL_SCHEMA_SETTINGS = {
    "TITLE": "MeetStream recorder API (internal)",
    "DESCRIPTION": "How the meeting recorder hands files over. Not for customers.",
    "PREPROCESSING_HOOKS": [],
    "APPEND_COMPONENTS": {},
    "TAGS": [{"name": "recorder", "description": "The recorder hands a bot's files over."}],
}

# Failed API key attempts one client address may make in a minute before it gets 429s.
AUTH_FAILURES_PER_MINUTE = env_int("AUTH_FAILURES_PER_MINUTE", 30, minimum=1)

# Storage: the platform bucket, and the guard on customer endpoints.
PLATFORM_S3_BUCKET = env_str("PLATFORM_S3_BUCKET") or "meetstream-platform"
PLATFORM_S3_REGION = env_str("PLATFORM_S3_REGION") or "us-east-1"
PLATFORM_S3_ENDPOINT_URL = env_str("PLATFORM_S3_ENDPOINT_URL")
PLATFORM_S3_ACCESS_KEY_ID = env_str("PLATFORM_S3_ACCESS_KEY_ID")
PLATFORM_S3_SECRET_ACCESS_KEY = env_str("PLATFORM_S3_SECRET_ACCESS_KEY")
# Customers' roles: the principal their trust policy names (unset: STS's GetCallerIdentity for
# the key pair above or the default chain), and how long each assumed session lasts. Sessions
# are refreshed with 50 minutes left at the default; 7200 and up give every URL a full hour.
PLATFORM_AWS_PRINCIPAL_ARN = env_str("PLATFORM_AWS_PRINCIPAL_ARN")
STORAGE_ROLE_SESSION_SECONDS = env_int(
    "STORAGE_ROLE_SESSION_SECONDS", 3600, minimum=3600, maximum=43200
)
STORAGE_ALLOW_PRIVATE_ENDPOINTS = env_bool("STORAGE_ALLOW_PRIVATE_ENDPOINTS", False)
# Uploads: files of one bot in flight at once, and how a failed one is tried again
# (meetstream.shared.timing has every delay of the upload path).
MEDIA_UPLOAD_CONCURRENCY = env_int("MEDIA_UPLOAD_CONCURRENCY", 8, minimum=1)
# A large file goes up in parts of this size (S3 allows 5 MiB to 5 GiB, 10,000 parts at most);
# an upload pass sends at most UPLOAD_THREADS parts at once, shared by its large files (a lone
# file has them all), whatever the provider; docs/benchmarks.md measured the defaults. Their
# former names (S3_UPLOAD_PART_MB, S3_UPLOAD_THREADS) still work.
UPLOAD_PART_MB = env_int("UPLOAD_PART_MB", 8, minimum=5, maximum=5120, alias="S3_UPLOAD_PART_MB")
UPLOAD_THREADS = env_int("UPLOAD_THREADS", 10, minimum=1, maximum=32, alias="S3_UPLOAD_THREADS")
MEDIA_UPLOAD_MAX_ATTEMPTS = env_int("MEDIA_UPLOAD_MAX_ATTEMPTS", 10, minimum=1)
MEDIA_UPLOAD_RETRY_BASE_SECONDS = env_int("MEDIA_UPLOAD_RETRY_BASE_SECONDS", 30, minimum=1)
# A given-up file's staged copy is kept this long for a redelivery (CONTRACT section 12).
MEDIA_HOLD_HOURS = env_int("MEDIA_HOLD_HOURS", 72, minimum=1, maximum=720)
# Every active storage configuration's live check runs again this often; 0 turns it off.
STORAGE_HEALTH_CHECK_MINUTES = env_int("STORAGE_HEALTH_CHECK_MINUTES", 360, maximum=10080)
# The largest file the recorder may hand over (a 413 past it); 8 GiB.
MEDIA_MAX_FILE_BYTES = env_int("MEDIA_MAX_FILE_BYTES", 8 * 1024**3, minimum=1)
# How long the platform keeps what it holds of a bot's media, after the bot left, unless
# create_bot says otherwise; unset: forever. A customer's own bucket is never cleaned on a timer.
MEDIA_RETENTION_HOURS = env_int("MEDIA_RETENTION_HOURS", None, minimum=1, maximum=8760)
# Webhook retries wait this, then 4 times longer each time (up to an hour), 8 attempts in all.
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 10, minimum=1)
# One deadline for a whole webhook attempt (connect, send, answer), and how many of one tenant's
# deliveries may be in flight at once across all workers (CONTRACT section 12).
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=50)
# The platform's older body-only signature (X-MeetStream-Signature), for receivers that still
# check it; `false` stops sending it once they verify webhook-signature.
WEBHOOK_LEGACY_SIGNATURE = env_bool("WEBHOOK_LEGACY_SIGNATURE", True)
WEBHOOK_TENANT_CONCURRENCY = env_int("WEBHOOK_TENANT_CONCURRENCY", 2, minimum=1, maximum=100)
# Seconds an upload request may wait for the bucket to read or answer before it is retried
# (formerly S3_TRANSFER_READ_TIMEOUT, which still works).
UPLOAD_READ_TIMEOUT = env_int(
    "UPLOAD_READ_TIMEOUT", 60, minimum=1, alias="S3_TRANSFER_READ_TIMEOUT"
)

RECORDER_TOKEN = env_str("RECORDER_TOKEN")
RECORDER_MODE = env_choice("RECORDER_MODE", "external", ("external", "simulated"))

# Tasks always go through a broker: Redis, or under `make run` a folder of its own
# (EMBEDDED_BROKER_DIR, kombu's filesystem transport). Without either, the web and the worker
# refuse to start (meetstream.startup); only tests run tasks inline, and say so.
EMBEDDED_BROKER_DIR = env_str("EMBEDDED_BROKER_DIR")
CELERY_BROKER_URL = REDIS_URL or ("filesystem://" if EMBEDDED_BROKER_DIR else "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker logs through LOGGING above (LOG_FORMAT, the context fields), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE") or "meetstream"
# A task a dead worker held is delivered again after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 3600, minimum=1)
}
if EMBEDDED_BROKER_DIR and not REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": EMBEDDED_BROKER_DIR,
        "data_folder_out": EMBEDDED_BROKER_DIR,
        "control_folder": str(Path(EMBEDDED_BROKER_DIR) / "control"),
        "store_processed": False,
    }
# The one scheduler of all due work (meetstream.shared.due_work).
CELERY_BEAT_SCHEDULE = {
    "run-due-work": {
        "task": "bots.tasks.run_due_work",
        "schedule": SCHEDULER_EVERY.total_seconds(),
    },
}

# LOG_FORMAT=json: one JSON object per line with request_id, tenant, bot_id and task_id, from
# every logger of every process (meetstream.shared.logcontext.logging_config).
LOG_FORMAT = log_format()
LOGGING = logging_config(quieted=sdk_loggers())

# Operators: /metrics asks for `Authorization: Bearer <METRICS_TOKEN>` when it is set; a worker
# serves its metrics on WORKER_METRICS_PORT when that is set (meetstream.metrics), the same way,
# on loopback unless WORKER_METRICS_ADDRESS says otherwise.
METRICS_TOKEN = env_str("METRICS_TOKEN")
WORKER_METRICS_PORT = env_int("WORKER_METRICS_PORT", None, minimum=1, maximum=65535)
WORKER_METRICS_ADDRESS = env_str("WORKER_METRICS_ADDRESS") or "127.0.0.1"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# HTTPS, on by default outside DEBUG: cookies only over HTTPS, plain HTTP redirected (but for
# the probes and the scraper), HSTS for a year. Behind a proxy that ends TLS, name the header
# it sets: SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto (the request is HTTPS when it says https).
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_PROXY_SSL_HEADER = (
    (proxy_scheme, "https") if (proxy_scheme := env_header("SECURE_PROXY_SSL_HEADER")) else None
)
# The header a proxy in front sets to the client's address (`make serve`: X-Real-IP, from its
# nginx), so that throttles and the admin's lockout count clients, not the proxy. Set it only
# when nothing but that proxy can reach the web.
CLIENT_ADDRESS_HEADER = env_header("CLIENT_ADDRESS_HEADER")
