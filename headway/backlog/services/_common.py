"""Helpers shared by the backlog services: field errors, clean/save, resolving references."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction

from headway.accounts.models import User
from headway.core.errors import Conflict, HeadwayError, NotFound, ValidationFailed
from headway.workspaces.models import Membership, Workspace

EFFORT_MAX = Decimal("999999.99")


class _Unset:
    """A keyword left out (as opposed to ``None``, which clears a value)."""

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()


def field_error(cls: type[HeadwayError], field: str, message: str) -> HeadwayError:
    """An error about one field; the message names it (``"status: Choose …"``) as other apps do."""
    prefix = "" if field == "__all__" else f"{field}: "
    return cls(f"{prefix}{message}", fields={field: [message]})


def clean(instance: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """Field rules via ``full_clean``; uniqueness and constraints are left to the database."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationFailed.from_django(exc) from exc


def save(instance: models.Model, duplicate: Callable[[], HeadwayError | None], **save_kwargs: Any) -> None:
    """Save; a unique-constraint violation becomes the error ``duplicate`` finds (it names the field)."""
    try:
        with transaction.atomic():
            instance.save(**save_kwargs)
    except IntegrityError as exc:
        error = duplicate()
        if error is not None:
            raise error from exc
        raise Conflict("The change conflicts with another change saved at the same time. Try again.") from exc


def check_fields(fields: dict[str, Any], allowed: Iterable[str], entity: str, hints: dict[str, str]) -> None:
    allowed = list(allowed)
    unknown = [name for name in fields if name not in allowed]
    if unknown:
        name = unknown[0]
        reason = hints.get(name, f"Not a field you can change on a {entity}; use one of {', '.join(allowed)}.")
        raise ValidationFailed(f"{name}: {reason}", fields={n: [hints.get(n, reason)] for n in unknown})


@contextmanager
def reverting(instance: models.Model, fields: list[str]) -> Iterator[None]:
    """If an edit is refused, the caller's object shows the stored values again, not the rejected ones."""
    try:
        yield
    except HeadwayError:
        instance.refresh_from_db(fields=fields)
        raise


def created(values: dict[str, Any]) -> dict[str, list[Any]]:
    """A new object's audit changes: every field that holds something, as ``[None, value]``."""
    return {name: [None, value] for name, value in values.items() if value not in ("", None, [])}


def text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def resolve_member(workspace: Workspace | int, user: User | int | None, field: str = "owner") -> User | None:
    """A person of this workspace (any role), given as a user or a user id; None stays None."""
    if user is None:
        return None
    if isinstance(user, bool) or not isinstance(user, User | int):
        raise field_error(ValidationFailed, field, "Give a user or a user id.")
    user_id = user if isinstance(user, int) else user.pk
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    membership = Membership.objects.select_related("user").filter(workspace_id=workspace_id, user_id=user_id).first()
    if membership is None:
        raise field_error(NotFound, field, f"User {user_id} is not a member of this workspace.")
    return membership.user


def parse_effort(value: Any) -> Decimal | None:
    """An estimate: empty for "not estimated", else a number ≥ 0 with at most two decimals."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise field_error(ValidationFailed, "effort", "Give a number such as 3 or 2.5, or leave it empty.")
    try:
        effort = Decimal(str(value).strip())
    except InvalidOperation:
        raise field_error(ValidationFailed, "effort", f"“{value}” is not a number.") from None
    if not effort.is_finite():
        raise field_error(ValidationFailed, "effort", f"“{value}” is not a number.")
    if effort < 0:
        raise field_error(ValidationFailed, "effort", "Effort cannot be negative.")
    if effort > EFFORT_MAX:
        raise field_error(ValidationFailed, "effort", f"Effort may be at most {EFFORT_MAX}.")
    if effort != effort.quantize(Decimal("0.01")):
        raise field_error(ValidationFailed, "effort", "Use at most two decimals.")
    return effort.quantize(Decimal("0.01"))


def same_workspace(obj: Any, model: type[models.Model], workspace_id: int, field: str, what: str) -> None:
    """``obj`` must be a ``model`` of this workspace (never reveal another workspace's object)."""
    if not isinstance(obj, model) or getattr(obj, "workspace_id", None) != workspace_id:
        raise field_error(ValidationFailed, field, f"Choose {what} of this workspace.")
