"""Flood limits for the portal: ideas, comments and sign-ups per person and per address.

Each guarded action leaves a ``RateEvent`` (bucket, key); an action over the limit inside the
window is refused with ``RateLimited`` saying when to try again, and is not counted. The events
are written in the caller's transaction, so an action that fails for another reason is not
counted either. Limits are settings (``HEADWAY_…``) with the defaults below.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.utils import timezone

from headway.core.errors import RateLimited
from headway.ideas.models import RateEvent

IDEA_PERSON = "idea_person"
IDEA_IP = "idea_ip"
SIGNUP_IP = "signup_ip"
COMMENT_PERSON = "comment_person"
VERIFY_SEND = "verify_send"

# bucket → (setting with the limit, default limit, what the message says)
_LIMITS: dict[str, tuple[str, int, str]] = {
    IDEA_PERSON: ("HEADWAY_IDEAS_PER_PERSON_PER_HOUR", 10, "Too many ideas from you"),
    IDEA_IP: ("HEADWAY_IDEAS_PER_IP_PER_HOUR", 30, "Too many ideas from your network"),
    SIGNUP_IP: ("HEADWAY_SIGNUPS_PER_IP_PER_HOUR", 10, "Too many sign-ups from your network"),
    COMMENT_PERSON: ("HEADWAY_COMMENTS_PER_PERSON_PER_HOUR", 30, "Too many comments from you"),
    VERIFY_SEND: ("HEADWAY_VERIFICATION_EMAILS_PER_HOUR", 5, "Too many confirmation emails asked for"),
}
WINDOW_SETTING = "HEADWAY_PORTAL_RATE_WINDOW_SECONDS"
DEFAULT_WINDOW = 3600


def limit_for(bucket: str) -> int:
    setting, default, _ = _LIMITS[bucket]
    return int(getattr(settings, setting, default))


def window_seconds() -> int:
    return int(getattr(settings, WINDOW_SETTING, DEFAULT_WINDOW))


def _period(seconds: int) -> str:
    if seconds == 3600:
        return "the last hour"
    if seconds % 3600 == 0:
        return f"the last {seconds // 3600} hours"
    minutes = max(1, math.ceil(seconds / 60))
    return f"the last {minutes} minute{'s' if minutes != 1 else ''}"


def _wait(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def rate_limit(*, bucket: str, key: str | int | None, limit: int, window_seconds: int) -> None:
    """Count one action for (bucket, key); raise ``RateLimited`` (and count nothing) when ``limit``
    actions already happened inside the last ``window_seconds``. A missing key is not limited."""
    if key is None or key == "":
        return
    key = str(key)[:300]
    now = timezone.now()
    since = now - dt.timedelta(seconds=window_seconds)
    recent = RateEvent.objects.filter(bucket=bucket, key=key, created_at__gte=since)
    times = list(recent.order_by("-created_at").values_list("created_at", flat=True)[:limit])
    if limit <= 0 or len(times) >= limit:
        oldest = times[-1] if times else now
        wait = (oldest + dt.timedelta(seconds=window_seconds) - now).total_seconds()
        what = _LIMITS[bucket][2] if bucket in _LIMITS else "Too many attempts"
        raise RateLimited(f"{what} in {_period(window_seconds)}; try again in {_wait(wait)}.")
    # Old events decide nothing any more; keep the table small as we go.
    RateEvent.objects.filter(bucket=bucket, key=key, created_at__lt=since).delete()
    RateEvent.objects.create(bucket=bucket, key=key)


def check(bucket: str, key: str | int | None) -> None:
    """``rate_limit`` with the configured limit and window of ``bucket``."""
    rate_limit(bucket=bucket, key=key, limit=limit_for(bucket), window_seconds=window_seconds())
