"""What hangs off a feature: requirements, dependencies, comments and links.

Their audit entries are recorded on the feature itself (action ``requirement.create`` and so on,
target the feature), so the feature's history tells its whole story.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction

from headway.backlog.models import Feature, FeatureComment, FeatureDependency, FeatureLink, Requirement
from headway.backlog.services._common import check_fields, clean, created, field_error, reverting, save, text
from headway.core import permissions
from headway.core.audit import audit_record, diff, snapshot
from headway.core.errors import Conflict, ValidationFailed
from headway.core.ordering import lock_workspace, renumber
from headway.core.permissions import Action

REQUIREMENT_FIELDS = ["story", "acceptance_criteria", "done"]
MAX_REQUIREMENTS = 200
_url_validator = URLValidator(schemes=["http", "https"])


def _editable(actor: Any, feature: Feature, doing: str) -> None:
    permissions.require(actor, Action.FEATURE_EDIT, feature.workspace, feature)
    if feature.archived_at is not None:
        raise field_error(Conflict, "__all__", f"{feature.ref} is archived. Restore it before {doing}.")


def _short(value: str, limit: int = 80) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _lock_feature(feature: Feature) -> None:
    list(Feature.objects.select_for_update().filter(pk=feature.pk).values_list("pk"))


# --- requirements -----------------------------------------------------------------------------


@transaction.atomic
def requirement_add(
    *, actor: Any, feature: Feature, story: str, acceptance_criteria: str = "", done: bool = False
) -> Requirement:
    """A user story at the end of the feature's checklist."""
    _editable(actor, feature, "adding requirements")
    if not isinstance(done, bool):
        raise field_error(ValidationFailed, "done", "Give true or false.")
    _lock_feature(feature)
    count = feature.requirements.count()
    if count >= MAX_REQUIREMENTS:
        raise field_error(Conflict, "__all__", f"A feature holds at most {MAX_REQUIREMENTS} requirements.")
    requirement = Requirement(
        workspace_id=feature.workspace_id,
        feature=feature,
        position=count,
        story=text(story),
        acceptance_criteria=text(acceptance_criteria),
        done=done,
    )
    clean(requirement, exclude=["workspace", "feature"])
    requirement.save()
    audit_record(
        actor=actor,
        workspace=feature.workspace,
        action="requirement.create",
        target=feature,
        changes=created({"requirement": _short(requirement.story), "done": done or None}),
    )
    return requirement


@transaction.atomic
def requirement_update(*, actor: Any, requirement: Requirement, **fields: Any) -> Requirement:
    """Edit a requirement's story or criteria, or tick it off (``done=True``)."""
    feature = requirement.feature
    _editable(actor, feature, "changing its requirements")
    check_fields(fields, REQUIREMENT_FIELDS, "requirement", {"position": "Use requirement_move to reorder."})
    if "done" in fields and not isinstance(fields["done"], bool):
        raise field_error(ValidationFailed, "done", "Give true or false.")
    before = snapshot(requirement, REQUIREMENT_FIELDS)
    with reverting(requirement, REQUIREMENT_FIELDS):
        for name, value in fields.items():
            setattr(requirement, name, text(value))
        clean(requirement, exclude=["workspace", "feature"])
        changes = diff(before, snapshot(requirement, REQUIREMENT_FIELDS))
        if not changes:
            return requirement
        requirement.save(update_fields=[*changes, "updated_at"])
    audit_record(
        actor=actor,
        workspace=feature.workspace,
        action="requirement.update",
        target=feature,
        changes=({} if "story" in changes else {"requirement": [None, _short(requirement.story)]}) | changes,
    )
    return requirement


def _renumber(feature: Feature, ordered: list[Requirement]) -> None:
    Requirement.objects.bulk_update(renumber(ordered), ["position"])


