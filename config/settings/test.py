"""Settings for the test suite: fast hashing, immediate tasks, mail to a local outbox."""

from .base import *  # noqa: F403
from .base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": ""}  # in-memory for speed
# Tests read the portal right after writing to it; test_portal_views.py turns the cache on for its own test.
HEADWAY_PORTAL_ANONYMOUS_CACHE_SECONDS = 0
