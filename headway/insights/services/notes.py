"""Feedback notes coming in: typed in, by the API, forwarded email, and portal ideas mirrored as notes.

Every way in ends in :func:`_upsert`: a note is identified by (workspace, channel, external_ref) when
the channel gives a reference, so hearing of it again updates it instead of adding a second one.
Each note is classified (kind, sentiment) and placed in a theme by :func:`notes_enrich` before it
is saved, so the inbox never shows an unlabelled note. CSV/XLSX imports live in ``imports.py``.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from headway.core import permissions
from headway.core.audit import audit_record
from headway.core.errors import ValidationFailed
from headway.core.permissions import Action
from headway.customers.models import Company, Contact
from headway.insights.importing.email import (
    body_text,
    parse_email,
    plain_text,
)
from headway.insights.models import MAX_NOTE_CHARS, FeedbackNote, NoteState, Source
from headway.insights.services.themes import themes_recount
from headway.workspaces.models import Membership, Workspace

EMAIL_CHANNEL = "Email"

_url_validator = URLValidator(schemes=["http", "https"])
_email_validator = EmailValidator()


# --- checking values ------------------------------------------------------------------------------


def clean_text(value: Any, field: str = "text", *, required: bool = True) -> str:
    """Text as stored: a string without NUL characters (databases refuse them), within the limit."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed.on(field, "Give text.")
    value = plain_text(value)
    if required and not value.strip():
        raise ValidationFailed.on(field, "This field is required: the note has no text.")
    if len(value) > MAX_NOTE_CHARS:
        raise ValidationFailed.on(
            field, f"The text is {len(value):,} characters long; the limit is {MAX_NOTE_CHARS:,}."
        )
    return value


