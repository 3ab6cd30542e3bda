"""Triage: states, snoozing, processing, assignment, bulk changes, corrections; who may do what."""

import datetime as dt

import pytest
from django.utils import timezone

from headway.backlog.tests import factories as backlog
from headway.core.errors import NotFound, PermissionDenied, ValidationFailed
from headway.core.models import AuditEvent
from headway.customers.tests.factories import CompanyFactory, ContactFactory
from headway.insights.models import FeedbackNote, NoteState
from headway.insights.selectors.notes import NoteFilters, inbox_counts, notes_for_inbox
from headway.insights.services.triage import note_assign, note_triage, note_update, notes_bulk_triage
from headway.insights.tests import factories as nf

pytestmark = pytest.mark.django_db


def fresh(note):
    return FeedbackNote.objects.get(pk=note.pk)


def triage_events(note):
    return list(
        AuditEvent.objects.filter(target_type="insights.feedbacknote", target_id=note.pk).values_list(
            "action", flat=True
        )
    )


def test_processing_records_who_and_when(pm, workspace):
    note = nf.note(workspace, "Export is slow")
    before = timezone.now()
    note_triage(actor=pm, note=note, state="processed")
    stored = fresh(note)
    assert stored.state == NoteState.PROCESSED
    assert stored.processed_by_id == pm.pk
    assert stored.processed_at >= before
    assert note.state == "processed" and note.processed_by == pm  # the caller's object follows
    assert triage_events(note) == ["feedback_note.triage"]
    event = AuditEvent.objects.get(target_id=note.pk, action="feedback_note.triage")
    assert event.changes["state"] == ["new", "processed"]


def test_back_to_new_clears_processing(pm, workspace):
    note = nf.note(workspace)
    note_triage(actor=pm, note=note, state="processed")
    note_triage(actor=pm, note=note, state="new")
    stored = fresh(note)
    assert (stored.state, stored.processed_at, stored.processed_by_id) == ("new", None, None)


def test_triage_to_the_same_state_records_nothing(pm, workspace):
    note = nf.note(workspace)
    note_triage(actor=pm, note=note, state="new")
    assert triage_events(note) == []


def test_snooze_needs_a_future_date(pm, workspace):
    note = nf.note(workspace)
    with pytest.raises(ValidationFailed) as exc:
        note_triage(actor=pm, note=note, state="snoozed")
    assert list(exc.value.fields) == ["snoozed_until"]
    with pytest.raises(ValidationFailed) as exc:
        note_triage(actor=pm, note=note, state="snoozed", snoozed_until=timezone.localdate())  # midnight today: past
    assert exc.value.fields == {"snoozed_until": ["Choose a date in the future."]}
    with pytest.raises(ValidationFailed):
        note_triage(actor=pm, note=note, state="snoozed", snoozed_until=timezone.now() - dt.timedelta(minutes=1))
    assert fresh(note).state == "new"
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    note_triage(actor=pm, note=note, state="snoozed", snoozed_until=tomorrow)
    stored = fresh(note)
    assert stored.state == "snoozed"
    assert timezone.localtime(stored.snoozed_until).date() == tomorrow
    assert timezone.localtime(stored.snoozed_until).time() == dt.time(0, 0)


def test_leaving_snooze_clears_the_date(pm, workspace):
    note = nf.note(workspace)
    note_triage(actor=pm, note=note, state="snoozed", snoozed_until=timezone.now() + dt.timedelta(days=2))
    note_triage(actor=pm, note=note, state="archived")
    stored = fresh(note)
    assert (stored.state, stored.snoozed_until) == ("archived", None)


def test_unknown_state_is_refused(pm, workspace):
    note = nf.note(workspace)
    with pytest.raises(ValidationFailed) as exc:
        note_triage(actor=pm, note=note, state="done")
    assert list(exc.value.fields) == ["state"]


def test_a_snoozed_note_whose_date_passed_is_back_in_the_inbox(pm, workspace):
    new = nf.note(workspace, "new")
    asleep = nf.note(workspace, "asleep", state="snoozed", snoozed_until=timezone.now() + dt.timedelta(hours=1))
    woke = nf.note(workspace, "woke", state="snoozed", snoozed_until=timezone.now() - dt.timedelta(minutes=1))
    done = nf.note(workspace, "done", state="processed")
    gone = nf.note(workspace, "gone", state="archived")

    def ids(state):
        return {n.pk for n in notes_for_inbox(user=pm, workspace=workspace, filters=NoteFilters(state=state))}

    assert ids("inbox") == {new.pk, woke.pk}
    assert ids("snoozed") == {asleep.pk}
    assert ids("processed") == {done.pk}
    assert ids("archived") == {gone.pk}
    assert ids("all") == {new.pk, asleep.pk, woke.pk, done.pk, gone.pk}
    counts = inbox_counts(user=pm, workspace=workspace)
    assert counts == {"inbox": 2, "snoozed": 1, "processed": 1, "archived": 1, "all": 5}


def test_assign_to_a_pm_and_back_to_nobody(pm, leader, workspace):
    note = nf.note(workspace)
    note_assign(actor=pm, note=note, assignee=leader)
    assert fresh(note).assignee_id == leader.pk
    note_assign(actor=pm, note=note, assignee=None)
    assert fresh(note).assignee_id is None
    assert triage_events(note) == ["feedback_note.assign", "feedback_note.assign"]


@pytest.mark.parametrize("role", ["contributor", "viewer"])
def test_assignee_must_be_pm_or_above(pm, member, workspace, role):
    note = nf.note(workspace)
    with pytest.raises(ValidationFailed) as exc:
        note_assign(actor=pm, note=note, assignee=member(role))
    assert list(exc.value.fields) == ["assignee"]
    assert fresh(note).assignee_id is None


def test_assignee_from_another_workspace_is_refused(pm, outsider, workspace):
    note = nf.note(workspace)
    with pytest.raises(ValidationFailed) as exc:
        note_assign(actor=pm, note=note, assignee=outsider)
    assert list(exc.value.fields) == ["assignee"]


def test_bulk_triage_changes_all(pm, leader, workspace):
    notes = [nf.note(workspace, f"n{i}") for i in range(3)]
    changed = notes_bulk_triage(
        actor=pm, workspace=workspace, note_ids=[n.pk for n in notes], state="processed", assignee=leader
    )
    assert len(changed) == 3
    rows = FeedbackNote.objects.filter(pk__in=[n.pk for n in notes])
    assert {(r.state, r.assignee_id, r.processed_by_id) for r in rows} == {("processed", leader.pk, pm.pk)}
    assert AuditEvent.objects.filter(action="feedback_note.triage").count() == 3


def test_bulk_assign_only_keeps_the_state(pm, leader, workspace):
    note = nf.note(workspace, state="archived")
    notes_bulk_triage(actor=pm, workspace=workspace, note_ids=[note.pk], assignee=leader)
    stored = fresh(note)
    assert (stored.state, stored.assignee_id) == ("archived", leader.pk)


def test_bulk_triage_is_all_or_nothing(pm, workspace, other_workspace):
    mine = nf.note(workspace)
    theirs = nf.note(other_workspace)
    with pytest.raises(NotFound) as exc:
        notes_bulk_triage(actor=pm, workspace=workspace, note_ids=[mine.pk, theirs.pk], state="archived")
    assert list(exc.value.fields) == ["note_ids"]
    assert fresh(mine).state == "new" and fresh(theirs).state == "new"
    with pytest.raises(ValidationFailed):
        notes_bulk_triage(actor=pm, workspace=workspace, note_ids=[mine.pk], state="snoozed")
    assert fresh(mine).state == "new"
    with pytest.raises(ValidationFailed):
        notes_bulk_triage(actor=pm, workspace=workspace, note_ids=[], state="archived")
    assert AuditEvent.objects.filter(action="feedback_note.triage").count() == 0


