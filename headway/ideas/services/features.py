"""From idea to backlog: promote an idea to a feature, link ideas to features, and let linked
ideas follow their feature's status (which notifies the people who asked).

Many ideas may point at one feature (``Idea.feature``). A merged idea keeps its link. When a
feature's status changes, the backlog services call ``ideas_follow_feature``; every linked idea
that is neither deleted nor merged moves to the idea status mapped from the feature's new
workflow status (``FeatureStatusMapping``, else a default by category, see
``idea_status_for_feature_status``), through the same status-change logic as a PM's change, so
the usual STATUS_CHANGED / SHIPPED events and notifications follow.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from headway.backlog.models import Feature, WorkflowStatus
from headway.backlog.models import StatusCategory as FeatureCategory
from headway.core import permissions
from headway.core.audit import audit_record
from headway.core.errors import Conflict, NotFound, ValidationFailed
from headway.core.permissions import Action
from headway.ideas.events import record_event
from headway.ideas.models import FeatureStatusMapping, Idea, IdeaEvent, IdeaStatus, StatusCategory
from headway.ideas.services._common import field_error, resolve
from headway.portfolio.models import Product

# Without an explicit mapping: the idea status category a feature's workflow category leads to
# (none: the ideas stay where they are, e.g. a feature in discovery or parked).
DEFAULT_FOLLOW = {
    FeatureCategory.NOT_STARTED: None,
    FeatureCategory.ACTIVE: StatusCategory.IN_PROGRESS,
    FeatureCategory.DONE: StatusCategory.SHIPPED,
    FeatureCategory.CLOSED: None,
}


def _label(idea: Idea) -> str:
    return f"#{idea.pk} “{idea.title}”"


def _idea(actor: Any, idea: Any) -> Idea:
    """Check the actor may manage ideas here, then lock and re-read the idea."""
    permissions.require(actor, Action.IDEA_MANAGE, getattr(idea, "workspace_id", None))
    if not isinstance(idea, Idea):  # pragma: no cover - require() already refused a non-idea
        raise field_error(NotFound, "idea", "Choose an idea of this workspace.")
    locked = Idea.objects.select_for_update().filter(pk=idea.pk).first()
    if locked is None:
        raise NotFound("No idea matches that id in this workspace.")
    return locked


def _usable(idea: Idea, doing: str) -> None:
    if idea.deleted_at is not None:
        raise field_error(Conflict, "idea", f"Idea {_label(idea)} is deleted; restore it before {doing} it.")
    if idea.merged_into_id is not None:
        raise field_error(
            Conflict,
            "idea",
            f"Idea {_label(idea)} is merged into #{idea.merged_into_id}; use that idea instead.",
        )


def _feature(workspace_id: int, value: Any) -> Feature:
    feature = resolve(Feature, value, workspace_id, "feature", "a feature")
    if feature is None:
        raise field_error(ValidationFailed, "feature", "Choose a feature of this workspace.")
    if feature.archived_at is not None:
        raise field_error(Conflict, "feature", f"{feature.ref} is archived; restore it or choose another feature.")
    return feature


def _md_text(value: str) -> str:
    """Text safe inside a markdown link label."""
    for char in "\\[]*_`<>":
        value = value.replace(char, "\\" + char)
    return value


def idea_links(idea: Idea) -> tuple[str, str]:
    """The idea's absolute addresses: its staff page, and its page in the portal."""
    staff = reverse("ideas:idea", kwargs={"ws": idea.workspace.slug, "pk": idea.pk})
    portal = reverse("portal:idea", kwargs={"portal": idea.portal.slug, "pk": idea.pk})
    return f"{settings.HEADWAY_BASE_URL}{staff}", f"{settings.HEADWAY_BASE_URL}{portal}"


def promoted_description(idea: Idea) -> str:
    """A new feature's description: where it came from (with links back) and the idea, quoted."""
    staff, portal = idea_links(idea)
    votes = "1 vote" if idea.vote_count == 1 else f"{idea.vote_count} votes"
    lines = [
        f"Promoted from the idea [#{idea.pk} {_md_text(idea.title)}]({staff}) "
        f"([in the portal {_md_text(idea.portal.name)}]({portal}); {votes}, demand {idea.demand}).",
    ]
    if idea.description.strip():
        lines.append("")
        lines += [f"> {line}".rstrip() for line in idea.description.strip().splitlines()]
    return "\n".join(lines)


def _link(actor: Any, idea: Idea, feature: Feature | None, action: str) -> None:
    old = idea.feature
    idea.feature = feature
    idea.updated_at = timezone.now()
    Idea.objects.filter(pk=idea.pk).update(feature=feature, updated_at=idea.updated_at)
    if feature is not None:
        record_event(
            idea=idea,
            kind=IdeaEvent.Kind.LINKED,
            actor=actor,
            payload={"feature": feature.pk, "ref": feature.ref},
        )
    audit_record(
        actor=actor,
        workspace=idea.workspace,
        action=action,
        target=idea,
        changes={"feature": [str(old) if old else None, str(feature) if feature else None]},
    )


