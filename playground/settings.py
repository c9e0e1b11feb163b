"""Settings: read once from the environment through django-environ.

A misconfiguration raises ImproperlyConfigured with the variable to set.
"""
import os
from datetime import timedelta
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from playground.local_secrets import dev_secret

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = BASE_DIR / ".local"

env = environ.Env()

def _strict_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"Set {name} to true or false (it is {raw!r}).")


# Off unless set: `make run` turns it on for development.
DEBUG = _strict_bool("DEBUG", False)
# DEBUG=False set explicitly declares a server: its secrets must come from the environment. Left
# unset (a fresh checkout, the tests), missing secrets are generated once into .local/.
_DECLARED_SERVER = not DEBUG and bool(env.str("DEBUG", default="").strip())


def _secret(name: str) -> str:
    value = env.str(name, default="")
    if value:
        return value
    if _DECLARED_SERVER:
        raise ImproperlyConfigured(f"Set {name} in the environment (required when DEBUG=False).")
    return dev_secret(LOCAL_DIR / "dev-secrets.json", name)


SECRET_KEY = _secret("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Behind the HTTPS proxy of docs/deployment.md: trust its X-Forwarded-Proto, send cookies over HTTPS only,
# and redirect a plain-HTTP request to HTTPS.
BEHIND_HTTPS_PROXY = _strict_bool("BEHIND_HTTPS_PROXY", False)
if BEHIND_HTTPS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = True
# HSTS, opt-in: once a browser has seen it, it refuses plain HTTP to this host (and its subdomains) that long.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading asks browser makers to hard-code HTTPS for the domain: a choice for its owner, not a default.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

PLAYGROUND_ENCRYPTION_KEYS = [k.strip() for k in _secret("PLAYGROUND_ENCRYPTION_KEYS").split(",") if k.strip()]
for _key in PLAYGROUND_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "PLAYGROUND_ENCRYPTION_KEYS must be comma-separated Fernet keys "
            "(make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        ) from None

# The largest websocket frame accepted from a client, in bytes.
PLAYGROUND_MAX_FRAME_BYTES = env.int("PLAYGROUND_MAX_FRAME_BYTES", default=256 * 1024)
# A reply longer than this many characters is cut there (finish reason `max_reply_chars`).
PLAYGROUND_MAX_REPLY_CHARS = env.int("PLAYGROUND_MAX_REPLY_CHARS", default=1_000_000)
# A finished reply longer than this (text plus html, in characters) is not repeated in `stream.end`:
# clients fetch it over HTTP, so no frame nears Daphne's 1 MiB or channels-redis' message limits.
PLAYGROUND_MAX_END_CHARS = env.int("PLAYGROUND_MAX_END_CHARS", default=100_000)
# Images people attach: at most this many bytes as uploaded, and this many pixels (width × height).
PLAYGROUND_MAX_IMAGE_BYTES = env.int("PLAYGROUND_MAX_IMAGE_BYTES", default=10 * 1024 * 1024)
PLAYGROUND_MAX_IMAGE_PIXELS = env.int("PLAYGROUND_MAX_IMAGE_PIXELS", default=25_000_000)
# An MCP tool call (or a discovery of a server's tools) that takes longer is answered with a timeout error.
PLAYGROUND_MCP_TIMEOUT_SECONDS = env.float("PLAYGROUND_MCP_TIMEOUT_SECONDS", default=30.0)
# Who sees a new conversation or fork unless its owner (or their own default) says otherwise: team or private.
PLAYGROUND_DEFAULT_VISIBILITY = env.str("PLAYGROUND_DEFAULT_VISIBILITY", default="team")
if PLAYGROUND_DEFAULT_VISIBILITY not in ("team", "private"):
    raise ImproperlyConfigured("PLAYGROUND_DEFAULT_VISIBILITY must be team or private.")
# How often a streaming reply is written to the database, in seconds.
PLAYGROUND_CHECKPOINT_SECONDS = env.float("PLAYGROUND_CHECKPOINT_SECONDS", default=2.0)
# The shortest gap between two delta frames of one reply, in seconds.
PLAYGROUND_COALESCE_SECONDS = env.float("PLAYGROUND_COALESCE_SECONDS", default=0.02)
# Under load the gap widens: by one base interval per this many streams in the process, up to the max.
PLAYGROUND_COALESCE_STREAMS = env.int("PLAYGROUND_COALESCE_STREAMS", default=25)
PLAYGROUND_COALESCE_MAX_SECONDS = env.float("PLAYGROUND_COALESCE_MAX_SECONDS", default=0.06)
# How long a process keeps providers, models and quota limits (chat.config_cache): an admin's change shows
# here at once, in other server processes after at most this many seconds. The old name still works.
PLAYGROUND_CONFIG_CACHE_SECONDS = env.float("PLAYGROUND_CONFIG_CACHE_SECONDS",
                                            default=env.float("PLAYGROUND_MODEL_CACHE_SECONDS", default=5.0))
# Experiments: requests open at once per provider (default for a new experiment), and how often a
# running experiment looks for a cancel sent to another process, in seconds.
PLAYGROUND_EXPERIMENT_CONCURRENCY = env.int("PLAYGROUND_EXPERIMENT_CONCURRENCY", default=4)
PLAYGROUND_EXPERIMENT_POLL_SECONDS = env.float("PLAYGROUND_EXPERIMENT_POLL_SECONDS", default=1.0)
# Datasets: the most rows and bytes one import takes (all of a file is imported, or none of it).
PLAYGROUND_DATASET_MAX_ROWS = env.int("PLAYGROUND_DATASET_MAX_ROWS", default=10_000)
PLAYGROUND_DATASET_MAX_BYTES = env.int("PLAYGROUND_DATASET_MAX_BYTES", default=2_000_000)
PLAYGROUND_EXPERIMENT_RATE_LIMIT_RETRIES = env.int("PLAYGROUND_EXPERIMENT_RATE_LIMIT_RETRIES", default=4)
# Gateway (/v1): also save each request as a conversation of its user, marked as from the API.
PLAYGROUND_GATEWAY_SAVE_CONVERSATIONS = _strict_bool("PLAYGROUND_GATEWAY_SAVE_CONVERSATIONS", False)
# The idle timeout a new provider gets: the longest silence between two pieces of a reply, in seconds.
PLAYGROUND_PROVIDER_IDLE_TIMEOUT = env.float("PLAYGROUND_PROVIDER_IDLE_TIMEOUT", default=60.0)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "providers",
    "chat",
    "chat.gateway",
    "chat.workbench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "playground.csp.content_security_policy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "chat.gateway.audit.AuditMiddleware",  # who and from where, for the audit log
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it turns a lock-out into the sign-in page saying so
]

