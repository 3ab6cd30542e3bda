"""Reading a raw email (RFC 822) into what a feedback note needs: who sent it, who said it first when
a teammate forwarded it, the subject, the plain text (HTML turned into text, scripts and styles
dropped), the Message-ID and the date. No database: ``services.notes.note_from_email`` files it."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from django.utils import timezone

from headway.core.errors import ValidationFailed

MAX_EMAIL_BYTES = 10 * 1024 * 1024


class _HtmlText(HTMLParser):
    """HTML to plain text: tags dropped, script/style content dropped (never rendered), blocks on new lines."""

    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "hr"}
    _HIDDEN = {"script", "style", "head", "title", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._HIDDEN:
            self.hidden += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_SUBJECT_PREFIX = re.compile(r"^\s*((fwd?|re|aw|wg|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_FORWARD_MARKERS = re.compile(
    r"^[ >]*(-{2,}\s*Forwarded message\s*-{2,}|Begin forwarded message:|-{2,}\s*Original Message\s*-{2,})\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_LINE = re.compile(r"^[ >]*([A-Za-z][A-Za-z -]{0,20}):\s*(.*)$")


_SURROGATES = re.compile("[\ud800-\udfff]")


def plain_text(value: Any) -> str:
    """Text a database can store: undecodable header bytes (kept by the parser as surrogates) become
    the replacement character instead of failing the save."""
    text = str(value or "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATES.sub("\ufffd", text)
    return text.replace("\x00", "")


def strip_subject(subject: str) -> str:
    return _SUBJECT_PREFIX.sub("", subject or "").strip()


@dataclass
class ParsedEmail:
    sender_name: str
    sender_email: str
    title: str
    text: str
    message_id: str
    received_at: dt.datetime | None
    forward_comment: str = ""
    original_name: str = ""
    original_email: str = ""


def _part_text(part: Any) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError, ValueError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        return html_to_text(content)
    return content.replace("\r\n", "\n")


def body_text(msg: Any) -> str:
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is None:
        if msg.get_content_maintype() == "text" or not msg.is_multipart():
            body = msg
        else:
            return ""
    return _part_text(body)


def _split_forward(body: str) -> tuple[str, dict[str, str], str] | None:
    """(comment above the forwarded block, its header lines, its text) when the body forwards a message."""
    marker = _FORWARD_MARKERS.search(body)
    if marker is None:
        return None
    comment = body[: marker.start()].strip()
    lines = body[marker.end() :].lstrip("\n").split("\n")
    headers: dict[str, str] = {}
    index = 0
    for index, line in enumerate(lines):  # noqa: B007 (index is read after the loop)
        if not line.strip(" >"):
            if headers:
                break
            continue
        match = _HEADER_LINE.match(line)
        if match is None:
            break
        headers.setdefault(match.group(1).strip().lower(), match.group(2).strip())
    else:
        index = len(lines)
    text = "\n".join(line[1:].lstrip() if line.startswith(">") else line for line in lines[index:]).strip()
    return comment, headers, text


def parse_email(raw: bytes) -> ParsedEmail:
    """Read a raw RFC 822 message, or ValidationFailed saying exactly what is wrong with it."""
    if not isinstance(raw, bytes | bytearray):
        raise ValidationFailed.on("message", "Send the raw email message (RFC 822 bytes).")
    if len(raw) > MAX_EMAIL_BYTES:
        raise ValidationFailed.on(
            "message",
            f"The message is {len(raw) / 1024 / 1024:.1f} MB; the limit is {MAX_EMAIL_BYTES // 1024 // 1024} MB.",
        )
    if not raw.strip():
        raise ValidationFailed.on("message", "The message is empty.")
    try:
        msg = email.message_from_bytes(bytes(raw), policy=email.policy.default)
        keys = [k.lower() for k in msg]  # header names
        if not keys or not any(k in keys for k in ("from", "subject", "date", "message-id", "to")):
            raise ValidationFailed.on(
                "message",
                "This is not an email message: it has no headers (From, To, Subject, …) before the body. "
                "Send the whole message as saved by the mail program (an .eml file).",
            )
        from_header = msg["From"]
        addresses = list(getattr(from_header, "addresses", ()) or ()) if from_header is not None else []
        if not addresses or not addresses[0].addr_spec or "@" not in addresses[0].addr_spec:
            raise ValidationFailed.on(
                "message", "The message has no sender: the From header is missing or holds no address."
            )
        sender = addresses[0]
        subject = plain_text(msg["Subject"])
        message_id = plain_text(msg["Message-ID"]).strip().strip("<>").strip()[:255]
        received_at = None
        date_header = msg["Date"]
        if date_header is not None:
            received_at = getattr(date_header, "datetime", None)
            if received_at is not None and not 1900 <= received_at.year <= 2200:
                received_at = None  # a date no mail program wrote; the time it arrived will do
            if received_at is not None and timezone.is_naive(received_at):
                received_at = timezone.make_aware(received_at, dt.UTC)
        body = body_text(msg)
    except ValidationFailed:
        raise
    except Exception as exc:  # the stdlib parser can trip on hostile input; say so instead of a 500
        raise ValidationFailed.on(
            "message", f"The message could not be read as an email ({type(exc).__name__})."
        ) from exc
    body = plain_text(body).strip()
    if not body:
        raise ValidationFailed.on("message", "The message has no text: its body (plain text or HTML) is empty.")
    parsed = ParsedEmail(
        sender_name=plain_text(sender.display_name),
        sender_email=plain_text(sender.addr_spec),
        title=strip_subject(subject)[:300],
        text=body,
        message_id=message_id,
        received_at=received_at,
    )
    forward = _split_forward(body)
    if forward is not None:
        comment, headers, text = forward
        name, address = email.utils.parseaddr(headers.get("from", ""))
        if address and "@" in address and text:
            parsed.forward_comment = comment
            parsed.original_name = name or ""
            parsed.original_email = address
            parsed.text = text
            if headers.get("subject"):
                parsed.title = strip_subject(headers["subject"])[:300]
    return parsed
