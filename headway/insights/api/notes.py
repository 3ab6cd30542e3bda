"""API: feedback notes in (from support tools, forwarded email) and out (the inbox's notes).

For workspace members with a token (or a signed-in session); portal people are not members, so
every operation answers them 404. Every member reads notes; contributors and up add them.

* ``POST /insights``: add a note; with ``external_ref`` the note of the same channel and reference
  is updated instead (201 created, 200 updated), so a support tool can send a ticket again.
* ``POST /insights/email``: a raw RFC 822 message (``Content-Type: message/rfc822``); a member's
  forward of a customer's email is filed under the customer. 400 says what is wrong with a message.
* ``GET /insights``, ``GET /insights/{id}``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from headway.core import permissions
from headway.core.api import Page, api_field_names, paginate, responses, workspace_of
from headway.core.errors import NotFound
from headway.core.permissions import Action
from headway.insights import schemas_notes as s
from headway.insights.api import evidence
from headway.insights.models import FeedbackNote
from headway.insights.services import notes as services

router = Router(tags=["insights"])
_note_path_router = evidence.router

_RELATED = ("company", "contact", "theme", "author")
_RENAMES = {"product": "product_id"}

EMAIL_BODY = {
    "required": True,
    "description": "The whole email as the mail program saved it (an .eml file), at most 1 MB.",
    "content": {
        media: {"schema": {"type": "string", "format": "binary"}}
        for media in ("message/rfc822", "application/octet-stream", "text/plain")
    },
}


def _notes(request: HttpRequest) -> Any:
    workspace = workspace_of(request)
    qs = FeedbackNote.objects.select_related(*_RELATED)
    return permissions.scope(qs, request.user, workspace, Action.INSIGHT_VIEW)


def _note(request: HttpRequest, note_id: int) -> FeedbackNote:
    note: FeedbackNote = permissions.get_or_404(_notes(request), pk=note_id)
    return note


@router.get("/insights", response=responses({200: Page[s.NoteOut]}), summary="List feedback notes")
def note_list(request: HttpRequest, filters: Query[s.NoteQuery]) -> dict:
    """Newest first (by when the customer said it). ``state`` defaults to all."""
    from headway.insights.selectors.notes import NoteFilters, notes_for_inbox

    workspace = workspace_of(request)
    narrowed = NoteFilters(
        state=filters.state,
        product=filters.product_id,
        source=filters.source or "",
        channel=filters.channel.strip(),
        company=filters.company_id,
        kind=filters.kind or "",
        sentiment=filters.sentiment or "",
        theme=filters.theme_id,
        q=filters.q.strip(),
    )
    qs = notes_for_inbox(user=request.user, workspace=workspace, filters=narrowed).select_related(*_RELATED)
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.post(
    "/insights",
    response=responses({200: s.NoteOut, 201: s.NoteOut}),
    summary="Add a feedback note",
    description="Contributors and up. The note is classified (kind, sentiment) and placed in a theme as it is "
    "stored. With external_ref, a note of the same channel and reference is updated instead (200) rather than "
    "added again (201).",
)
def note_create(request: HttpRequest, data: s.NoteIn) -> Status:
    workspace = workspace_of(request)
    product = None
    if data.product_id is not None:
        from headway.portfolio.models import Product

        product = (
            permissions.scope(Product.objects.all(), request.user, workspace, Action.PORTFOLIO_VIEW)
            .filter(pk=data.product_id)
            .first()
        )
        if product is None:
            msg = f"No product {data.product_id} in this workspace."
            raise NotFound(f"product_id: {msg}", fields={"product_id": [msg]})
    with api_field_names(_RENAMES):
        note = services.note_create(
            actor=request.user,
            workspace=workspace,
            product=product,
            **data.model_dump(exclude={"product_id"}),
        )
    return Status(201 if note.was_created else 200, _note(request, note.pk))  # type: ignore[attr-defined]


@router.post(
    "/insights/email",
    response=responses({200: s.NoteOut, 201: s.NoteOut}),
    summary="Add a note from an email",
    description="Contributors and up. Send the raw message (RFC 822, as an .eml file holds it) as the body with "
    "Content-Type message/rfc822. The subject becomes the title (without Re:/Fwd:), the plain-text body the text "
    "(or the HTML body as plain text), the Message-ID the reference (the same message again updates the note: "
    "200). When a workspace member forwards a customer's message, the customer is the original sender and the "
    "member the author. A message that cannot be read is a 422 saying what is wrong.",
    openapi_extra={"requestBody": EMAIL_BODY},
)
def note_from_email(request: HttpRequest) -> Status:
    workspace = workspace_of(request)
    permissions.require(request.user, Action.FEEDBACK_ADD, workspace)
    # A message that cannot be read is a 422 naming what is wrong (the body is well-formed bytes the
    # schema allows, so it is unprocessable rather than a bad request).
    note = services.note_from_email(actor=request.user, workspace=workspace, raw=request.body)
    return Status(201 if note.was_created else 200, _note(request, note.pk))  # type: ignore[attr-defined]


# PATCH /insights/{note_id} (triage) is in api/evidence.py; one path must live in one router, or
# Django's resolver would stop at the first and answer the other method 405.
@_note_path_router.get("/insights/{note_id}", response=responses({200: s.NoteOut}), summary="Get a feedback note")
def note_get(request: HttpRequest, note_id: int) -> FeedbackNote:
    return _note(request, note_id)