ROOT_URLCONF = "playground.urls"
ASGI_APPLICATION = "playground.asgi.application"

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
                "playground.context.sign_in",
            ],
        },
    },
]

LOCAL_DIR.mkdir(exist_ok=True)
_database_url = env.str("DATABASE_URL", default=f"sqlite:///{LOCAL_DIR / 'db.sqlite3'}")
if not _database_url.startswith(("sqlite://", "postgres://", "postgresql://")):
    raise ImproperlyConfigured("DATABASE_URL must be sqlite:///path or postgres://user@host:port/name.")
DATABASES = {"default": env.db_url_config(_database_url)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Keep connections: opening one (and its PRAGMAs) on every query cost more than the query.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    # A file, so a live Daphne started by the tests sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(LOCAL_DIR / f"test-db-{os.getpid()}.sqlite3")}
else:
    # One test database per test process, so parallel runs on one server do not collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("REDIS_URL must look like redis://host:6379/0 (or be unset for one process).")
# Replies listen for a cancel sent from another process; only needed when several processes share Redis.
PLAYGROUND_CROSS_PROCESS_CANCEL = env.bool("PLAYGROUND_CROSS_PROCESS_CANCEL", default=bool(REDIS_URL))
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "playground.redis_layer.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env.str("CHANNEL_PREFIX", default="playground")},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "playground.channel_layer.LocalChannelLayer", "CONFIG": {"capacity": 1000}}}
# Experiments: cells run in worker processes (`manage.py experimentworker`) instead of the Daphne process
# that got the "run" request. Workers claim cells in PostgreSQL and send progress through Redis.
PLAYGROUND_EXPERIMENT_WORKERS = _strict_bool("PLAYGROUND_EXPERIMENT_WORKERS", False)
if PLAYGROUND_EXPERIMENT_WORKERS and not (REDIS_URL and DATABASES["default"]["ENGINE"].endswith("postgresql")):
    raise ImproperlyConfigured("PLAYGROUND_EXPERIMENT_WORKERS needs REDIS_URL and a PostgreSQL DATABASE_URL.")

AUTHENTICATION_BACKENDS = ["playground.login_throttle.SignInThrottle", "django.contrib.auth.backends.ModelBackend"]
# Single sign-on with OpenID Connect (chat/gateway/oidc.py), on when OIDC_RP_CLIENT_ID is set: the endpoints are the
# ones the identity provider's /.well-known/openid-configuration lists. Local accounts keep working.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_STAFF_CLAIM = env.str("OIDC_STAFF_CLAIM", default="")  # a claim that makes a user staff (true) or not
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="")  # a claim listing the groups a user is in
if OIDC_RP_CLIENT_ID:
    try:
        OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET")
        OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT")
        OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT")
        OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT")
        OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT")
    except ImproperlyConfigured as missing:
        raise ImproperlyConfigured(f"OIDC_RP_CLIENT_ID is set: {missing}") from None
    OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
    OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.append("chat.gateway.oidc.TeamOIDCBackend")

# Sign-in throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username from one
# address, that pair is refused for LOGIN_COOLOFF_MINUTES after the last one; elsewhere the user still signs in.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("LOGIN_COOLOFF_MINUTES", default=15))
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_TIME <= timedelta(0):
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT and LOGIN_COOLOFF_MINUTES must be above zero.")
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failed attempts are what throttling needs; no row per successful sign-in
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a cool-off ends; more tries do not extend it
AXES_CLIENT_IP_CALLABLE = "playground.login_throttle.client_address"
AXES_LOCKOUT_CALLABLE = "playground.login_throttle.locked_out"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "playground"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = LOCAL_DIR / "staticfiles"
# Attached images go through Django's storage API: files under MEDIA_ROOT unless STORAGES["default"] says
# otherwise (an S3-compatible store through django-storages: see docs/configuration.md). They are never
# served from MEDIA_URL, only through /api/images/<id> to those who may read them.
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(LOCAL_DIR / "media"))
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