def _clean_short(value: Any, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed.on(field, "Give text.")
    value = plain_text(value).strip()
    if len(value) > limit:
        raise ValidationFailed.on(field, f"Use at most {limit} characters (this is {len(value):,}).")
    return value


def clean_rating(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationFailed.on("rating", "Give a whole number from 1 to 5.")
    return value


def clean_url(value: Any) -> str:
    value = _clean_short(value, "url", 2000)
    if value:
        try:
            _url_validator(value)
        except DjangoValidationError as exc:
            raise ValidationFailed.on("url", "Enter a valid http:// or https:// address.") from exc
    return value


def clean_email(value: Any, field: str = "customer_email") -> str:
    value = _clean_short(value, field, 254)
    if value:
        try:
            _email_validator(value)
        except DjangoValidationError as exc:
            raise ValidationFailed.on(field, "Enter a valid email address.") from exc
    return value


def clean_product(workspace: Workspace, product: Any) -> Any:
    """None, or a product of this workspace given as itself or its id (an error naming ``product``)."""
    from headway.portfolio.models import Product

    if product in (None, ""):
        return None
    if isinstance(product, Product):
        if product.workspace_id != workspace.pk:
            raise ValidationFailed.on("product", "Choose a product of this workspace.")
        return product
    if isinstance(product, int) and not isinstance(product, bool):
        found = Product.objects.filter(workspace=workspace, pk=product).first()
        if found is None:
            raise ValidationFailed.on("product", f"No product {product} in this workspace.")
        return found
    raise ValidationFailed.on("product", "Choose a product of this workspace.")


def _clean_received(value: Any) -> dt.datetime:
    if value is None:
        return timezone.now()
    if not isinstance(value, dt.datetime):
        raise ValidationFailed.on("received_at", "Give a date and time.")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


# --- customers ------------------------------------------------------------------------------------


def customer_match(*, workspace_id: int, email: str) -> tuple[Company | None, Contact | None]:
    """Who this address belongs to: a contact (and their company), else the company whose domain it is."""
    address = (email or "").strip().lower()
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        return None, None
    contact = (
        Contact.objects.select_related("company")
        .filter(workspace_id=workspace_id, email__iexact=address)
        .order_by("archived_at", "id")  # a current contact before an archived one (NULLs first here)
        .first()
    )
    if contact is not None:
        return contact.company, contact
    company = (
        Company.objects.filter(workspace_id=workspace_id, domain__iexact=domain).order_by("archived_at", "id").first()
    )
    return company, None


# --- classification and themes --------------------------------------------------------------------


def note_input_text(title: str, text: str) -> str:
    """What the classifier and the themes read: the title (when there is one) and the text."""
    return f"{title}\n{text}" if title else text


def notes_enrich(notes: list[FeedbackNote]) -> None:
    """Classify the notes (kind, sentiment) and place them in themes, in memory; the caller saves.

    A label a person corrected stays as they set it.
    """
    if not notes:
        return
    from headway.insights.classify import model_version, predict
    from headway.insights.services.themes import themes_assign

    predictions = predict([note_input_text(n.title, n.text) for n in notes], [n.rating for n in notes])
    version = model_version()
    for note, p in zip(notes, predictions, strict=True):
        if not note.kind_corrected:
            note.kind = p.kind
            note.kind_confidence = p.kind_confidence
        if not note.sentiment_corrected:
            note.sentiment = p.sentiment
            note.sentiment_score = p.sentiment_score
        note.model_version = version
    themes_assign(notes[0].workspace_id, notes)


# --- the one place a note is written -----------------------------------------------------------------

_CONTENT_FIELDS = (
    "source",
    "url",
    "title",
    "text",
    "customer_name",
    "customer_email",
    "company_id",
    "contact_id",
    "product_id",
    "rating",
    "received_at",
)
_ENRICH_FIELDS = ["kind", "kind_confidence", "sentiment", "sentiment_score", "model_version", "theme", "theme_score"]


def _upsert(workspace: Workspace, channel: str, external_ref: str, values: dict[str, Any]) -> tuple[FeedbackNote, bool]:
    """Create the note, or update the one with the same channel and reference; (note, created).

    Classification is redone only when the words changed. The caller holds a transaction.
    """
    existing = None
    if external_ref:
        existing = (
            FeedbackNote.objects.select_for_update()
            .filter(workspace=workspace, channel=channel, external_ref=external_ref)
            .first()
        )
    if existing is None:
        note = FeedbackNote(workspace=workspace, channel=channel, external_ref=external_ref, **values)
        notes_enrich([note])
        try:
            with transaction.atomic():
                note.save()
            return note, True
        except IntegrityError:
            # Someone else stored the same reference a moment ago: update theirs instead.
            if not external_ref:
                raise
            existing = FeedbackNote.objects.select_for_update().get(
                workspace=workspace, channel=channel, external_ref=external_ref
            )
    words_before = (existing.title, existing.text)
    existing.previous_theme_id = existing.theme_id  # type: ignore[attr-defined]
    changed = []
    for name, value in values.items():
        attname = f"{name}_id" if name in ("company", "contact", "product", "author", "idea") else name
        new = value.pk if attname.endswith("_id") and hasattr(value, "pk") else value
        if name == "author" and existing.author_id is not None:
            continue  # who brought it in first stays its author
        if name == "extra":
            new = {**existing.extra, **(value or {})}
        if getattr(existing, attname) != new:
            setattr(existing, attname, new)
            changed.append(attname)
    if changed:
        if (existing.title, existing.text) != words_before or not existing.kind:
            notes_enrich([existing])
            changed += _ENRICH_FIELDS
        existing.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
    return existing, False


def note_create(
    *,
    actor: Any,
    workspace: Workspace,
    text: str,
    source: str = Source.MANUAL,
    channel: str = "",
    title: str = "",
    external_ref: str = "",
    url: str = "",
    customer_name: str = "",
    customer_email: str = "",
    product: Any = None,
    rating: int | None = None,
    received_at: dt.datetime | None = None,
    extra: dict | None = None,
) -> FeedbackNote:
    """Add a note (typed in after a call, or sent by a support tool); with an ``external_ref`` the
    note of the same channel and reference is updated instead. ``note.was_created`` says which."""
    permissions.require(actor, Action.FEEDBACK_ADD, workspace)
    if source not in Source.values or source == Source.PORTAL:
        raise ValidationFailed.on("source", "Choose manual, email, api or import (portal notes come from the portal).")
    text = clean_text(text)
    title = _clean_short(title, "title", 300)
    channel = _clean_short(channel, "channel", 80) or Source(source).label
    external_ref = _clean_short(external_ref, "external_ref", 255)
    values = {
        "source": source,
        "title": title,
        "text": text,
        "url": clean_url(url),
        "customer_name": _clean_short(customer_name, "customer_name", 200),
        "customer_email": clean_email(customer_email),
        "product": clean_product(workspace, product),
        "rating": clean_rating(rating),
        "received_at": _clean_received(received_at),
        "author": actor if getattr(actor, "pk", None) else None,
        "extra": extra or {},
    }
    if not isinstance(values["extra"], dict):
        raise ValidationFailed.on("extra", "Give an object.")
    company, contact = customer_match(workspace_id=workspace.pk, email=values["customer_email"])
    values["company"], values["contact"] = company, contact
    if contact is not None and not values["customer_name"]:
        values["customer_name"] = contact.name
    with transaction.atomic():
        note, created = _upsert(workspace, channel, external_ref, values)
        audit_record(
            actor=actor,
            workspace=workspace,
            action="note.create" if created else "note.update",
            target=note,
            changes={"channel": [None, note.channel]}
            | ({"external_ref": [None, external_ref]} if external_ref else {}),
        )
        themes_recount(workspace_id=workspace.pk, theme_ids=[note.theme_id, getattr(note, "previous_theme_id", None)])
    note.was_created = created  # type: ignore[attr-defined]
    return note


# --- email ----------------------------------------------------------------------------------------


def note_from_email(*, actor: Any, workspace: Workspace, raw: bytes) -> FeedbackNote:
    """A note from a raw email. A member forwarding a customer's message makes the customer the one
    who said it and the member its author; any other sender is the customer. The Message-ID is the
    reference, so the same email twice is one note."""
    permissions.require(actor, Action.FEEDBACK_ADD, workspace)
    parsed = parse_email(raw)
    sender_member = (
        Membership.objects.filter(workspace=workspace, user__email__iexact=parsed.sender_email)
        .select_related("user")
        .first()
    )
    author = actor if getattr(actor, "pk", None) else None
    extra: dict[str, Any] = {"from": parsed.sender_email}
    if sender_member is not None and parsed.original_email:
        author = sender_member.user
        customer_name, customer_email = parsed.original_name, parsed.original_email
        if parsed.forward_comment:
            extra["forwarded_with"] = parsed.forward_comment[:5000]
    else:
        customer_name, customer_email = parsed.sender_name, parsed.sender_email
        if parsed.original_email:  # a customer forwarding someone else's words: keep the whole body
            parsed.text = _body_fallback(raw)
    try:
        _email_validator(customer_email)
    except DjangoValidationError:
        customer_email = ""
    text = clean_text(parsed.text, "message")
    company, contact = customer_match(workspace_id=workspace.pk, email=customer_email)
    values = {
        "source": Source.EMAIL,
        "title": parsed.title,
        "text": text,
        "customer_name": (contact.name if contact and not customer_name else customer_name)[:200],
        "customer_email": customer_email,
        "company": company,
        "contact": contact,
        "received_at": parsed.received_at or timezone.now(),
        "author": author,
        "extra": extra,
    }
    with transaction.atomic():
        note, created = _upsert(workspace, EMAIL_CHANNEL, parsed.message_id, values)
        audit_record(
            actor=actor,
            workspace=workspace,
            action="note.create" if created else "note.update",
            target=note,
            changes={"channel": [None, EMAIL_CHANNEL], "from": [None, parsed.sender_email]},
        )
    note.was_created = created  # type: ignore[attr-defined]
    return note


def _body_fallback(raw: bytes) -> str:
    msg = email.message_from_bytes(bytes(raw), policy=email.policy.default)
    return body_text(msg).replace("\x00", "").strip()


# --- portal ideas ---------------------------------------------------------------------------------


def _idea_values(idea: Any, account: Any, member_ids: set[int]) -> dict[str, Any]:
    contact = idea.on_behalf_contact or (account.contact if account is not None else None)
    company = idea.on_behalf_company or (account.company if account is not None else None)
    if company is None and contact is not None:
        company = contact.company
    submitter = idea.submitter
    name = contact.name if contact is not None else (submitter.full_name if submitter is not None else "")
    address = contact.email if contact is not None else (submitter.email if submitter is not None else "")
    author = idea.entered_by or (submitter if submitter is not None and submitter.pk in member_ids else None)
    return {
        "source": Source.PORTAL,
        "channel": idea.portal.name[:80],
        "external_ref": f"idea-{idea.pk}",
        "title": idea.title[:300],
        "text": clean_text(idea.description.strip() or idea.title),
        "customer_name": (name or "")[:200],
        "customer_email": (address or "")[:254],
        "company_id": company.pk if company is not None else None,
        "contact_id": contact.pk if contact is not None else None,
        "product_id": idea.product_id,
        "received_at": idea.created_at,
        "author_id": author.pk if author is not None else None,
    }


def _ideas_queryset(workspace_id: int) -> Any:
    from headway.ideas.models import Idea

    return Idea.objects.filter(workspace_id=workspace_id).select_related(
        "portal", "submitter", "entered_by", "on_behalf_contact__company", "on_behalf_company"
    )


def _accounts(workspace_id: int, ideas: list[Any]) -> dict[tuple[int, int], Any]:
    from headway.ideas.models import PortalAccount

    users = {i.submitter_id for i in ideas if i.submitter_id}
    if not users:
        return {}
    rows = PortalAccount.objects.filter(workspace_id=workspace_id, user_id__in=users).select_related(
        "contact__company", "company"
    )
    return {(a.portal_id, a.user_id): a for a in rows}


def _mirror(workspace_id: int, ideas: list[Any]) -> int:
    """Create or update the notes of these ideas (archive those of deleted ones); the number changed."""
    accounts = _accounts(workspace_id, ideas)
    member_ids = set(Membership.objects.filter(workspace_id=workspace_id).values_list("user_id", flat=True))
    existing = {n.idea_id: n for n in FeedbackNote.objects.filter(idea__in=[i.pk for i in ideas])}
    new, changed, to_enrich = [], [], []
    for idea in ideas:
        note = existing.get(idea.pk)
        if idea.deleted_at is not None:
            if note is not None and note.state != NoteState.ARCHIVED:
                note.state = NoteState.ARCHIVED
                note.snoozed_until = None
                changed.append(note)
            continue
        values = _idea_values(idea, accounts.get((idea.portal_id, idea.submitter_id)), member_ids)
        if note is None:
            note = FeedbackNote(workspace_id=workspace_id, idea_id=idea.pk, **values)
            new.append(note)
            to_enrich.append(note)
            continue
        diff = {k: v for k, v in values.items() if getattr(note, k) != v}
        if diff:
            words = "title" in diff or "text" in diff
            for k, v in diff.items():
                setattr(note, k, v)
            changed.append(note)
            if words:
                to_enrich.append(note)
    notes_enrich(to_enrich)
    FeedbackNote.objects.bulk_create(new, batch_size=500)
    if changed:
        fields = [*_CONTENT_FIELDS, "channel", "external_ref", "author_id", "state", "snoozed_until", *_ENRICH_FIELDS]
        FeedbackNote.objects.bulk_update(changed, [f.removesuffix("_id") for f in fields], batch_size=500)
    return len(new) + len(changed)


def notes_from_portal(*, workspace: Workspace, progress: Any) -> int:
    """Mirror every portal idea of the workspace as a note (idempotent); the number of ideas mirrored."""
    ids = list(
        _ideas_queryset(workspace.pk).filter(deleted_at__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    deleted = list(
        _ideas_queryset(workspace.pk)
        .filter(deleted_at__isnull=False, insight_note__isnull=False)
        .values_list("pk", flat=True)
    )
    progress.start(len(ids))
    step = 1000
    for start in range(0, len(ids), step):
        chunk = ids[start : start + step]
        with transaction.atomic():
            _mirror(workspace.pk, list(_ideas_queryset(workspace.pk).filter(pk__in=chunk)))
        progress.advance(len(chunk))
    if deleted:
        with transaction.atomic():
            _mirror(workspace.pk, list(_ideas_queryset(workspace.pk).filter(pk__in=deleted)))
    themes_recount(workspace_id=workspace.pk)
    return len(ids)


def note_sync_idea(*, idea_id: int) -> FeedbackNote | None:
    """Bring one idea's note up to date (called after an idea is submitted, edited or deleted)."""
    from headway.ideas.models import Idea

    workspace_id = Idea.objects.filter(pk=idea_id).values_list("workspace_id", flat=True).first()
    if workspace_id is None:
        return None
    with transaction.atomic():
        _mirror(workspace_id, list(_ideas_queryset(workspace_id).filter(pk=idea_id)))
    note = FeedbackNote.objects.filter(idea_id=idea_id).first()
    if note is not None and note.theme_id is not None:
        themes_recount(workspace_id=workspace_id, theme_ids=[note.theme_id])
    return note
