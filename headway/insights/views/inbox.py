"""The inbox: the list of notes with filters and keyboard triage, a note's page, typing a note in,
highlighting a passage as evidence.

Views parse input, call one selector or service, and render. Every change is a plain POST form that
redirects back with a message; from the list, htmx triage answers with nothing (the row goes) plus
the state tabs' fresh counts.
"""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from headway.backlog import selectors as backlog_selectors
from headway.core import permissions
from headway.core.errors import HeadwayError, NotFound, ValidationFailed
from headway.core.htmx import form_errors_text, is_scripted, render_page, ws_url
from headway.core.permissions import Action
from headway.customers.models import Company, Contact, Segment
from headway.ideas.models import Importance
from headway.insights.forms import CHANNEL_SUGGESTIONS, HighlightForm, LabelForm, NoteEditForm, NoteForm, TriageForm
from headway.insights.models import FeedbackNote, Highlight, Kind, NoteImport, NoteState, Sentiment, Source, Theme
from headway.insights.selectors import evidence as evidence_selectors
from headway.insights.selectors.notes import (
    ORDERINGS,
    STATES,
    NoteFilters,
    inbox_counts,
    note_detail,
    note_neighbours,
    notes_for_inbox,
)
from headway.insights.services import highlights as highlight_services
from headway.insights.services import triage
from headway.workspaces.models import Membership, Role
from headway.workspaces.selectors import audit_for_object

PAGE_SIZE = 50
CHOICES_LIMIT = 500
HISTORY_LIMIT = 30
MANAGERS = (Role.PM, Role.LEADER, Role.ADMIN)


def _query(filters: NoteFilters, **extra: Any) -> str:
    params = {**filters.as_params(), **{k: v for k, v in extra.items() if v not in (None, "")}}
    return f"?{urlencode(params)}" if params else ""


def _posted_filters(request: HttpRequest) -> NoteFilters:
    """The list's filters, sent back with a form as ``query`` (the list's query string)."""
    return NoteFilters.from_params(QueryDict(request.POST.get("query", "")[:2000]))


def _ids(values: list[str]) -> list[int]:
    return list(dict.fromkeys(int(v) for v in values if v.isdigit() and len(v) < 12))


def _note(request: HttpRequest, pk: int) -> FeedbackNote:
    return note_detail(user=request.user, workspace=request.workspace, pk=pk)


