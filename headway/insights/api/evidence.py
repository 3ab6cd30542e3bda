"""API: triage a note, highlight passages as evidence, read a feature's evidence.

For workspace members with a token (or a signed-in session); portal people are not members, so
every operation answers them 404. Triage, labels and highlights need a PM role or higher; every
member reads evidence.

* ``PATCH /insights/{id}``: state (``snoozed`` needs ``snoozed_until``, a future date), assignee,
  and corrections of the classifier's ``kind`` / ``sentiment``; all of the body or nothing.
* ``POST /insights/{id}/highlights``: characters ``start`` to ``end`` of the note's text, linked to
  one feature or one idea, with an importance; the same passage twice for one target is a 409.
* ``DELETE /highlights/{id}``.
* ``GET /features/{id}/evidence``: the quotes, customers, companies and ARR, and the demand they add
  (decimal strings), weighed as votes are, by the workspace's demand settings as they are now.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from headway.backlog.models import Feature
from headway.core import permissions
from headway.core.api import Date, Id, StrictIn, api_field_names, responses, workspace_of
from headway.core.errors import NotFound, ValidationFailed
from headway.core.permissions import Action
from headway.insights.models import FeedbackNote, Highlight
from headway.insights.selectors.evidence import feature_evidence
from headway.insights.services import highlights as highlight_services
from headway.insights.services import triage
from headway.workspaces.models import Membership

router = Router(tags=["insights"])

NoteStateName = Literal["new", "processed", "snoozed", "archived"]
KindName = Literal["bug", "feature_request", "experience", "rating"]
SentimentName = Literal["negative", "neutral", "positive"]
ImportanceName = Literal["nice_to_have", "important", "critical"]

_RENAMES = {"assignee": "assignee_id", "feature": "feature_id", "idea": "idea_id"}


def _not_in_schema(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _optional() -> Any:
    """Optional in a PATCH body, never null: leave the field out to keep its value."""
    return Field(default=None, json_schema_extra=_not_in_schema)


# --- shapes -------------------------------------------------------------------------------------


class NotePatchIn(StrictIn):
    state: NoteStateName = _optional()
    snoozed_until: Date = Field(  # type: ignore[assignment]
        default=None,
        description="With state snoozed: the day the note comes back to the inbox (in the future).",
        json_schema_extra=_not_in_schema,
    )
    assignee_id: Id | None = Field(
        default=None,
        description="A PM, leader or admin of the workspace; null: nobody.",
        json_schema_extra=_not_in_schema,
    )
    kind: KindName = Field(
        default=None,  # type: ignore[arg-type]
        description="Correct the classifier.",
        json_schema_extra=_not_in_schema,
    )
    sentiment: SentimentName = Field(
        default=None,  # type: ignore[arg-type]
        description="Correct the classifier.",
        json_schema_extra=_not_in_schema,
    )


class NoteTriageOut(Schema):
    id: int
    state: NoteStateName
    snoozed_until: dt.datetime | None
    assignee_id: int | None
    processed_at: dt.datetime | None
    processed_by_id: int | None
    kind: KindName | Literal[""]
    kind_corrected: bool
    sentiment: SentimentName | Literal[""]
    sentiment_corrected: bool


class HighlightIn(StrictIn):
    start: int = Field(ge=0, le=100_000, description="Offset of the first character (code points, from 0).")
    end: int = Field(ge=1, le=100_000, description="Offset just after the last character.")
    importance: ImportanceName = "important"
    feature_id: Id | None = Field(None, description="The feature the passage is evidence for (or idea_id).")
    idea_id: Id | None = Field(None, description="The idea the passage is evidence for (or feature_id).")


class HighlightPatchIn(StrictIn):
    importance: ImportanceName


class HighlightOut(Schema):
    id: int
    note_id: int
    start: int
    end: int
    quote: str
    feature_id: int | None
    idea_id: int | None
    importance: ImportanceName
    demand: str = Field(description='What it weighed when written, as a decimal string such as "4.00".')
    created_at: dt.datetime

    @staticmethod
    def resolve_demand(obj: Any) -> str:
        return f"{obj.demand:.2f}"


class EvidenceCompanyOut(Schema):
    id: int
    name: str
    arr: str = Field(description="Annual recurring revenue, a decimal string.")
    currency: str
    tier: str


class EvidenceItemOut(Schema):
    highlight_id: int
    note_id: int
    quote: str
    customer: str = Field(description="The contact's name, or the name the channel gave; may be empty.")
    company: EvidenceCompanyOut | None
    importance: ImportanceName
    demand: str = Field(description="Weighed now: importance × the company's weight.")
    idea_id: int | None = Field(description="The linked idea it counts through, when not linked to the feature.")


class EvidenceTotalsOut(Schema):
    quotes: int
    companies: int
    arr: str = Field(description="ARR of the distinct companies behind the quotes.")
    votes_demand: str = Field(description="Demand of the feature's ideas (votes).")
    evidence_demand: str
    demand: str = Field(description="votes_demand + evidence_demand.")


class FeatureEvidenceOut(Schema):
    feature_id: int
    items: list[EvidenceItemOut]
    totals: EvidenceTotalsOut


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


# --- helpers ------------------------------------------------------------------------------------


def _note(request: HttpRequest, note_id: int) -> FeedbackNote:
    workspace = workspace_of(request)
    qs = permissions.scope(FeedbackNote.objects.all(), request.user, workspace, Action.INSIGHT_VIEW)
    note: FeedbackNote = permissions.get_or_404(qs, pk=note_id)
    return note


def _assignee(request: HttpRequest, user_id: int | None) -> Any:
    if user_id is None:
        return None
    membership = (
        Membership.objects.filter(workspace=workspace_of(request), user_id=user_id).select_related("user").first()
    )
    if membership is None:
        message = f"No member {user_id} in this workspace."
        raise NotFound(f"assignee_id: {message}", fields={"assignee_id": [message]})
    return membership.user


# --- operations ---------------------------------------------------------------------------------


@router.patch(
    "/insights/{note_id}",
    response=responses({200: NoteTriageOut}),
    summary="Triage a note",
    description="PMs and up. Send only what changes: state (snoozed needs snoozed_until, a date in the future), "
    "assignee_id (null: nobody), kind or sentiment (a correction the next model learns from). All or nothing.",
)
def note_patch(request: HttpRequest, note_id: int, data: NotePatchIn) -> FeedbackNote:
    note = _note(request, note_id)
    permissions.require(request.user, Action.INSIGHT_MANAGE, note.workspace_id, note)
    fields = data.model_dump(exclude_unset=True)
    if "snoozed_until" in fields and fields.get("state") != "snoozed":
        message = "Send state snoozed with snoozed_until."
        raise ValidationFailed(f"snoozed_until: {message}", fields={"snoozed_until": [message]})
    with api_field_names(_RENAMES), transaction.atomic():
        if "state" in fields:
            triage.note_triage(
                actor=request.user, note=note, state=fields["state"], snoozed_until=fields.get("snoozed_until")
            )
        if "assignee_id" in fields:
            triage.note_assign(actor=request.user, note=note, assignee=_assignee(request, fields["assignee_id"]))
        for field in ("kind", "sentiment"):
            if field in fields:
                from headway.insights.services.labels import note_correct_label

                note_correct_label(actor=request.user, note=note, field=field, value=fields[field])
    return _note(request, note.pk)


@router.post(
    "/insights/{note_id}/highlights",
    response=responses({201: HighlightOut}),
    summary="Highlight a passage as evidence",
    description="PMs and up. Characters start to end of the note's text (0 ≤ start < end ≤ its length), linked to "
    "exactly one feature_id or idea_id of the workspace (404 naming the field otherwise). The same passage for "
    "the same target twice is a 409.",
)
def highlight_create(request: HttpRequest, note_id: int, data: HighlightIn) -> Status:
    note = _note(request, note_id)
    with api_field_names(_RENAMES):
        made = highlight_services.highlight_create(
            actor=request.user,
            note=note,
            start=data.start,
            end=data.end,
            importance=data.importance,
            feature=data.feature_id,
            idea=data.idea_id,
        )
    return Status(201, made)


@router.delete("/highlights/{highlight_id}", response=responses({204: None}), summary="Remove a highlight")
def highlight_delete(request: HttpRequest, highlight_id: int) -> Status:
    workspace = workspace_of(request)
    qs = permissions.scope(Highlight.objects.all(), request.user, workspace, Action.INSIGHT_VIEW)
    found: Highlight = permissions.get_or_404(qs, pk=highlight_id)
    highlight_services.highlight_delete(actor=request.user, highlight=found)
    return Status(204, None)


@router.patch(
    "/highlights/{highlight_id}",
    response=responses({200: HighlightOut}),
    summary="Change a highlight's importance",
    description="PMs and up. The demand the passage adds to its feature or idea follows the new importance.",
)
def highlight_patch(request: HttpRequest, highlight_id: int, data: HighlightPatchIn) -> Highlight:
    workspace = workspace_of(request)
    qs = permissions.scope(Highlight.objects.all(), request.user, workspace, Action.INSIGHT_VIEW)
    found: Highlight = permissions.get_or_404(qs, pk=highlight_id)
    return highlight_services.highlight_update_importance(
        actor=request.user, highlight=found, importance=data.importance
    )


@router.get(
    "/features/{feature_id}/evidence",
    response=responses({200: FeatureEvidenceOut}),
    summary="A feature's evidence",
    description="Highlights linked to the feature and to the ideas linked to it, most demand first, with the "
    "customer, the company and its ARR; totals, and the feature's demand: votes + evidence.",
)
def feature_evidence_get(request: HttpRequest, feature_id: int) -> dict[str, Any]:
    workspace = workspace_of(request)
    qs = permissions.scope(Feature.objects.all(), request.user, workspace, Action.BACKLOG_VIEW)
    feature: Feature = permissions.get_or_404(qs, pk=feature_id)
    found = feature_evidence(user=request.user, feature=feature)
    items = [
        {
            "highlight_id": e["highlight"].pk,
            "note_id": e["note"].pk,
            "quote": e["quote"],
            "customer": e["customer"],
            "company": None
            if e["company"] is None
            else {
                "id": e["company"].pk,
                "name": e["company"].name,
                "arr": _money(e["company"].arr),
                "currency": e["company"].currency,
                "tier": e["company"].tier,
            },
            "importance": e["importance_value"],
            "demand": _money(e["demand"]),
            "idea_id": e["idea"].pk if e["idea"] is not None else None,
        }
        for e in found["items"]
    ]
    totals = found["totals"]
    return {
        "feature_id": feature.pk,
        "items": items,
        "totals": {
            "quotes": totals["quotes"],
            "companies": totals["companies"],
            "arr": _money(totals["arr"]),
            "votes_demand": _money(found["demand"]["votes"]),
            "evidence_demand": _money(found["demand"]["evidence"]),
            "demand": _money(found["demand"]["total"]),
        },
    }
