"""Django settings for bangfu, driven by environment variables (see ``.env.example``).

Safe defaults: SQLite (WAL) under ``var/``, a generated secret kept in ``var/``, DEBUG off.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url

from bangfu.core.environment import env_bool, env_int, env_list, env_str, persistent_secret

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("BANGFU_VAR_DIR", str(Path.cwd() / "var"))).resolve()

# Secrets and keys are generated on first use only for the embedded default (no DATABASE_URL): a deployment
# configures them, so that every process (server, worker, commands) reads the same ones.
GENERATE_SECRETS = env_bool("BANGFU_GENERATE_SECRETS", not env_str("DATABASE_URL", ""))
SECRET_KEY = persistent_secret("BANGFU_SECRET_KEY", VAR_DIR / "secret_key", allow_generate=GENERATE_SECRETS)
DEBUG = env_bool("BANGFU_DEBUG", False)
ALLOWED_HOSTS = env_list("BANGFU_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("BANGFU_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves its Swagger UI from local static files instead of a CDN
    "django_htmx",
    "template_partials",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "bangfu.core",
    "bangfu.regions",
    "bangfu.accounts",
    "bangfu.audit",
    "bangfu.policy",
    "bangfu.registry",
    "bangfu.datasets",
    "bangfu.monitoring",
    "bangfu.rectification",
    "bangfu.dashboards",
    "bangfu.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "bangfu.core.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "bangfu.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "bangfu.accounts.middleware.IdleTimeoutMiddleware",
    "bangfu.accounts.middleware.SecondFactorRequiredMiddleware",
    "bangfu.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "bangfu.core.middleware.ApiMethodNotAllowedMiddleware",
    # AxesMiddleware last, as its documentation requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bangfu.urls"
WSGI_APPLICATION = "bangfu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "bangfu.accounts.context_processors.navigation",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{VAR_DIR / 'bangfu.sqlite3'}"
DATABASE_URL = env_str("DATABASE_URL", "") or _default_sqlite
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the writer (server + worker); IMMEDIATE avoids "database is locked"
        # upgrades in the middle of a write transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and login hardening (等保三级) ----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # bangfu's subclass only translates the message (Django 5.2's zh-Hans catalogue lacks it).
    {"NAME": "bangfu.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "bangfu.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "bangfu.accounts.passwords.PasswordHistoryValidator", "OPTIONS": {"history": 5}},
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "bangfu.accounts.views.locked_out"
AXES_VERBOSE = False
# The hash-chained audit trail (login, login_failed, account_locked events) is the record of log-ins; axes'
# AccessLog would be a second, unchained copy of every log-in with addresses and browsers.
AXES_DISABLE_ACCESS_LOG = True
# axes stores the POST data of each failure; the change-password page's fields must never reach it in clear.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "old_password", "new_password1", "new_password2"]
# axes.W006 warns that username-only lock-out lets anyone lock a known account. 等保三级 requires locking the
# *account* after repeated failures, whatever address they come from (a username+IP key would let a guesser
# rotate addresses); the security admin can unlock early, and every lock is audited.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
SESSION_IDLE_TIMEOUT = timedelta(minutes=env_int("BANGFU_SESSION_IDLE_MINUTES", 30))
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("BANGFU_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# No script reads the CSRF cookie: htmx sends the token written into the page (base.html, hx-headers).
CSRF_COOKIE_HTTPONLY = True
if SESSION_COOKIE_SECURE:
    # HTTPS ends at the reverse proxy, which sets X-Forwarded-Proto; trusted only in HTTPS deployments.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("BANGFU_HSTS_SECONDS", 31536000 if SESSION_COOKIE_SECURE else 0)
# Off by default: the proxy redirects HTTP to HTTPS. On only when nothing in front of bangfu does.
SECURE_SSL_REDIRECT = env_bool("BANGFU_SSL_REDIRECT", False)
# The request header in which the reverse proxy passes the client's address (e.g. HTTP_X_REAL_IP): the public
# self-report form limits reports per address. Empty: REMOTE_ADDR (no proxy in front).
CLIENT_IP_HEADER = env_str("BANGFU_CLIENT_IP_HEADER", "")
# Lifetime of a new API token in days: ``bangfu token create``'s default, the most the token page offers.
BANGFU_API_TOKEN_DAYS = env_int("BANGFU_API_TOKEN_DAYS", 365)
OTP_TOTP_ISSUER = "bangfu"

# --- Personal-data encryption (SM4) and blind index (HMAC-SM3) --------------------------------------------
# A key file holds one or more hex keys "id:hex" per line; the first is current, the rest decrypt old rows.
BANGFU_KEY_FILE = Path(env_str("BANGFU_KEY_FILE", str(VAR_DIR / "keys" / "data.keys")))
BANGFU_DATA_KEYS = env_str("BANGFU_DATA_KEYS", "")
BANGFU_INDEX_KEY = env_str("BANGFU_INDEX_KEY", "")

# --- Internationalisation: Chinese first -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Largest spreadsheet accepted by an upload (a county's 50,000-household workbook is about 20 MB).
BANGFU_IMPORT_MAX_MB = env_int("BANGFU_IMPORT_MAX_MB", 50)

# --- Content-Security-Policy: nothing from outside, no inline script or style ----------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Background jobs: Django tasks API, database backend (no broker) ---------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Logging: never personal data; audit events are in the database -------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "bangfu.core.logfilters.MaskPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_personal_data"]}},
    "root": {"handlers": ["console"], "level": env_str("BANGFU_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Django's own request and development-server loggers write request lines (with query strings):
        # route them through the masking handler instead of Django's default handlers.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