def test_note_update_contact_brings_its_company(pm, leader, workspace):
    product = backlog.product(leader, workspace, key="PAY")
    company = CompanyFactory(workspace=workspace, name="Initech")
    contact = ContactFactory(workspace=workspace, company=company, name="Peter Gibbons")
    note = nf.note(workspace)
    note_update(actor=pm, note=note, contact=contact, product=product, title="  TPS reports  ")
    stored = fresh(note)
    assert (stored.contact_id, stored.company_id, stored.product_id, stored.title) == (
        contact.pk,
        company.pk,
        product.pk,
        "TPS reports",
    )
    other = CompanyFactory(workspace=workspace, name="Globochem")
    with pytest.raises(ValidationFailed) as exc:
        note_update(actor=pm, note=note, contact=contact, company=other)
    assert list(exc.value.fields) == ["contact"]
    assert fresh(note).company_id == company.pk


def test_note_update_refuses_text_and_foreign_rows(pm, workspace, other_workspace):
    note = nf.note(workspace, "as said")
    with pytest.raises(ValidationFailed) as exc:
        note_update(actor=pm, note=note, text="rewritten")
    assert list(exc.value.fields) == ["text"]
    foreign = CompanyFactory(workspace=other_workspace)
    with pytest.raises(NotFound) as exc:
        note_update(actor=pm, note=note, company=foreign)
    assert list(exc.value.fields) == ["company"]
    assert fresh(note).text == "as said" and fresh(note).company_id is None


def test_the_author_may_correct_their_own_note(contributor, member, workspace):
    company = CompanyFactory(workspace=workspace)
    own = nf.note(workspace, author=contributor)
    note_update(actor=contributor, note=own, company=company)
    assert fresh(own).company_id == company.pk
    someone_elses = nf.note(workspace, author=member("contributor"))
    with pytest.raises(PermissionDenied):
        note_update(actor=contributor, note=someone_elses, company=company)
    assert fresh(someone_elses).company_id is None


# --- the permission matrix: role × action; a denied action changes nothing -----------------------

ROLES = ["admin", "leader", "pm", "contributor", "viewer"]
ALLOWED = {"admin", "leader", "pm"}


def _actions(note, assignee):
    return {
        "triage": lambda actor: note_triage(actor=actor, note=note, state="processed"),
        "assign": lambda actor: note_assign(actor=actor, note=note, assignee=assignee),
        "bulk": lambda actor: notes_bulk_triage(
            actor=actor, workspace=note.workspace_id, note_ids=[note.pk], state="archived"
        ),
        "update": lambda actor: note_update(actor=actor, note=note, title="Renamed"),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["triage", "assign", "bulk", "update"])
def test_permission_matrix(member, leader, workspace, role, action):
    actor = member(role)
    note = nf.note(workspace, "Matrix")
    run = _actions(note, leader)[action]
    if role in ALLOWED:
        run(actor)
        assert AuditEvent.objects.filter(target_id=note.pk, target_type="insights.feedbacknote").count() == 1
        return
    before = FeedbackNote.objects.filter(pk=note.pk).values().get()
    with pytest.raises(PermissionDenied):
        run(actor)
    assert FeedbackNote.objects.filter(pk=note.pk).values().get() == before
    assert AuditEvent.objects.filter(target_id=note.pk, target_type="insights.feedbacknote").count() == 0


@pytest.mark.parametrize("action", ["triage", "assign", "bulk", "update"])
def test_outsiders_get_not_found_and_change_nothing(outsider, leader, workspace, action):
    note = nf.note(workspace, "Private")
    before = FeedbackNote.objects.filter(pk=note.pk).values().get()
    with pytest.raises(NotFound):
        _actions(note, leader)[action](outsider)
    assert FeedbackNote.objects.filter(pk=note.pk).values().get() == before


def test_snooze_dates_far_away_are_refused(pm, workspace):
    note = nf.note(workspace)
    for day in (dt.date(9999, 12, 31), dt.date(1, 1, 1)):
        with pytest.raises(ValidationFailed) as exc:
            note_triage(actor=pm, note=note, state="snoozed", snoozed_until=day)
        assert list(exc.value.fields) == ["snoozed_until"]
    assert fresh(note).state == "new"
