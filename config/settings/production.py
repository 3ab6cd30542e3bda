"""Settings for a real deployment: refuse to run on development defaults."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

if len(os.environ.get("HEADWAY_SECRET_KEY", "")) < 40:
    # Production may run on several machines, which must share one key: no per-machine key file.
    raise ImproperlyConfigured("Set HEADWAY_SECRET_KEY to a random string of at least 40 characters.")

DEBUG = False
SESSION_COOKIE_SECURE = os.environ.get("HEADWAY_INSECURE_COOKIES", "0") != "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
