"""Background tasks shared by every app."""

from django.core.mail import send_mail
from django.tasks import task


@task()
def send_email(*, to: list[str], subject: str, body: str) -> int:
    """Mail goes out from the worker so a slow mail server never slows a page."""
    return send_mail(subject, body, None, to)


def email_after_commit(*, to: list[str], subject: str, body: str) -> None:
    """Queue a mail once the surrounding transaction has committed (never for a rolled-back change)."""
    from django.db import transaction

    transaction.on_commit(lambda: send_email.enqueue(to=to, subject=subject, body=body))
