"""Mail leaves through Django's real SMTP backend and arrives, exactly as written, at an SMTP server."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from headway.workspaces.models import Invitation
from tests.mail.conftest import SMTP_BACKEND, mail_config

# Django 6.1 deprecates EMAIL_* in favour of MAILERS; the settings still use EMAIL_* (told to the lead).
pytestmark = pytest.mark.filterwarnings(r"ignore:The EMAIL_\w+ setting is deprecated")

URL = re.compile(r"https?://\S+")
BASE_SETTINGS = Path(__file__).resolve().parents[2] / "config" / "settings" / "base.py"


def test_invitation_mail_is_delivered_over_smtp(
    smtp_mail, admin, workspace, settings, django_capture_on_commit_callbacks
):
    from headway.workspaces.services import invitation_create

    settings.HEADWAY_BASE_URL = "https://headway.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        invitation, raw = invitation_create(actor=admin, workspace=workspace, email="New.Person@Example.com", role="pm")

    [received] = smtp_mail.wait(1)
    link = "https://headway.example.com" + reverse("invitation_accept", kwargs={"token": raw})
    assert received.rcpt_tos == ["new.person@example.com"]
    assert received.mail_from == "headway@localhost"
    assert received.message["To"] == "new.person@example.com"
    assert received.message["From"] == settings.DEFAULT_FROM_EMAIL
    assert received.message["Subject"] == "Ada Admin invited you to Acme Product on Headway"
    assert URL.findall(received.body) == [link]
    assert "on Headway as Product manager." in received.body
    assert Invitation.objects.get(pk=invitation.pk).email == "new.person@example.com"


def test_no_mail_when_the_invitation_is_rolled_back(smtp_mail, admin, workspace, django_capture_on_commit_callbacks):
    from headway.core.errors import Conflict
    from headway.workspaces.services import invitation_create

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict):
        invitation_create(actor=admin, workspace=workspace, email=admin.email, role="viewer")  # already a member
    assert smtp_mail.wait(1, timeout=0.5) == []


def test_password_reset_mail_is_delivered_and_its_link_works(
    smtp_mail, client, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "ADMIN@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")

    [received] = smtp_mail.wait(1)
    assert received.rcpt_tos == ["admin@example.com"]
    assert received.message["Subject"] == "Reset your Headway password"
    [link] = URL.findall(received.body)
    uid = urlsafe_base64_encode(force_bytes(admin.pk))
    match = re.fullmatch(rf"http://testserver/accounts/password/reset/{uid}/(?P<token>[^/]+)/", link)
    assert match, link
    assert default_token_generator.check_token(admin, match["token"])

    # The link opens the "choose a new password" form (Django swaps the token into the session first).
    landing = client.get(link.removeprefix("http://testserver"), follow=True)
    assert landing.status_code == 200
    assert landing.context["validlink"] is True


def test_password_reset_for_an_unknown_email_sends_nothing(smtp_mail, client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302  # same answer as for a known email: accounts are not revealed
    assert smtp_mail.wait(1, timeout=0.5) == []


def _settings_with(monkeypatch, **env) -> dict:
    """Evaluate config/settings/base.py afresh under the given environment."""
    monkeypatch.delenv("EMAIL_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(BASE_SETTINGS))


def test_email_url_smtp_with_credentials(monkeypatch):
    conf = _settings_with(monkeypatch, EMAIL_URL="smtp+tls://mailer%40example.com:p%40ss%3Aword@mail.example.com:587")
    assert mail_config(conf) == {
        "backend": SMTP_BACKEND,
        "host": "mail.example.com",
        "port": 587,
        "username": "mailer@example.com",
        "password": "p@ss:word",
        "use_tls": True,
        "use_ssl": False,
    }


def test_email_url_implicit_tls_and_plain(monkeypatch):
    conf = mail_config(_settings_with(monkeypatch, EMAIL_URL="smtps://relay.example.com:465"))
    assert (conf["host"], conf["port"], conf["use_tls"], conf["use_ssl"]) == ("relay.example.com", 465, False, True)
    conf = mail_config(_settings_with(monkeypatch, EMAIL_URL="smtp://localhost:2525"))
    assert conf == {
        "backend": SMTP_BACKEND,
        "host": "localhost",
        "port": 2525,
        "username": "",
        "password": "",
        "use_tls": False,
        "use_ssl": False,
    }


def test_without_email_url_mail_goes_to_the_console(monkeypatch):
    assert mail_config(_settings_with(monkeypatch))["backend"] == "django.core.mail.backends.console.EmailBackend"


def test_email_url_delivers_for_real(monkeypatch, smtp_server, settings):
    """The mailer that EMAIL_URL configures reaches a real server."""
    from django.core.mail import send_mail

    inbox, port = smtp_server
    conf = _settings_with(monkeypatch, EMAIL_URL=f"smtp://127.0.0.1:{port}")
    for name in ("MAILERS", "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD",
                 "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT"):  # fmt: skip
        if name in conf:
            setattr(settings, name, conf[name])
    assert send_mail("Hello", "Body line\n", None, ["someone@example.com"]) == 1
    [received] = inbox.wait(1)
    assert (received.rcpt_tos, received.message["Subject"], received.body) == (
        ["someone@example.com"], "Hello", "Body line\n",
    )  # fmt: skip
