"""Forwarded and direct emails as notes: who said it, what was said, and clear errors for bad messages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from headway.core.errors import NotFound, PermissionDenied, ValidationFailed
from headway.customers.tests.factories import CompanyFactory, ContactFactory
from headway.insights.importing.email import html_to_text, strip_subject
from headway.insights.models import FeedbackNote, Kind, Source
from headway.insights.services.notes import note_from_email

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


def eml(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_direct_email_from_a_customer(workspace, contributor):
    acme = CompanyFactory(workspace=workspace, domain="acme.example")
    jane = ContactFactory(company=acme, workspace=workspace, email="jane@acme.example", name="Jane D.")
    note = note_from_email(actor=contributor, workspace=workspace, raw=eml("customer.eml"))
    note.refresh_from_db()
    assert note.source == Source.EMAIL
    assert note.channel == "Email"
    assert note.external_ref == "CAF1234@mail.acme.example"
    assert note.title == "Export is too slow"
    assert note.text == "Exporting our 5,000 ideas to CSV takes over a minute.\nCould you make it faster?\n\nJane"
    assert (note.customer_name, note.customer_email) == ("Jane Doe", "jane@acme.example")
    assert (note.company, note.contact) == (acme, jane)
    assert note.author == contributor
    assert note.received_at == dt.datetime(2024, 5, 14, 7, 15, tzinfo=dt.UTC)
    assert note.kind in Kind.values


def test_same_message_twice_is_one_note(workspace, contributor):
    first = note_from_email(actor=contributor, workspace=workspace, raw=eml("customer.eml"))
    second = note_from_email(actor=contributor, workspace=workspace, raw=eml("customer.eml"))
    assert first.pk == second.pk
    assert (first.was_created, second.was_created) == (True, False)
    assert FeedbackNote.objects.count() == 1


def test_member_forwarding_a_customer_message(workspace, contributor, pm):
    acme = CompanyFactory(workspace=workspace, domain="acme.example")
    note = note_from_email(actor=contributor, workspace=workspace, raw=eml("forwarded.eml"))
    assert note.author == pm  # the member who forwarded it (pm@example.com)
    assert (note.customer_name, note.customer_email) == ("Bob Buyer", "bob@acme.example")
    assert (note.company, note.contact) == (acme, None)
    assert note.title == "Missing SSO"
    assert note.text == ("We cannot roll Headway out to 400 people without SAML single sign-on.\nIs it on the roadmap?")
    assert note.extra["forwarded_with"] == "From the call with Acme today, they really need this."


def test_outlook_forward_with_quoted_text(workspace, pm, contributor):
    note = note_from_email(actor=pm, workspace=workspace, raw=eml("outlook-forward.eml"))
    assert note.author == contributor
    assert (note.customer_name, note.customer_email) == ("Lee Customer", "lee@customer.example")
    assert note.text == "The weekly report misses the roadmap changes."
    assert note.title == "Reports"


def test_forward_from_a_non_member_keeps_the_sender_as_customer(workspace, contributor):
    raw = eml("forwarded.eml").replace(
        b"Pat PM <pm@example.com>\nTo: feedback", b"Out Sider <x@else.example>\nTo: feedback"
    )
    note = note_from_email(actor=contributor, workspace=workspace, raw=raw)
    assert note.customer_email == "x@else.example"
    assert note.author == contributor
    assert "---------- Forwarded message ---------" in note.text


def test_html_only_email_in_latin1_drops_script_and_style(workspace, contributor):
    note = note_from_email(actor=contributor, workspace=workspace, raw=eml("html-only.eml"))
    assert note.title == "Café menu request"
    assert note.text == "Café owners need a menu view.\n\nThanks & regards"
    assert "alert" not in note.text and "cookie" not in note.text and "color" not in note.text


def test_multipart_prefers_plain_text_with_its_charset(workspace, contributor):
    note = note_from_email(actor=contributor, workspace=workspace, raw=eml("multipart.eml"))
    assert note.text == "Grüße! A dashboard per team would help."


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "message: The message is empty."),
        (
            b"just some words, no headers at all\n\nreally",
            "message: This is not an email message: it has no headers (From, To, Subject, …) before the body. "
            "Send the whole message as saved by the mail program (an .eml file).",
        ),
        (eml("no-from.eml"), "message: The message has no sender: the From header is missing or holds no address."),
        (eml("no-body.eml"), "message: The message has no text: its body (plain text or HTML) is empty."),
        (b"From: a@b.example\n\n" + b"x" * (10 * 1024 * 1024), "message: The message is 10.0 MB; the limit is 10 MB."),
        (b"\xff\xfe\x00garbage\x00\x01", None),
    ],
)
def test_malformed_messages_are_refused_with_the_reason(workspace, contributor, raw, message):
    with pytest.raises(ValidationFailed) as exc:
        note_from_email(actor=contributor, workspace=workspace, raw=raw)
    if message is not None:
        assert exc.value.message == message
    assert list(exc.value.fields) == ["message"]
    assert FeedbackNote.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"From: =?utf-8?q?=FF=FE?= <a@b.example>\nSubject: =?bad?x?zz?=\n\nhi",
        b"From: a@b.example\nContent-Type: text/plain; charset=unknown-8bit\n\n\xff\xfe hi",
        b"From: a@b.example\nDate: Mon, 1 Jan 9999 23:59:59 -1200\n\nhi",
        b"From: a@b.example\nMessage-ID: <" + b"x" * 1000 + b">\n\nhi",
    ],
)
def test_odd_but_readable_messages_are_stored(workspace, contributor, raw):
    note = note_from_email(actor=contributor, workspace=workspace, raw=raw)
    note.refresh_from_db()
    assert note.text.endswith("hi")
    assert note.customer_email == "a@b.example"
    assert 2000 < note.received_at.year < 2200


def test_permissions(workspace, viewer, outsider):
    with pytest.raises(PermissionDenied):
        note_from_email(actor=viewer, workspace=workspace, raw=eml("customer.eml"))
    with pytest.raises(NotFound):
        note_from_email(actor=outsider, workspace=workspace, raw=eml("customer.eml"))
    assert FeedbackNote.objects.count() == 0


def test_helpers():
    assert strip_subject("Re: Fwd: FW: RE: Hello") == "Hello"
    assert strip_subject("Fwd:Re:  Pricing") == "Pricing"
    assert strip_subject("Regarding pricing") == "Regarding pricing"
    assert html_to_text("<p>a<br>b</p><style>x{}</style><script>bad()</script>&lt;tag&gt;") == "a\nb\n<tag>"


def test_cli_ingest_email(workspace, admin, capsys):
    from headway.cli import main

    assert main(["ingest", "email", str(DATA / "customer.eml"), "--workspace", "acme"]) == 0
    out = capsys.readouterr().out
    note = FeedbackNote.objects.get()
    assert out.startswith(f"Added note #{note.pk} in workspace acme: “Export is too slow” from jane@acme.example")
    assert note.author == admin
    assert main(["ingest", "email", str(DATA / "no-body.eml"), "--workspace", "acme"]) == 1
    assert "The message has no text" in capsys.readouterr().err
    assert FeedbackNote.objects.count() == 1