def _managers(request: HttpRequest) -> list[Any]:
    """People a note may be assigned to: the workspace's PMs, leaders and admins."""
    rows = (
        Membership.objects.filter(workspace=request.workspace, role__in=MANAGERS)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    return [m.user for m in rows if m.user.is_active]


def _member(request: HttpRequest, value: str) -> Any:
    """The assignee named by a form: "" is nobody; anyone else must be a member of the workspace."""
    if value in ("", "nobody"):
        return None
    pk = _ids([value])
    membership = (
        Membership.objects.filter(workspace=request.workspace, user_id=pk[0]).select_related("user").first()
        if pk
        else None
    )
    if membership is None:
        raise ValidationFailed(
            "assignee: Assign the note to a PM, leader or admin of this workspace.",
            fields={"assignee": ["Assign the note to a PM, leader or admin of this workspace."]},
        )
    return membership.user


def _products(request: HttpRequest) -> list[Any]:
    return backlog_selectors.product_choices(actor=request.user, workspace=request.workspace)


def _company_names(request: HttpRequest) -> list[str]:
    qs = Company.objects.filter(workspace=request.workspace, archived_at__isnull=True).order_by("name")
    return list(qs.values_list("name", flat=True)[:CHOICES_LIMIT])


def _company(request: HttpRequest, name: str) -> Company | None:
    name = name.strip()
    if not name:
        return None
    company = Company.objects.filter(workspace=request.workspace, name__iexact=name).first()
    if company is None:
        message = f"No company named “{name}” in your customer list."
        raise ValidationFailed(f"company: {message}", fields={"company": [message]})
    return company


def _contact(request: HttpRequest, email: str) -> Contact | None:
    email = email.strip()
    if not email:
        return None
    contact = Contact.objects.filter(workspace=request.workspace, email__iexact=email).first()
    if contact is None:
        message = f"No contact with the address {email} in your customer list."
        raise ValidationFailed(f"contact: {message}", fields={"contact": [message]})
    return contact


def _area(request: HttpRequest, counts: dict[str, int] | None = None) -> dict[str, Any]:
    return {"area": "insights", "tab": "inbox", "inbox_count": (counts or {}).get("inbox")}


# --- the list ------------------------------------------------------------------------------------


def _list_context(request: HttpRequest, filters: NoteFilters) -> dict[str, Any]:
    user, workspace = request.user, request.workspace
    notes = notes_for_inbox(user=user, workspace=workspace, filters=filters)
    page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = inbox_counts(user=user, workspace=workspace, filters=filters)
    return {
        **_area(request, counts),
        "filters": filters,
        "page": page,
        "counts": counts,
        "states": [(key, label, counts[key]) for key, label in STATES.items()],
        "state_query": urlencode(filters.as_params(state=False)),
        "query": _query(filters),
        "can_manage": permissions.can(user, Action.INSIGHT_MANAGE, workspace),
    }


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user, workspace = request.user, request.workspace
    permissions.require(user, Action.INSIGHT_VIEW, workspace)
    filters = NoteFilters.from_params(request.GET)
    context = _list_context(request, filters)
    notes_of_ws = FeedbackNote.objects.filter(workspace=workspace)
    context |= {
        "products": _products(request),
        "companies": list(
            Company.objects.filter(workspace=workspace, pk__in=notes_of_ws.values("company_id"))
            .order_by("name")
            .only("pk", "name")[:CHOICES_LIMIT]
        ),
        "channels": list(notes_of_ws.order_by("channel").values_list("channel", flat=True).distinct()[:CHOICES_LIMIT]),
        "themes": list(
            Theme.objects.filter(workspace=workspace, archived_at__isnull=True)
            .order_by("name")
            .only("pk", "name")[:CHOICES_LIMIT]
        ),
        "batches": list(NoteImport.objects.filter(workspace=workspace).only("pk", "filename", "created_at")[:50]),
        "managers": _managers(request),
        "sources": Source.choices,
        "segments": Segment.choices,
        "kinds": Kind.choices,
        "sentiments": Sentiment.choices,
        "orderings": ORDERINGS.items(),
    }
    return render_page(request, "insights/inbox.html", context, fragment="notes")


def _after_list_change(request: HttpRequest, message: str = "") -> HttpResponse:
    """From the list: htmx gets the fresh state tabs (out of band) and an empty row; others go back."""
    filters = _posted_filters(request)
    if is_scripted(request):
        context = _list_context(request, filters) | {"flash": message}
        return render_page(request, "insights/inbox.html", context, fragment="row-gone")
    if message:
        messages.success(request, message)
    return redirect(ws_url(request, "insights:inbox") + _query(filters, page=request.POST.get("page", "")))


@login_required
@require_POST
def notes_bulk(request: HttpRequest) -> HttpResponse:
    """Triage or assign the ticked notes: all or none."""
    user, workspace = request.user, request.workspace
    filters = _posted_filters(request)
    back = ws_url(request, "insights:inbox") + _query(filters)
    ids = _ids(request.POST.getlist("notes"))
    action = request.POST.get("action", "")
    try:
        kwargs: dict[str, Any] = {}
        if action == "assign":
            kwargs["assignee"] = _member(request, request.POST.get("assignee", ""))
        elif action in NoteState.values:
            form = TriageForm({"state": action, "snoozed_until": request.POST.get("snoozed_until", "")})
            if not form.is_valid():
                raise ValidationFailed(form_errors_text(form))
            kwargs["state"] = action
            kwargs["snoozed_until"] = form.cleaned_data["snoozed_until"]
        else:
            raise ValidationFailed("Choose what to do with the ticked notes.")
        if not ids:
            raise ValidationFailed("Tick the notes first.")
        changed = triage.notes_bulk_triage(actor=user, workspace=workspace, note_ids=ids, **kwargs)
        n = len(changed)
        messages.success(request, f"{n} note{'s' if n != 1 else ''} changed." if n else "Nothing to change.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return redirect(back)


# --- one note ------------------------------------------------------------------------------------


def note_pieces(text: str, highlights: list[Highlight]) -> list[dict[str, Any]]:
    """The note's text cut where highlights start and end: ``[{"text", "ids"}]``, ``ids`` the
    highlights covering the piece (rendered as <mark>, each piece escaped by the template)."""
    bounds = {0, len(text)}
    spans = [(h.start, min(h.end, len(text)), h.pk) for h in highlights if h.start < len(text)]
    for start, end, _ in spans:
        bounds.update((start, end))
    cuts = sorted(bounds)
    pieces = []
    for a, b in itertools.pairwise(cuts):
        if a == b:
            continue
        ids = [pk for start, end, pk in spans if start <= a and b <= end]
        pieces.append({"text": text[a:b], "ids": ids, "start": a})
    return pieces


def _note_context(request: HttpRequest, note: FeedbackNote, **extra: Any) -> dict[str, Any]:
    user, workspace = request.user, request.workspace
    filters = NoteFilters.from_params(request.GET)
    prev_id, next_id = note_neighbours(user=user, workspace=workspace, note=note, filters=filters)
    highlights = list(note.highlights.all())
    can_manage = permissions.can(user, Action.INSIGHT_MANAGE, workspace)
    can_edit = can_manage or (note.author_id == user.pk and permissions.can(user, Action.FEEDBACK_ADD, workspace))
    return {
        **_area(request),
        "note": note,
        "pieces": note_pieces(note.text, highlights),
        "highlights": highlights,
        "filters": filters,
        "query": _query(filters),
        "prev_id": prev_id,
        "next_id": next_id,
        "can_manage": can_manage,
        "can_edit": can_edit,
        "managers": _managers(request) if can_manage else [],
        "kinds": Kind.choices,
        "sentiments": Sentiment.choices,
        "importances": Importance.choices,
        "snoozed_awake": note.state == NoteState.SNOOZED
        and note.snoozed_until is not None
        and note.snoozed_until <= timezone.now(),
        "edit_form": extra.pop("edit_form", None)
        or NoteEditForm(
            products=_products(request) if can_edit else [],
            initial={
                "title": note.title,
                "product": note.product_id,
                "company": note.company.name if note.company else "",
                "contact": note.contact.email if note.contact else "",
            },
        ),
        "company_names": _company_names(request) if can_edit else [],
        "history": audit_for_object(actor=user, workspace=workspace, target=note)[:HISTORY_LIMIT],
        **extra,
    }


@login_required
def note(request: HttpRequest, pk: int) -> HttpResponse:
    found = _note(request, pk)
    return render_page(request, "insights/note.html", _note_context(request, found))


def _back_to_note(request: HttpRequest, note: FeedbackNote, anchor: str = "", pk: int | None = None) -> HttpResponse:
    """To the note's page (or note ``pk``), keeping the list's filters for j/k (re-read, not echoed)."""
    query = _query(_posted_filters(request))
    return redirect(ws_url(request, "insights:note", pk=pk or note.pk) + query + anchor)


@login_required
@require_POST
def note_triage(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a note processed, archived, snoozed (until a date) or new again.

    ``from=list`` answers the list (htmx: the row goes); ``next=<id>`` goes on to that note (the
    note page's keyboard flow); otherwise back to the note."""
    found = _note(request, pk)
    form = TriageForm(request.POST)
    message = ""
    ok = False
    try:
        if not form.is_valid():
            raise ValidationFailed(form_errors_text(form))
        state = form.cleaned_data["state"]
        triage.note_triage(
            actor=request.user, note=found, state=state, snoozed_until=form.cleaned_data["snoozed_until"]
        )
        ok = True
        label = found.get_state_display().lower()
        if state == NoteState.SNOOZED and found.snoozed_until:
            label = f"snoozed until {found.snoozed_until:%Y-%m-%d}"
        message = f"“{str(found)[:60]}” {label}."
    except HeadwayError as exc:
        if is_scripted(request):
            return HttpResponse(exc.message_without_field, status=exc.status)
        messages.error(request, exc.message_without_field)
    if request.POST.get("from") == "list":
        return (
            _after_list_change(request, message)
            if ok
            else redirect(ws_url(request, "insights:inbox") + _query(_posted_filters(request)))
        )
    if ok:
        messages.success(request, message)
    next_ids = _ids([request.POST.get("next", "")])
    if ok and next_ids:
        return _back_to_note(request, found, pk=next_ids[0])
    if ok and request.POST.get("next") == "list":
        return redirect(ws_url(request, "insights:inbox") + _query(_posted_filters(request)))
    return _back_to_note(request, found)


@login_required
@require_POST
def note_assign(request: HttpRequest, pk: int) -> HttpResponse:
    found = _note(request, pk)
    try:
        assignee = _member(request, request.POST.get("assignee", ""))
        triage.note_assign(actor=request.user, note=found, assignee=assignee)
        messages.success(request, f"Assigned to {assignee.display_name}." if assignee else "Assigned to nobody.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return _back_to_note(request, found, "#triage")


@login_required
@require_POST
def note_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the note's title, product, company or contact."""
    found = _note(request, pk)
    form = NoteEditForm(request.POST, products=_products(request))
    try:
        if not form.is_valid():
            raise ValidationFailed(form_errors_text(form))
        data = form.cleaned_data
        contact = _contact(request, data["contact"])
        company = _company(request, data["company"])
        triage.note_update(
            actor=request.user,
            note=found,
            title=data["title"],
            product=data["product"],
            company=company,
            contact=contact,
        )
        messages.success(request, "Note saved.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return _back_to_note(request, found, "#details")


@login_required
@require_POST
def note_label(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the classifier: the note's kind or sentiment (kept to train the next model)."""
    found = _note(request, pk)
    form = LabelForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed(form_errors_text(form))
        try:
            from headway.insights.services.labels import note_correct_label
        except ImportError as exc:  # the classifier's part is not installed yet
            raise NotFound("Label corrections are not available yet.") from exc
        field, value = form.cleaned_data["field"], form.cleaned_data["value"]
        note_correct_label(actor=request.user, note=found, field=field, value=value)
        label = dict(Kind.choices if field == "kind" else Sentiment.choices)[value]
        messages.success(request, f"{field.capitalize()} set to “{label}”; the next model learns from it.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return _back_to_note(request, found, "#labels")


@login_required
def note_new(request: HttpRequest) -> HttpResponse:
    """Type a note in: what a customer said on a call, in a meeting, in a ticket."""
    user, workspace = request.user, request.workspace
    permissions.require(user, Action.FEEDBACK_ADD, workspace)
    form = NoteForm(request.POST if request.method == "POST" else None, products=_products(request))
    if request.method == "POST" and form.is_valid():
        from headway.insights.services.notes import note_create

        data = form.cleaned_data
        try:
            company = _company(request, data["company"])
            created = note_create(
                actor=user,
                workspace=workspace,
                text=data["text"],
                channel=data["channel"],
                title=data["title"],
                url=data["url"],
                customer_name=data["customer_name"],
                customer_email=data["customer_email"],
                product=data["product"],
                received_at=form.received_at(),
            )
            if company is not None and created.company_id != company.pk:
                triage.note_update(actor=user, note=created, company=company)
            messages.success(request, "Note added to the inbox.")
            if request.POST.get("another"):
                return redirect(ws_url(request, "insights:note_new"))
            return redirect(ws_url(request, "insights:note", pk=created.pk))
        except HeadwayError as exc:
            form.add_service_error(exc)
    context = {
        **_area(request),
        "form": form,
        "company_names": _company_names(request),
        "channel_suggestions": CHANNEL_SUGGESTIONS,
    }
    return render_page(request, "insights/note_new.html", context, status=422 if form.errors else 200)


# --- highlights ----------------------------------------------------------------------------------


@login_required
@require_POST
def highlight_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the selected passage (character offsets into the note's text) to a feature or an idea."""
    found = _note(request, pk)
    form = HighlightForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed(form_errors_text(form))
        kind, target_id = form.target_parts()
        data = form.cleaned_data
        made = highlight_services.highlight_create(
            actor=request.user,
            note=found,
            start=data["start"],
            end=data["end"],
            importance=data["importance"],
            **{kind: target_id},
        )
        target = made.feature.ref if made.feature_id else f"idea #{made.idea_id}"  # type: ignore[union-attr]
        messages.success(request, f"Linked as evidence for {target}.")
        return _back_to_note(request, found, f"#highlight-{made.pk}")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return _back_to_note(request, found, "#evidence")


@login_required
@require_POST
def highlight_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user, workspace = request.user, request.workspace
    qs = permissions.scope(Highlight.objects.select_related("note"), user, workspace, Action.INSIGHT_VIEW)
    found: Highlight = permissions.get_or_404(qs, pk=pk)
    try:
        highlight_services.highlight_delete(actor=user, highlight=found)
        messages.success(request, "The passage is no longer evidence.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    if request.POST.get("next") == "feature" and found.feature_id:
        return redirect(ws_url(request, "backlog:feature", pk=found.feature_id) + "#evidence")
    return _back_to_note(request, found.note, "#evidence")


@login_required
@require_POST
def highlight_importance(request: HttpRequest, pk: int) -> HttpResponse:
    """Change how much a linked passage matters (and so the demand it adds to its feature or idea)."""
    user, workspace = request.user, request.workspace
    qs = permissions.scope(Highlight.objects.select_related("note"), user, workspace, Action.INSIGHT_VIEW)
    found: Highlight = permissions.get_or_404(qs, pk=pk)
    try:
        highlight_services.highlight_update_importance(
            actor=user, highlight=found, importance=request.POST.get("importance", "")
        )
        messages.success(request, f"Importance set to {found.get_importance_display().lower()}.")
    except HeadwayError as exc:
        messages.error(request, exc.message_without_field)
    return _back_to_note(request, found.note, f"#highlight-{found.pk}")


@login_required
def evidence_search(request: HttpRequest) -> HttpResponse:
    """Features and ideas to link a passage to, by title, PAY-12 or #42 (the note page's popover)."""
    q = request.GET.get("q", "")[:200]
    found = evidence_selectors.evidence_targets(user=request.user, workspace=request.workspace, q=q)
    context = {**found, "q": q}
    return render_page(request, "insights/_evidence_targets.html", context)


@login_required
def evidence_options(request: HttpRequest) -> HttpResponse:
    """Suggestions for a field that takes a feature reference (PAY-12) or an idea number (#42), as
    <option>s of a <datalist>: the duplicates page fills them while the person types. ``kind`` names
    the field ("feature" or "idea"); its value is what was typed."""
    kind = request.GET.get("kind", "")
    if kind not in ("feature", "idea"):
        raise NotFound("Ask for kind=feature or kind=idea.")
    q = request.GET.get(kind, "")[:200]
    found = evidence_selectors.evidence_targets(user=request.user, workspace=request.workspace, q=q)
    context = {
        "features": found["features"] if kind == "feature" else [],
        "ideas": found["ideas"] if kind == "idea" else [],
    }
    return render_page(request, "insights/_evidence_options.html", context)


urlpatterns = [
    path("", inbox, name="inbox"),
    path("evidence/options/", evidence_options, name="evidence_options"),
    path("new/", note_new, name="note_new"),
    path("bulk/", notes_bulk, name="notes_bulk"),
    path("evidence/search/", evidence_search, name="evidence_search"),
    path("notes/<int:pk>/", note, name="note"),
    path("notes/<int:pk>/triage/", note_triage, name="note_triage"),
    path("notes/<int:pk>/assign/", note_assign, name="note_assign"),
    path("notes/<int:pk>/edit/", note_update, name="note_update"),
    path("notes/<int:pk>/label/", note_label, name="note_label"),
    path("notes/<int:pk>/highlights/", highlight_create, name="highlight_create"),
    path("highlights/<int:pk>/delete/", highlight_delete, name="highlight_delete"),
    path("highlights/<int:pk>/importance/", highlight_importance, name="highlight_importance"),
]