@transaction.atomic
def requirement_move(*, actor: Any, requirement: Requirement, position: int) -> Requirement:
    """Put a requirement at ``position`` in its feature's checklist (0 = first; past the end = last)."""
    feature = requirement.feature
    _editable(actor, feature, "changing its requirements")
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise field_error(ValidationFailed, "position", "Give a whole number of 0 or more (0 = first).")
    _lock_feature(feature)
    items = list(feature.requirements.order_by("position", "id"))
    old = next((i for i, r in enumerate(items) if r.pk == requirement.pk), None)
    if old is None:
        raise Conflict("The requirement was deleted by someone else just now. Reload and try again.")
    moved = items.pop(old)
    items.insert(min(position, len(items)), moved)
    _renumber(feature, items)
    requirement.position = moved.position
    if old != requirement.position:
        audit_record(
            actor=actor,
            workspace=feature.workspace,
            action="requirement.move",
            target=feature,
            changes={"requirement": [None, _short(requirement.story)], "position": [old + 1, requirement.position + 1]},
        )
    return requirement


@transaction.atomic
def requirement_delete(*, actor: Any, requirement: Requirement) -> None:
    feature = requirement.feature
    _editable(actor, feature, "changing its requirements")
    _lock_feature(feature)
    audit_record(
        actor=actor,
        workspace=feature.workspace,
        action="requirement.delete",
        target=feature,
        changes={"requirement": [_short(requirement.story), None]},
    )
    requirement.delete()
    _renumber(feature, list(feature.requirements.order_by("position", "id")))


# --- dependencies -----------------------------------------------------------------------------


def _path_to(start: int, goal: int, workspace_id: int) -> list[int] | None:
    """Feature ids on a chain of "blocks" from ``start`` to ``goal``, or None (one query per level)."""
    parent: dict[int, int | None] = {start: None}
    frontier = {start}
    while frontier:
        edges = FeatureDependency.objects.filter(workspace_id=workspace_id, blocker_id__in=frontier).values_list(
            "blocker_id", "blocked_id"
        )
        following: set[int] = set()
        for blocker_id, blocked_id in edges:
            if blocked_id in parent:
                continue
            parent[blocked_id] = blocker_id
            if blocked_id == goal:
                path = [goal]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])  # type: ignore[arg-type]
                return list(reversed(path))
            following.add(blocked_id)
        frontier = following
    return None


@transaction.atomic
def dependency_add(*, actor: Any, blocker: Feature, blocked: Feature) -> FeatureDependency:
    """Record that ``blocker`` blocks ``blocked``. Refused when it would close a cycle; the message
    names it, e.g. "PAY-12 → PAY-15 → PAY-12". Either feature's editor may add it."""
    workspace = blocked.workspace
    permissions.require_member(actor, workspace)
    for name, feature in (("blocker", blocker), ("blocked", blocked)):
        if not isinstance(feature, Feature) or feature.workspace_id != workspace.pk:
            raise field_error(ValidationFailed, name, "Choose a feature of this workspace.")
    if not (
        permissions.can(actor, Action.FEATURE_EDIT, workspace, blocked)
        or permissions.can(actor, Action.FEATURE_EDIT, workspace, blocker)
    ):
        permissions.require(actor, Action.FEATURE_EDIT, workspace, blocked)
    if blocker.pk == blocked.pk:
        raise field_error(Conflict, "blocker", f"{blocker.ref} cannot block itself.")
    for name, feature in (("blocker", blocker), ("blocked", blocked)):
        if feature.archived_at is not None:
            raise field_error(Conflict, name, f"{feature.ref} is archived. Restore it first.")
    # The graph is checked and changed by one writer at a time: two edges added at once could
    # otherwise close a cycle that neither sees.
    lock_workspace(workspace)
    if FeatureDependency.objects.filter(blocker=blocker, blocked=blocked).exists():
        raise field_error(Conflict, "blocker", f"{blocker.ref} already blocks {blocked.ref}.")
    path = _path_to(blocked.pk, blocker.pk, workspace.pk)
    if path is not None:
        refs = {
            f.pk: f.ref
            for f in Feature.objects.select_related("product").filter(pk__in=path).only("number", "product__key")
        }
        cycle = " → ".join(refs[pk] for pk in [blocker.pk, *path])
        raise field_error(
            Conflict,
            "blocker",
            f"That would make a cycle: {cycle}. A feature cannot wait, even indirectly, on itself.",
        )
    dependency = FeatureDependency(workspace=workspace, blocker=blocker, blocked=blocked)
    save(
        dependency,
        lambda: field_error(Conflict, "blocker", f"{blocker.ref} already blocks {blocked.ref}."),
    )
    for target, change in ((blocked, {"blocked by": [None, blocker.ref]}), (blocker, {"blocks": [None, blocked.ref]})):
        audit_record(actor=actor, workspace=workspace, action="dependency.create", target=target, changes=change)
    return dependency