@transaction.atomic
def idea_promote(*, actor: Any, idea: Idea, product: Product | int | None = None, title: str | None = None) -> Feature:
    """Create a feature from the idea (at the bottom of the product's backlog) and link the idea.

    ``product`` defaults to the idea's product; ``title`` to the idea's title. The description
    quotes the idea and links back to it. Needs IDEA_MANAGE and the right to add features to the
    product (FEATURE_EDIT: leaders, or the PM who owns it). An idea already linked is refused:
    unlink it first, or link more ideas to its feature.
    """
    from headway.backlog.services import feature_create

    locked = _idea(actor, idea)
    _usable(locked, "promoting")
    if locked.feature_id is not None:
        raise field_error(
            Conflict, "idea", f"Idea {_label(locked)} is already linked to {locked.feature}; unlink it first."
        )
    product = resolve(Product, product, locked.workspace_id, "product", "a product") or locked.product
    if product is None:
        raise field_error(ValidationFailed, "product", "The idea has no product: choose the product of the feature.")
    permissions.require(actor, Action.FEATURE_EDIT, locked.workspace_id, product)
    feature = feature_create(
        actor=actor,
        workspace=locked.workspace,
        product=product,
        title=locked.title if title is None else title,
        description=promoted_description(locked),
    )
    _link(actor, locked, feature, "idea.promote")
    idea.refresh_from_db()
    return feature


@transaction.atomic
def idea_link_feature(*, actor: Any, idea: Idea, feature: Feature | int) -> Idea:
    """Link the idea to an existing feature (many ideas may share one); relinking moves it.
    Needs IDEA_MANAGE; the feature must be of the workspace and not archived."""
    locked = _idea(actor, idea)
    target = _feature(locked.workspace_id, feature)
    _usable(locked, "linking")
    if locked.feature_id != target.pk:
        _link(actor, locked, target, "idea.link_feature")
    idea.refresh_from_db()
    return idea


@transaction.atomic
def idea_unlink_feature(*, actor: Any, idea: Idea) -> Idea:
    """Remove the idea's link to its feature (nothing happens when it has none). Needs IDEA_MANAGE."""
    locked = _idea(actor, idea)
    if locked.feature_id is not None:
        _link(actor, locked, None, "idea.unlink_feature")
    idea.refresh_from_db()
    return idea


# --- following the feature's status -----------------------------------------------------------


def idea_status_for_feature_status(status: WorkflowStatus) -> IdeaStatus | None:
    """The idea status a feature entering ``status`` moves its ideas to, or None (no change).

    An explicit ``FeatureStatusMapping`` row wins; otherwise by the workflow category: active →
    the first idea status in "in progress", done → the first in "shipped", anything else → none.
    """
    row = FeatureStatusMapping.objects.filter(feature_status_id=status.pk).select_related("idea_status").first()
    if row is not None:
        return row.idea_status
    category = DEFAULT_FOLLOW.get(status.category)  # type: ignore[call-overload]
    if category is None:
        return None
    return (
        IdeaStatus.objects.filter(workspace_id=status.workspace_id, category=category)
        .order_by("position", "id")
        .first()
    )


def _apply_status(actor: Any, idea: Idea, status: IdeaStatus) -> None:
    """The status change of a PM, for the system following a feature: no permission re-checked."""
    from headway.ideas.services.ideas import _status_change_apply

    _status_change_apply(actor=actor, idea=idea, status=status, message="")


def ideas_follow_features(*, actor: Any, features: Iterable[Feature]) -> int:
    """``ideas_follow_feature`` for many features (the backlog's bulk edit); one query finds the
    features that have linked ideas at all."""
    features = list(features)
    linked = set(
        Idea.objects.filter(feature_id__in=[f.pk for f in features], deleted_at__isnull=True, merged_into__isnull=True)
        .values_list("feature_id", flat=True)
        .distinct()
    )
    return sum(ideas_follow_feature(actor=actor, feature=f) for f in features if f.pk in linked)


@transaction.atomic
def ideas_follow_feature(*, actor: Any, feature: Feature) -> int:
    """Move the feature's linked ideas (not deleted, not merged) to the idea status its current
    workflow status maps to; returns how many ideas changed (ideas already there are left alone).

    Called by the backlog services after a feature's status changed (they checked the actor may
    edit the feature). The system follows the feature: the actor is recorded as the one who made
    the change, but needs no right over ideas (a contributor cannot change a feature's status
    anyway, and a PM who owns the feature holds IDEA_MANAGE).
    """
    ideas = list(
        Idea.objects.select_for_update()
        .filter(feature_id=feature.pk, deleted_at__isnull=True, merged_into__isnull=True)
        .order_by("pk")
    )
    if not ideas:  # the usual case: one query
        return 0
    status = idea_status_for_feature_status(feature.status)
    if status is None:
        return 0
    changing = [idea for idea in ideas if idea.status_id != status.pk]
    for idea in changing:
        _apply_status(actor, idea, status)
    return len(changing)
