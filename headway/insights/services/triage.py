"""Triage of feedback notes: new → processed (or archived, or snoozed until a date), assignment to a
PM, and the few corrections a person makes to where a note came from (product, company, contact,
title). PMs and up (``INSIGHT_MANAGE``); every change is audited.

A snoozed note comes back by itself: the inbox selector shows snoozed notes whose date has passed
with the new ones, so no scheduled job has to wake them up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from headway.backlog.services._common import UNSET, check_fields, field_error
from headway.core import permissions
from headway.core.audit import audit_record, diff, snapshot
from headway.core.errors import NotFound, ValidationFailed
from headway.core.permissions import Action
from headway.customers.models import Company, Contact
from headway.insights.models import FeedbackNote, NoteState
from headway.portfolio.models import Product
from headway.workspaces.models import Workspace

BULK_MAX = 500
SNOOZE_MAX_DAYS = 5 * 366
TITLE_MAX = 300

_TRIAGE_FIELDS = ["state", "snoozed_until", "processed_at", "processed_by"]


def _lock(note: FeedbackNote) -> FeedbackNote:
    return FeedbackNote.objects.select_for_update().get(pk=note.pk)


def check_state(state: Any) -> str:
    if state not in NoteState.values:
        raise field_error(ValidationFailed, "state", f"Choose one of {', '.join(NoteState.values)}.")
    return str(state)


def check_snooze(state: str, snoozed_until: Any) -> dt.datetime | None:
    """The moment a snoozed note comes back: a future date (midnight, local time) or date and time."""
    if state != NoteState.SNOOZED:
        return None
    if snoozed_until is None or snoozed_until == "":
        raise field_error(ValidationFailed, "snoozed_until", "Say until when to snooze the note.")
    if not isinstance(snoozed_until, dt.date):
        raise field_error(ValidationFailed, "snoozed_until", "Give a date such as 2026-05-01.")
    day = snoozed_until.date() if isinstance(snoozed_until, dt.datetime) else snoozed_until
    today = timezone.localdate()
    if day < today:
        raise field_error(ValidationFailed, "snoozed_until", "Choose a date in the future.")
    if day > today + dt.timedelta(days=SNOOZE_MAX_DAYS):
        raise field_error(ValidationFailed, "snoozed_until", "Snooze for at most five years.")
    if isinstance(snoozed_until, dt.datetime):
        moment = snoozed_until if timezone.is_aware(snoozed_until) else timezone.make_aware(snoozed_until)
    else:
        moment = timezone.make_aware(dt.datetime.combine(snoozed_until, dt.time.min))
    if moment <= timezone.now():
        raise field_error(ValidationFailed, "snoozed_until", "Choose a date in the future.")
    return moment


def _apply_state(note: FeedbackNote, *, actor: Any, state: str, until: dt.datetime | None) -> None:
    note.state = state
    note.snoozed_until = until
    if state == NoteState.PROCESSED:
        if note.processed_at is None:
            note.processed_at = timezone.now()
            note.processed_by = actor if getattr(actor, "pk", None) else None
    else:
        note.processed_at = None
        note.processed_by = None


def note_triage(
    *, actor: Any, note: FeedbackNote, state: str, snoozed_until: dt.date | dt.datetime | None = None
) -> FeedbackNote:
    """Move a note to ``state``; snoozing needs a future ``snoozed_until``; processing records who and when."""
    permissions.require(actor, Action.INSIGHT_MANAGE, note.workspace_id, note)
    state = check_state(state)
    until = check_snooze(state, snoozed_until)
    with transaction.atomic():
        locked = _lock(note)
        before = snapshot(locked, _TRIAGE_FIELDS)
        _apply_state(locked, actor=actor, state=state, until=until)
        changes = diff(before, snapshot(locked, _TRIAGE_FIELDS))
        if changes:
            locked.save(update_fields=[*_TRIAGE_FIELDS, "updated_at"])
            audit_record(
                actor=actor,
                workspace=note.workspace,
                action="feedback_note.triage",
                target=locked,
                changes=changes,
            )
    _copy(locked, note, [*_TRIAGE_FIELDS, "updated_at"])
    return note


def _copy(source: FeedbackNote, target: FeedbackNote, fields: Iterable[str]) -> None:
    """The caller's object shows what was stored."""
    for name in fields:
        field = FeedbackNote._meta.get_field(name)
        if field.is_relation:
            setattr(target, name, getattr(source, name))
        else:
            setattr(target, field.attname, getattr(source, field.attname))  # type: ignore[union-attr]


def check_assignee(workspace_id: int, assignee: Any) -> Any:
    """A person who may triage the workspace's notes (a PM, leader or admin of it), or None."""
    if assignee is None:
        return None
    if not getattr(assignee, "pk", None) or not permissions.can(assignee, Action.INSIGHT_MANAGE, workspace_id):
        raise field_error(ValidationFailed, "assignee", "Assign the note to a PM, leader or admin of this workspace.")
    return assignee


def note_assign(*, actor: Any, note: FeedbackNote, assignee: Any) -> FeedbackNote:
    """Give the note to someone to handle (None: to nobody)."""
    permissions.require(actor, Action.INSIGHT_MANAGE, note.workspace_id, note)
    assignee = check_assignee(note.workspace_id, assignee)
    with transaction.atomic():
        locked = _lock(note)
        before = snapshot(locked, ["assignee"])
        locked.assignee = assignee
        changes = diff(before, snapshot(locked, ["assignee"]))
        if changes:
            locked.save(update_fields=["assignee", "updated_at"])
            audit_record(
                actor=actor,
                workspace=note.workspace,
                action="feedback_note.assign",
                target=locked,
                changes=changes,
            )
    note.assignee = assignee
    return note


def notes_bulk_triage(
    *,
    actor: Any,
    workspace: Workspace | int,
    note_ids: Iterable[int],
    state: str | None = None,
    snoozed_until: dt.date | dt.datetime | None = None,
    assignee: Any = UNSET,
) -> list[FeedbackNote]:
    """Change the state and/or the assignee of many notes at once: all of them or none.

    An id that names no note of the workspace is a 404 naming ``note_ids``; returns the notes that changed.
    """
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    permissions.require(actor, Action.INSIGHT_MANAGE, workspace_id)
    ws = workspace if isinstance(workspace, Workspace) else Workspace.objects.get(pk=workspace_id)
    ids = list(dict.fromkeys(int(i) for i in note_ids))
    if not ids:
        raise field_error(ValidationFailed, "note_ids", "Choose the notes first.")
    if len(ids) > BULK_MAX:
        raise field_error(ValidationFailed, "note_ids", f"Change at most {BULK_MAX} notes at once.")
    if state is None and assignee is UNSET:
        raise field_error(ValidationFailed, "state", "Say what to do with the notes: a state or an assignee.")
    if state is not None:
        state = check_state(state)
    until = check_snooze(state, snoozed_until) if state is not None else None
    if assignee is not UNSET:
        assignee = check_assignee(workspace_id, assignee)
    fields = ["updated_at"]
    if state is not None:
        fields += _TRIAGE_FIELDS
    if assignee is not UNSET:
        fields.append("assignee")
    changed: list[FeedbackNote] = []
    with transaction.atomic():
        notes = list(
            FeedbackNote.objects.select_for_update().filter(workspace_id=workspace_id, pk__in=ids).order_by("pk")
        )
        missing = sorted(set(ids) - {n.pk for n in notes})
        if missing:
            message = f"No note {missing[0]} in this workspace."
            raise NotFound(f"note_ids: {message}", fields={"note_ids": [message]})
        watched = [f for f in fields if f != "updated_at"]
        now = timezone.now()
        for note in notes:
            before = snapshot(note, watched)
            if state is not None:
                _apply_state(note, actor=actor, state=state, until=until)
            if assignee is not UNSET:
                note.assignee = assignee
            changes = diff(before, snapshot(note, watched))
            if changes:
                note.updated_at = now
                changed.append(note)
                audit_record(actor=actor, workspace=ws, action="feedback_note.triage", target=note, changes=changes)
        if changed:
            FeedbackNote.objects.bulk_update(changed, fields)
    return changed


_EDITABLE = ["product", "company", "contact", "title"]


def _resolve(model: type[Any], value: Any, workspace_id: int, field: str, what: str) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise field_error(ValidationFailed, field, f"Choose {what} of this workspace.")
    if isinstance(value, int):
        value = model._default_manager.filter(pk=value, workspace_id=workspace_id).first()
    if not isinstance(value, model) or getattr(value, "workspace_id", None) != workspace_id:
        message = f"No such {what} in this workspace."
        raise NotFound(f"{field}: {message}", fields={field: [message]})
    return value


def note_update(*, actor: Any, note: FeedbackNote, **fields: Any) -> FeedbackNote:
    """Correct who a note is from or what it is about: ``product``, ``company``, ``contact``, ``title``.

    PMs and up; and whoever typed the note in (contributors included), for their own notes.

        A contact brings their company unless a company is given too (then it must be theirs). The
        evidence of the note weighs its demand by the new company from now on (demand is read live).
    """
    if not (
        getattr(actor, "pk", None)
        and note.author_id == actor.pk
        and permissions.can(actor, Action.FEEDBACK_ADD, note.workspace_id, note)
    ):
        permissions.require(actor, Action.INSIGHT_MANAGE, note.workspace_id, note)
    check_fields(fields, _EDITABLE, "note", {"text": "A note's text is kept as the customer said it."})
    workspace_id = note.workspace_id
    values: dict[str, Any] = {}
    if "product" in fields:
        values["product"] = _resolve(Product, fields["product"], workspace_id, "product", "product")
    if "company" in fields:
        values["company"] = _resolve(Company, fields["company"], workspace_id, "company", "company")
    if "contact" in fields:
        contact = _resolve(Contact, fields["contact"], workspace_id, "contact", "contact")
        values["contact"] = contact
        if contact is not None:
            company = values.get("company")
            if company is None:
                values["company"] = contact.company
            elif company.pk != contact.company_id:
                raise field_error(ValidationFailed, "contact", f"{contact.name} does not work at {company.name}.")
    if "title" in fields:
        title = fields["title"]
        if not isinstance(title, str):
            raise field_error(ValidationFailed, "title", "Give a title (or leave it empty).")
        title = title.strip()
        if len(title) > TITLE_MAX:
            raise field_error(ValidationFailed, "title", f"Use at most {TITLE_MAX} characters.")
        values["title"] = title
    names = list(values)
    with transaction.atomic():
        locked = _lock(note)
        before = snapshot(locked, names)
        for name, value in values.items():
            setattr(locked, name, value)
        changes = diff(before, snapshot(locked, names))
        if changes:
            locked.save(update_fields=[*names, "updated_at"])
            audit_record(
                actor=actor, workspace=note.workspace, action="feedback_note.update", target=locked, changes=changes
            )
            if "company" in changes:
                from headway.insights.services.highlights import highlights_refresh_demand

                highlights_refresh_demand(note_ids=[locked.pk])
    for name, value in values.items():
        setattr(note, name, value)
    return note