@transaction.atomic
def dependency_remove(*, actor: Any, dependency: FeatureDependency) -> None:
    blocker, blocked = dependency.blocker, dependency.blocked
    workspace = blocked.workspace
    permissions.require_member(actor, workspace)
    if not (
        permissions.can(actor, Action.FEATURE_EDIT, workspace, blocked)
        or permissions.can(actor, Action.FEATURE_EDIT, workspace, blocker)
    ):
        permissions.require(actor, Action.FEATURE_EDIT, workspace, blocked)
    dependency.delete()
    for target, change in ((blocked, {"blocked by": [blocker.ref, None]}), (blocker, {"blocks": [blocked.ref, None]})):
        audit_record(actor=actor, workspace=workspace, action="dependency.delete", target=target, changes=change)


# --- comments ---------------------------------------------------------------------------------


@transaction.atomic
def comment_add(*, actor: Any, feature: Feature, body: str) -> FeatureComment:
    """A comment (Markdown; shown sanitised). Contributors and up may comment, also on archived features."""
    permissions.require(actor, Action.COMMENT_ADD, feature.workspace, feature)
    comment = FeatureComment(workspace_id=feature.workspace_id, feature=feature, author=actor, body=text(body))
    clean(comment, exclude=["workspace", "feature", "author"])
    comment.save()
    audit_record(
        actor=actor,
        workspace=feature.workspace,
        action="comment.create",
        target=feature,
        changes={"comment": [None, _short(comment.body)]},
    )
    return comment


@transaction.atomic
def comment_delete(*, actor: Any, comment: FeatureComment) -> None:
    """Only the author deletes their own comment (and only while they may still comment)."""
    feature = comment.feature
    permissions.require(actor, Action.COMMENT_DELETE, feature.workspace, comment)
    audit_record(
        actor=actor,
        workspace=feature.workspace,
        action="comment.delete",
        target=feature,
        changes={"comment": [_short(comment.body), None]},
    )
    comment.delete()


# --- links ------------------------------------------------------------------------------------


@transaction.atomic
def link_add(*, actor: Any, feature: Feature, url: str, title: str = "") -> FeatureLink:
    """Attach a link (http or https) to a design, a spec or a ticket elsewhere."""
    _editable(actor, feature, "adding links")
    url = text(url)
    if not isinstance(url, str) or not url:
        raise field_error(ValidationFailed, "url", "Give the address, starting with https:// or http://.")
    try:
        _url_validator(url)
    except DjangoValidationError:
        raise field_error(
            ValidationFailed, "url", "Enter a full web address starting with https:// or http://."
        ) from None
    link = FeatureLink(workspace_id=feature.workspace_id, feature=feature, url=url, title=text(title))
    clean(link, exclude=["workspace", "feature"])
    link.save()
    audit_record(
        actor=actor,
        workspace=feature.workspace,
        action="link.create",
        target=feature,
        changes={"link": [None, link.title or link.url]},
    )
    return link


@transaction.atomic
def link_remove(*, actor: Any, link: FeatureLink) -> None:
    feature = link.feature
    _editable(actor, feature, "removing links")
    audit_record(
        actor=actor,
        workspace=feature.workspace,
        action="link.delete",
        target=feature,
        changes={"link": [link.title or link.url, None]},
    )
    link.delete()
