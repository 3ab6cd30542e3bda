"""A real SMTP server (aiosmtpd) on a free loopback port, and settings that send mail to it."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One message as the SMTP server saw it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None, "the message has no text/plain part"
        return part.get_content().replace("\r\n", "\n")  # SMTP carries CRLF line ends


@dataclass
class Inbox:
    """What the server received, in order. ``wait(n)`` blocks until n messages arrived."""

    messages: list[Received] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd handler hook
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
        return list(self.messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """``(inbox, port)``: a running SMTP server that keeps every message it receives."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def mail_config(conf) -> dict:
    """The default mailer's settings, whether they come from Django 6.1's ``MAILERS`` or from the
    older ``EMAIL_*`` settings: ``{"backend", "host", "port", "username", "password", "use_tls", "use_ssl"}``."""
    get = conf.get if isinstance(conf, dict) else lambda name, default=None: getattr(conf, name, default)
    mailers = get("MAILERS")
    if mailers is not None:
        default = mailers["default"]
        options = default.get("OPTIONS", {})
        return {
            "backend": default.get("BACKEND", SMTP_BACKEND),
            **{k: options.get(k) for k in ("host", "port", "username", "password", "use_tls", "use_ssl")},
        }
    return {
        "backend": get("EMAIL_BACKEND"),
        "host": get("EMAIL_HOST"),
        "port": get("EMAIL_PORT"),
        "username": get("EMAIL_HOST_USER"),
        "password": get("EMAIL_HOST_PASSWORD"),
        "use_tls": get("EMAIL_USE_TLS"),
        "use_ssl": get("EMAIL_USE_SSL"),
    }


def send_to(settings, port: int) -> None:
    """Point Django's default mailer at the SMTP server on ``127.0.0.1:port``."""
    if hasattr(settings, "MAILERS"):
        settings.MAILERS = {
            "default": {"BACKEND": SMTP_BACKEND, "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5}}
        }
        return
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp_mail(settings, smtp_server):
    """Django sends through its real SMTP backend to ``smtp_server``; returns the inbox."""
    inbox, port = smtp_server
    send_to(settings, port)
    return inbox
