"""The two hot spots of the backlog pages, rendered in Python: the rows of the ranked list (100 per
page) and the cards of the board (up to 50 per column).

Written with the template language, a page of 100 rows cost about 80 ms of variable lookups and
number formatting (most of the 150 ms budget for a 5,000-feature backlog); this costs under 5 ms.
The markup is the same as a template would write, every value goes through ``escape``, and
tests/test_views.py checks the result. Everything around the rows stays in the templates.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_UP = '<svg class="i i-up" aria-hidden="true"><use href="#i-chevron"/></svg>'
_DOWN = '<svg class="i" aria-hidden="true"><use href="#i-chevron"/></svg>'
_DRAG = (
    '<span class="drag-handle" title="Drag to rank" aria-hidden="true">'
    + '<svg class="i"><use href="#i-drag"/></svg></span>'
)
_SPACER = '<span class="drag-spacer" aria-hidden="true"></span>'


def _effort(value: Decimal | None) -> str:
    if value is None:
        return '<span class="muted">–</span>'
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _truncate(value: str, length: int) -> str:
    return value if len(value) <= length else value[: length - 1] + "…"


def _owner(owner: Any) -> str:
    if owner is None:
        return (
            '<span class="owner muted"><span class="avatar avatar-none" aria-hidden="true">–</span>'
            '<span class="owner-name">No owner</span></span>'
        )
    name = escape(owner.display_name)
    return (
        f'<span class="owner" title="{name} · {escape(owner.email)}"><span class="avatar" aria-hidden="true">'
        f'{escape(owner.initials)}</span><span class="owner-name">{name}</span></span>'
    )


def _tags(feature: Any) -> str:
    return "".join(f'<span class="bl-tag">{escape(link.tag.name)}</span>' for link in feature.tag_list)


@register.simple_tag
def backlog_rows(features: Iterable[Any], prefix: str, can_edit: bool, offset: int = 0) -> SafeString:
    """``<li>`` rows of the ranked list; ``prefix`` is the features' URL path (``/w/acme/backlog/features/``)."""
    out = []
    for position, f in enumerate(features, start=offset + 1):
        ref = escape(f"{f.product.key}-{f.number}")
        url = f"{prefix}{f.pk}/"
        movable = can_edit and f.archived_at is None
        meta = '<span class="tag tag-archived">Archived</span>' if f.archived_at else ""
        meta += _tags(f)
        if f.initiative_id:
            meta += f'<span class="bl-initiative" title="Initiative">{escape(_truncate(f.initiative.title, 48))}</span>'
        if f.target_release:
            meta += f'<span class="muted small" title="Target release">→ {escape(f.target_release)}</span>'
        title = escape(f.title)
        move = (
            f'<button type="submit" form="bl-move" formaction="{url}move/" name="direction" value="up" '
            f'class="btn btn-sm" data-direction="up" aria-label="Move {ref} up" title="Move up">{_UP}</button>'
            f'<button type="submit" form="bl-move" formaction="{url}move/" name="direction" value="down" '
            f'class="btn btn-sm" data-direction="down" aria-label="Move {ref} down" title="Move down">{_DOWN}</button>'
            if movable
            else ""
        )
        move_url = f' data-move-url="{url}move/"' if movable else ""
        check = (
            f'<input type="checkbox" name="features" value="{f.pk}" form="bl-bulk" aria-label="Select {ref}">'
            if can_edit
            else ""
        )
        out.append(
            f'<li class="bl-row{" is-archived" if f.archived_at else ""}" id="feature-{f.pk}" data-id="{f.pk}" '
            f'data-ref="{ref}"{move_url}>'
            f'<span class="bl-cell-check">{check}</span>{_DRAG if movable else _SPACER}'
            f'<span class="bl-pos" aria-hidden="true">{position}</span>'
            f'<a class="product-key bl-ref" href="{url}" tabindex="-1" aria-hidden="true">{ref}</a>'
            f'<div class="bl-main"><a class="bl-title" href="{url}" aria-label="{ref} {title}">{title}</a>'
            f'<span class="bl-meta">{meta}</span></div>'
            f'<span class="tag tag-cat-{escape(f.status.category)}">{escape(f.status.name)}</span>'
            f"{_owner(f.owner)}"
            f'<span class="bl-effort" title="Effort">{_effort(f.effort)}</span>'
            f'<span class="bl-cell-move move-buttons">{move}</span></li>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped


@register.simple_tag
def board_cards(features: Iterable[Any], prefix: str, statuses: list[Any], csrf: str, query: str) -> SafeString:
    """``<li>`` cards of one board column; editable cards (``feature.can_edit``) carry a status menu."""
    out = []
    options = [(s.pk, escape(s.name)) for s in statuses]
    token = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf)}">'
    hidden = '<input type="hidden" name="next" value="board">'
    hidden += f'<input type="hidden" name="query" value="{escape(query)}">'
    for f in features:
        ref = escape(f"{f.product.key}-{f.number}")
        url = f"{prefix}{f.pk}/"
        title = escape(f.title)
        effort = f'<span class="bd-effort" title="Effort">{_effort(f.effort)}</span>' if f.effort is not None else ""
        owner = (
            f'<span class="avatar bd-avatar" title="{escape(f.owner.display_name)}" '
            f'aria-label="Owner {escape(f.owner.display_name)}">{escape(f.owner.initials)}</span>'
            if f.owner
            else ""
        )
        tags = f'<div class="bd-tags">{_tags(f)}</div>' if f.tag_list else ""
        menu = ""
        if getattr(f, "can_edit", False):
            choices = "".join(
                f'<option value="{pk}"{" selected" if pk == f.status_id else ""}>{name}</option>'
                for pk, name in options
            )
            menu = (
                f'<form method="post" action="{url}status/" class="bd-status">{token}{hidden}'
                f'<select name="status" aria-label="Status of {ref}">{choices}</select>'
                f'<noscript><button class="btn btn-sm" type="submit">Set</button></noscript></form>'
            )
        editable = getattr(f, "can_edit", False)
        status_url = f' data-status-url="{url}status/"' if editable else ""
        out.append(
            f'<li class="bd-card" id="card-{f.pk}" data-id="{f.pk}" data-ref="{ref}"{status_url}>'
            f'<div class="bd-card-head"><a class="product-key" href="{url}" tabindex="-1" aria-hidden="true">{ref}</a>'
            f"{effort}{owner}</div>"
            f'<a class="bd-title" href="{url}" aria-label="{ref} {title}">{title}</a>{tags}{menu}</li>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped
