"""Settings shared by every environment.

Everything a deployment changes comes from the environment, with defaults that make the
embedded mode (SQLite in ``var/``, one machine, no servers) work without any configuration.
``headway check`` explains what is missing or unsafe.
"""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("HEADWAY_VAR_DIR", BASE_DIR / "var"))


def _embedded_secret_key(var_dir: Path) -> str:
    """A random key made once per installation and kept in var/, so the embedded mode never runs on
    a key published in the source. Several machines must share HEADWAY_SECRET_KEY instead."""
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: when several server processes start at once, exactly one writes the key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(50))
        except FileExistsError:
            pass
    return path.read_text().strip()


SECRET_KEY = os.environ.get("HEADWAY_SECRET_KEY") or _embedded_secret_key(VAR_DIR)
DEBUG = os.environ.get("HEADWAY_DEBUG", "0") == "1"
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("HEADWAY_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("HEADWAY_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
HEADWAY_BASE_URL = os.environ.get("HEADWAY_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "ninja",
    "headway.core",
    "headway.accounts",
    "headway.workspaces",
    "headway.portfolio",
    "headway.customers",
    "headway.strategy",
    "headway.backlog",
    "headway.ideas",
    "headway.insights",
    "headway.prioritization",
    "headway.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "headway.core.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "headway.workspaces.middleware.CurrentWorkspaceMiddleware",
    "headway.core.middleware.HeadwayErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "headway" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "headway.core.context_processors.navigation",
            ],
            "builtins": [
                "django.templatetags.static",
                "django.contrib.humanize.templatetags.humanize",
                "headway.core.templatetags.headway",
            ],
        },
    }
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "headway.sqlite3"),
            # Opening SQLite and running the PRAGMAs below was a quarter of a short request.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # WAL lets readers run while one writer writes; IMMEDIATE avoids the
                # "database is locked" upgrade deadlock between concurrent writers.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=20000; PRAGMA cache_size=-64000; PRAGMA mmap_size=268435456;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sessions and caches live in the database so any number of server processes share them.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "headway_cache",
    }
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["headway.accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
HEADWAY_PASSWORD_RESET_MAX_REQUESTS = int(os.environ.get("HEADWAY_PASSWORD_RESET_MAX_REQUESTS", "5"))
HEADWAY_PASSWORD_RESET_WINDOW_SECONDS = int(os.environ.get("HEADWAY_PASSWORD_RESET_WINDOW_SECONDS", "3600"))

# Login lock-out: this many failures for one email (or one address) inside the window locks it.
HEADWAY_LOGIN_MAX_FAILURES = int(os.environ.get("HEADWAY_LOGIN_MAX_FAILURES", "5"))
HEADWAY_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("HEADWAY_LOGIN_LOCKOUT_SECONDS", "900"))
HEADWAY_INVITATION_DAYS = 7
# How many reverse proxies in front of Headway append to X-Forwarded-For; 0 trusts only REMOTE_ADDR.
# Rate limits key on the client address, so behind a proxy this must be set or everyone shares one.
HEADWAY_PROXY_COUNT = int(os.environ.get("HEADWAY_PROXY_COUNT", "0"))

# --- mail -----------------------------------------------------------------------------------
# EMAIL_URL=smtp://user:pass@host:port (smtp+tls:// for STARTTLS, smtps:// for implicit TLS);
# without it, mail is printed to the console so nothing is silently lost in embedded mode.
EMAIL_URL = os.environ.get("EMAIL_URL", "")
DEFAULT_FROM_EMAIL = os.environ.get("HEADWAY_FROM_EMAIL", "Headway <headway@localhost>")
if EMAIL_URL:
    from urllib.parse import unquote, urlparse

    _mail = urlparse(EMAIL_URL)
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _mail.hostname or "localhost",
                "port": _mail.port or (465 if _mail.scheme == "smtps" else 25),
                "username": unquote(_mail.username or ""),
                "password": unquote(_mail.password or ""),
                "use_tls": _mail.scheme == "smtp+tls",
                "use_ssl": _mail.scheme == "smtps",
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

# --- i18n / static --------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve straight from the finders so `headway serve` works without collectstatic in embedded mode.
WHITENOISE_USE_FINDERS = True

# --- request limits -------------------------------------------------------------------------
HEADWAY_MAX_BODY_BYTES = 1024 * 1024
# Anonymous readers of a portal's idea list share one rendering for this many seconds (0: off).
HEADWAY_PORTAL_ANONYMOUS_CACHE_SECONDS = int(os.environ.get("HEADWAY_PORTAL_ANONYMOUS_CACHE_SECONDS", "10"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # CSV uploads; API bodies are capped at 1 MB by middleware
HEADWAY_MAX_IMPORT_BYTES = 5 * 1024 * 1024
HEADWAY_MAX_IMPORT_ROWS = int(os.environ.get("HEADWAY_MAX_IMPORT_ROWS", "10000"))

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HEADWAY_LOG_LEVEL", "WARNING")},
}
