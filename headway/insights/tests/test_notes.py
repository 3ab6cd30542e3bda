"""Typing in a note, the API's upsert, customer matching, classification on the way in, portal ideas as notes."""

from __future__ import annotations

import datetime as dt

import pytest

from headway.core.errors import NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.customers.tests.factories import CompanyFactory, ContactFactory
from headway.ideas import services as idea_services
from headway.ideas.tests import factories as ideas
from headway.insights.models import MAX_NOTE_CHARS, FeedbackNote, InsightJob, Kind, NoteState, Sentiment, Source
from headway.insights.services.jobs import JobProgress
from headway.insights.services.notes import customer_match, note_create, note_sync_idea, notes_from_portal
from headway.portfolio.tests.factories import ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db


def test_note_create_stores_classifies_and_audits(workspace, contributor):
    note = note_create(
        actor=contributor,
        workspace=workspace,
        text="The app crashes every time I open the export screen.",
        title="Crash on export",
        rating=1,
        url="https://support.example.com/t/1",
    )
    note.refresh_from_db()
    assert note.source == Source.MANUAL
    assert note.channel == "Typed in"
    assert note.author == contributor
    assert note.state == NoteState.NEW
    assert note.kind in Kind.values
    assert note.sentiment in Sentiment.values
    assert -1 <= note.sentiment_score <= 1
    assert 0 <= note.kind_confidence <= 1
    assert note.model_version != ""
    assert note.received_at is not None
    assert note.was_created is True
    events = list(AuditEvent.objects.filter(target_type="insights.feedbacknote", target_id=note.pk))
    assert [e.action for e in events] == ["note.create"]


def test_note_create_upserts_on_channel_and_reference(workspace, contributor):
    first = note_create(actor=contributor, workspace=workspace, text="Slow sync", channel="Zendesk", external_ref="T-1")
    second = note_create(
        actor=contributor, workspace=workspace, text="Slow sync on Android", channel="Zendesk", external_ref="T-1"
    )
    assert second.pk == first.pk
    assert second.was_created is False
    assert FeedbackNote.objects.filter(workspace=workspace).count() == 1
    assert FeedbackNote.objects.get().text == "Slow sync on Android"
    other = note_create(
        actor=contributor, workspace=workspace, text="Slow sync", channel="Intercom", external_ref="T-1"
    )
    assert other.pk != first.pk
    assert FeedbackNote.objects.filter(workspace=workspace).count() == 2


def test_validation(workspace, contributor):
    with pytest.raises(ValidationFailed) as exc:
        note_create(actor=contributor, workspace=workspace, text="   \n ")
    assert list(exc.value.fields) == ["text"]
    with pytest.raises(ValidationFailed) as exc:
        note_create(actor=contributor, workspace=workspace, text="x" * (MAX_NOTE_CHARS + 1))
    assert exc.value.fields == {"text": [f"The text is {MAX_NOTE_CHARS + 1:,} characters long; the limit is 100,000."]}
    with pytest.raises(ValidationFailed) as exc:
        note_create(actor=contributor, workspace=workspace, text="ok", rating=6)
    assert list(exc.value.fields) == ["rating"]
    with pytest.raises(ValidationFailed) as exc:
        note_create(actor=contributor, workspace=workspace, text="ok", url="javascript:alert(1)")
    assert list(exc.value.fields) == ["url"]
    assert FeedbackNote.objects.count() == 0
    note = note_create(actor=contributor, workspace=workspace, text="nul\x00 removed")
    assert FeedbackNote.objects.get(pk=note.pk).text == "nul removed"


def test_received_at_kept(workspace, contributor):
    when = dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC)
    note = note_create(actor=contributor, workspace=workspace, text="From a call", received_at=when)
    assert FeedbackNote.objects.get(pk=note.pk).received_at == when


def test_customer_match(workspace, other_workspace):
    acme = CompanyFactory(workspace=workspace, name="Acme Corp", domain="acme.example")
    jane = ContactFactory(company=acme, workspace=workspace, email="Jane@Acme.example", name="Jane")
    CompanyFactory(workspace=other_workspace, domain="globex.example")
    assert customer_match(workspace_id=workspace.pk, email="jane@ACME.example") == (acme, jane)
    assert customer_match(workspace_id=workspace.pk, email="bob@acme.example") == (acme, None)
    assert customer_match(workspace_id=workspace.pk, email="bob@globex.example") == (None, None)
    assert customer_match(workspace_id=workspace.pk, email="not an email") == (None, None)
    assert customer_match(workspace_id=workspace.pk, email="") == (None, None)


def test_note_create_matches_customer(workspace, contributor):
    acme = CompanyFactory(workspace=workspace, domain="acme.example")
    jane = ContactFactory(company=acme, workspace=workspace, email="jane@acme.example", name="Jane Doe")
    note = note_create(actor=contributor, workspace=workspace, text="Need SSO", customer_email="JANE@acme.example")
    assert (note.company, note.contact, note.customer_name) == (acme, jane, "Jane Doe")
    note = note_create(actor=contributor, workspace=workspace, text="Need SAML", customer_email="bob@acme.example")
    assert (note.company, note.contact) == (acme, None)


