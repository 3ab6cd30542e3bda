"""Background tasks of the ideas portal: the notification emails and the daily digest."""

from __future__ import annotations

from django.tasks import task


@task()
def send_notification_email(*, notification_id: int) -> str:
    """Email one notification over SMTP (queued after the change committed); returns its email status.
    An SMTP error marks the notification FAILED and fails the task, so both record it."""
    from headway.ideas import notify

    return notify.email_send(notification_id)


@task()
def send_daily_digest() -> int:
    """Send the daily digests (``headway digest`` does the same from cron or a systemd timer)."""
    from headway.ideas import notify

    return notify.digest_send()
