"""Flood limits: counted per bucket and key inside a sliding window, with the wait in the message."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from headway.core.errors import RateLimited
from headway.ideas import ratelimit
from headway.ideas.models import RateEvent


def age(minutes: int) -> None:
    """Make every recorded event ``minutes`` older."""
    for event in RateEvent.objects.all():
        RateEvent.objects.filter(pk=event.pk).update(created_at=event.created_at - dt.timedelta(minutes=minutes))


@pytest.mark.django_db
def test_the_limit_counts_within_the_window_and_names_the_wait():
    ratelimit.rate_limit(bucket=ratelimit.IDEA_PERSON, key=7, limit=2, window_seconds=3600)
    age(45)
    ratelimit.rate_limit(bucket=ratelimit.IDEA_PERSON, key=7, limit=2, window_seconds=3600)
    with pytest.raises(RateLimited) as exc:
        ratelimit.rate_limit(bucket=ratelimit.IDEA_PERSON, key=7, limit=2, window_seconds=3600)
    # The oldest of the two leaves the window in 15 minutes.
    assert exc.value.message == "Too many ideas from you in the last hour; try again in 15 minutes."
    assert RateEvent.objects.count() == 2  # the refused attempt is not counted


@pytest.mark.django_db
def test_events_older_than_the_window_no_longer_count_and_are_cleared():
    for _ in range(2):
        ratelimit.rate_limit(bucket=ratelimit.COMMENT_PERSON, key="9", limit=2, window_seconds=600)
    age(11)
    ratelimit.rate_limit(bucket=ratelimit.COMMENT_PERSON, key="9", limit=2, window_seconds=600)
    assert RateEvent.objects.count() == 1
    assert RateEvent.objects.get().created_at > timezone.now() - dt.timedelta(minutes=1)


@pytest.mark.django_db
def test_buckets_and_keys_are_counted_apart_and_a_missing_key_is_not_limited():
    ratelimit.rate_limit(bucket=ratelimit.IDEA_IP, key="10.0.0.1", limit=1, window_seconds=3600)
    ratelimit.rate_limit(bucket=ratelimit.IDEA_IP, key="10.0.0.2", limit=1, window_seconds=3600)
    ratelimit.rate_limit(bucket=ratelimit.SIGNUP_IP, key="10.0.0.1", limit=1, window_seconds=3600)
    for _ in range(3):
        ratelimit.rate_limit(bucket=ratelimit.IDEA_IP, key=None, limit=1, window_seconds=3600)
    with pytest.raises(RateLimited, match=r"^Too many ideas from your network in the last 2 hours; try again in"):
        ratelimit.rate_limit(bucket=ratelimit.IDEA_IP, key="10.0.0.1", limit=1, window_seconds=7200)
    assert RateEvent.objects.count() == 3


@pytest.mark.django_db
def test_limits_and_window_come_from_settings_with_defaults(settings):
    assert [ratelimit.limit_for(b) for b in ("idea_person", "idea_ip", "signup_ip", "comment_person")] == [
        10,
        30,
        10,
        30,
    ]
    assert ratelimit.window_seconds() == 3600
    settings.HEADWAY_IDEAS_PER_PERSON_PER_HOUR = 3
    settings.HEADWAY_PORTAL_RATE_WINDOW_SECONDS = 900
    assert (ratelimit.limit_for("idea_person"), ratelimit.window_seconds()) == (3, 900)
    for _ in range(3):
        ratelimit.check(ratelimit.IDEA_PERSON, 1)
    with pytest.raises(RateLimited) as exc:
        ratelimit.check(ratelimit.IDEA_PERSON, 1)
    assert exc.value.message == "Too many ideas from you in the last 15 minutes; try again in 15 minutes."