def test_product_must_be_of_the_workspace(workspace, other_workspace, contributor):
    mine = ProductFactory(product_line=ProductLineFactory(workspace=workspace))
    theirs = ProductFactory(product_line=ProductLineFactory(workspace=other_workspace))
    assert note_create(actor=contributor, workspace=workspace, text="a", product=mine).product == mine
    with pytest.raises(ValidationFailed):
        note_create(actor=contributor, workspace=workspace, text="b", product=theirs)
    with pytest.raises(ValidationFailed):
        note_create(actor=contributor, workspace=workspace, text="b", product=theirs.pk)
    assert FeedbackNote.objects.count() == 1


def test_permissions(workspace, viewer, outsider):
    with pytest.raises(PermissionDenied):
        note_create(actor=viewer, workspace=workspace, text="I may not")
    with pytest.raises(NotFound):
        note_create(actor=outsider, workspace=workspace, text="Nor I")
    assert FeedbackNote.objects.count() == 0
    assert AuditEvent.objects.filter(action="note.create").count() == 0


def test_portal_user_cannot_add_notes(workspace, leader):
    portal = ideas.portal(leader, workspace)
    customer = ideas.portal_user(portal)
    with pytest.raises(NotFound):
        note_create(actor=customer, workspace=workspace, text="Let me in")
    assert FeedbackNote.objects.count() == 0


# --- portal ideas ----------------------------------------------------------------------------------


def test_notes_from_portal_mirrors_every_idea_once(workspace, leader):
    portal = ideas.portal(leader, workspace, name="Customer ideas")
    acme = CompanyFactory(workspace=workspace, domain="acme.example")
    jane = ContactFactory(company=acme, workspace=workspace, email="jane@acme.example", name="Jane")
    customer = ideas.portal_user(portal, email="jane@acme.example", contact=jane)
    one = ideas.idea(customer, portal, title="Dark mode please", description="My eyes hurt at night.")
    two = ideas.idea(leader, portal, title="Export to PDF")
    gone = ideas.idea(leader, portal, title="Deleted idea")
    gone.deleted_at = gone.created_at
    gone.save(update_fields=["deleted_at"])
    FeedbackNote.objects.all().delete()  # the submission hook ran on commit in some setups; start clean

    progress = JobProgress(InsightJob.objects.create(workspace=workspace, kind=InsightJob.Kind.PORTAL_SYNC))
    assert notes_from_portal(workspace=workspace, progress=progress) == 2
    assert (progress.row.total, progress.row.done) == (2, 2)
    notes = {n.idea_id: n for n in FeedbackNote.objects.filter(workspace=workspace)}
    assert set(notes) == {one.pk, two.pk}
    note = notes[one.pk]
    assert (note.source, note.channel, note.external_ref) == (Source.PORTAL, "Customer ideas", f"idea-{one.pk}")
    assert (note.title, note.text) == ("Dark mode please", "My eyes hurt at night.")
    assert (note.company, note.contact, note.customer_name) == (acme, jane, "Jane")
    assert note.received_at == one.created_at
    assert note.kind in Kind.values
    assert notes[two.pk].text == "Export to PDF"
    # Idempotent.
    assert notes_from_portal(workspace=workspace, progress=progress) == 2
    assert FeedbackNote.objects.filter(workspace=workspace).count() == 2


def test_idea_hook_creates_updates_and_archives_the_note(workspace, leader, django_capture_on_commit_callbacks):
    portal = ideas.portal(leader, workspace, name="Ideas")
    with django_capture_on_commit_callbacks(execute=True):
        idea = ideas.idea(leader, portal, title="Slack integration", description="Post updates to Slack.")
    note = FeedbackNote.objects.get(idea=idea)
    assert (note.text, note.source, note.channel) == ("Post updates to Slack.", Source.PORTAL, "Ideas")
    with django_capture_on_commit_callbacks(execute=True):
        idea_services.idea_update(actor=leader, idea=idea, description="Post updates to Slack and Teams.")
    note.refresh_from_db()
    assert note.text == "Post updates to Slack and Teams."
    with django_capture_on_commit_callbacks(execute=True):
        idea_services.idea_delete(actor=leader, idea=idea)
    note.refresh_from_db()
    assert note.state == NoteState.ARCHIVED
    assert FeedbackNote.objects.filter(idea=idea).count() == 1


def test_note_sync_idea_for_missing_idea(db):
    assert note_sync_idea(idea_id=999_999) is None


def test_text_a_database_cannot_store_is_made_storable(workspace, contributor):
    note = note_create(actor=contributor, workspace=workspace, text="half \ud800 a pair", title="t\udcff")
    note.refresh_from_db()
    assert (note.text, note.title) == ("half \ufffd a pair", "t\ufffd")
