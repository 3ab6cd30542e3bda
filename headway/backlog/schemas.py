"""API shapes for the backlog: strict inputs that say exactly what the server accepts, explicit outputs.

Effort travels as a decimal string (``"2.50"``) in responses; requests may send a JSON number
(``2.5``) or a decimal string, at most two decimals, 0 to 999999.99, or null for "not estimated".
In PATCH bodies a field left out is unchanged; null is accepted only where it clears a value
(``owner_id``, ``component_id``, ``initiative_id``, ``effort``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models.functions import Lower
from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, PlainValidator, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from headway.backlog.services._common import EFFORT_MAX, parse_effort
from headway.core.api import MAX_PAGE, MAX_PAGE_SIZE, Id, Matching, StrictIn
from headway.core.errors import ValidationFailed

CategoryName = Literal["not_started", "active", "done", "closed"]
EffortUnitName = Literal["points", "person_weeks"]
FeatureOrdering = Literal["rank", "-created_at", "created_at", "-updated_at", "updated_at", "title"]

EFFORT_PATTERN = r"^\d{1,6}(\.\d{1,2})?$"
_EFFORT_RE = re.compile(EFFORT_PATTERN)


def _effort(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError('Send effort as a number or a decimal string such as "2.5".')
    if isinstance(value, str) and not _EFFORT_RE.match(value):
        raise ValueError('Send effort as a decimal string with at most 2 decimals, such as "2.5".')
    try:
        return parse_effort(value)
    except ValidationFailed as exc:
        raise ValueError(exc.fields["effort"][0]) from exc


Effort = Annotated[
    Decimal | None,
    PlainValidator(_effort),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": EFFORT_PATTERN, "examples": ["2.5"]},
                {"type": "number", "minimum": 0, "maximum": float(EFFORT_MAX), "multipleOf": 0.01},
                {"type": "null"},
            ],
            "description": "An estimate in the workspace's unit (points or person-weeks), ≥ 0, at most 2 decimals; "
            "null for not estimated.",
        }
    ),
]


# Something besides spaces, since the services trim text. Spelled out rather than "\S" because the
# engines differ on what a space is (JSON Schema's ECMAScript regex, pydantic's Rust regex and
# Python's str.strip): the class leaves out every character any of them treats as a space.
NOT_BLANK = r"[^\s\x1c-\x1f\x85\ufeff]"


def _text(max_length: int, *, required: bool = True) -> Any:
    return Field(min_length=1, max_length=max_length, pattern=NOT_BLANK) if required else Field(max_length=max_length)


Title = Annotated[str, _text(200)]
TagName = Annotated[str, _text(40)]
StatusName = Annotated[str, _text(40)]
Description = Annotated[str, Field(max_length=50_000, description="Markdown.")]
Release = Annotated[str, Field(max_length=100, description="Free text until releases exist, e.g. “2026.3”.")]
# A web address the server's URL check accepts in full (the check also allows more, such as
# "localhost"; the API takes this well-defined part): http(s), a host name with a top-level
# domain, an optional port, then path, query and fragment made of the characters RFC 3986 allows
# there (others percent-encoded). Label lengths keep the host within the 253-character limit.
_URI_CHAR = r"([A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
URL_PATTERN = (
    r"^https?://([A-Za-z0-9]([A-Za-z0-9-]{0,40}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,63}(:[0-9]{1,5})?"
    rf"(/({_URI_CHAR}|/)*)?(\?({_URI_CHAR}|[/?])*)?(#({_URI_CHAR}|[/?])*)?$"
)
Url = Annotated[
    str,
    Field(max_length=2000, description="A web address such as https://example.com/spec."),
    Matching(URL_PATTERN, "Enter a full web address starting with https:// or http://.", format="uri"),
]


def _integral(value: Any) -> Any:
    """JSON Schema's integer admits 3.0; strict pydantic does not (StrictIn converts top-level fields only)."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


# An id inside a list (objective_ids, feature_ids).
IdItem = Annotated[int, Field(ge=1, le=2**63 - 1), BeforeValidator(_integral)]


def _not_in_schema(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _optional() -> Any:
    """Optional in a PATCH body, never null: leave the field out to keep its value."""
    return Field(default=None, json_schema_extra=_not_in_schema)


# --- output -----------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    email: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return obj.display_name


class FeatureOut(Schema):
    id: int
    ref: str = Field(description="Product key and number, such as PAY-12.")
    number: int
    product_id: int
    title: str
    description: str
    component_id: int | None
    initiative_id: int | None
    objective_ids: list[int]
    owner_id: int | None
    owner: PersonOut | None
    status_id: int
    status: str
    status_category: CategoryName
    effort: str | None = Field(description='Decimal string such as "2.50"; null when not estimated.')
    target_release: str
    tags: list[str]
    rank: str = Field(description="Sorts the product's backlog (ascending); opaque.")
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_status(obj: Any) -> str:
        return obj.status.name

    @staticmethod
    def resolve_status_category(obj: Any) -> str:
        return obj.status.category

    @staticmethod
    def resolve_effort(obj: Any) -> str | None:
        return None if obj.effort is None else f"{obj.effort:.2f}"

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        links = getattr(obj, "tag_list", None)
        if links is None:
            links = obj.tag_links.select_related("tag").order_by(Lower("tag__name"), "tag_id")
        return [link.tag.name for link in links]

    @staticmethod
    def resolve_objective_ids(obj: Any) -> list[int]:
        return sorted(link.objective_id for link in obj.objective_links.all())


class StatusOut(Schema):
    id: int
    name: str
    category: CategoryName
    position: int
    is_default: bool


class SettingsOut(Schema):
    effort_unit: EffortUnitName


class RequirementOut(Schema):
    id: int
    feature_id: int
    position: int
    story: str
    acceptance_criteria: str
    done: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class DependencyOut(Schema):
    id: int
    blocker_id: int
    blocker_ref: str
    blocked_id: int
    blocked_ref: str
    created_at: dt.datetime

    @staticmethod
    def resolve_blocker_ref(obj: Any) -> str:
        return obj.blocker.ref

    @staticmethod
    def resolve_blocked_ref(obj: Any) -> str:
        return obj.blocked.ref


class DependenciesOut(Schema):
    blocked_by: list[DependencyOut]
    blocks: list[DependencyOut]


class CommentOut(Schema):
    id: int
    feature_id: int
    author_id: int | None
    author_name: str
    body: str = Field(description="Markdown as written.")
    created_at: dt.datetime

    @staticmethod
    def resolve_author_name(obj: Any) -> str:
        return obj.author.display_name if obj.author else ""


class LinkOut(Schema):
    id: int
    feature_id: int
    url: str
    title: str
    created_at: dt.datetime


class StatusChangeOut(Schema):
    from_status_id: int | None
    from_status: str | None
    to_status_id: int
    to_status: str
    to_category: CategoryName
    actor_id: int | None
    changed_at: dt.datetime

    @staticmethod
    def resolve_from_status(obj: Any) -> str | None:
        return obj.from_status.name if obj.from_status else None

    @staticmethod
    def resolve_to_status(obj: Any) -> str:
        return obj.to_status.name

    @staticmethod
    def resolve_to_category(obj: Any) -> str:
        return obj.to_status.category


class TagOut(Schema):
    id: int
    name: str


class FiltersOut(Schema):
    product: int | None = None
    initiative: int | None = None
    objective: int | None = None
    owner: int | None = None
    status: int | None = None
    category: CategoryName | None = None
    tag: int | None = None
    search: str | None = None
    include_archived: bool | None = None


class SavedViewOut(Schema):
    id: int
    name: str
    owner_id: int
    shared: bool
    filters: FiltersOut
    created_at: dt.datetime
    updated_at: dt.datetime


class BulkOut(Schema):
    updated: int = Field(description="How many features changed (unchanged ones are not counted).")


# --- input ------------------------------------------------------------------------------------


class FeatureQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
    product_id: Id | None = None
    initiative_id: int | None = Field(None, ge=0, le=2**63 - 1, description="0: features without an initiative")
    objective_id: int | None = Field(None, ge=0, le=2**63 - 1, description="0: features serving no objective")
    owner_id: int | None = Field(None, ge=0, le=2**63 - 1, description="0: features without an owner")
    status_id: Id | None = None
    category: CategoryName | None = None
    tag: Annotated[str, Field(max_length=40, description="A tag name (case-insensitive)")] = ""
    search: Annotated[str, Field(max_length=200, description="Words in the title or description, or a ref")] = ""
    include_archived: bool = False
    ordering: FeatureOrdering = "rank"


class FeatureIn(StrictIn):
    product_id: Id
    title: Title
    description: Description = ""
    component_id: Id | None = None
    initiative_id: Id | None = None
    objective_ids: list[IdItem] = Field(default_factory=list, max_length=20)
    owner_id: Id | None = None
    status_id: Id | None = Field(None, description="Default: the workflow's default status.")
    effort: Effort = None
    target_release: Release = ""
    tags: list[TagName] = Field(default_factory=list, max_length=20, description="Tag names; new ones are created.")


class FeaturePatch(StrictIn):
    product_id: Id = Field(  # type: ignore[assignment]
        None,
        description="Move to another product: the feature gets the next number there and goes to the bottom.",
        json_schema_extra=_not_in_schema,
    )
    title: Title = _optional()
    description: Description = _optional()
    component_id: Id | None = None
    initiative_id: Id | None = None
    objective_ids: list[IdItem] = Field(None, max_length=20, json_schema_extra=_not_in_schema)  # type: ignore[arg-type]
    owner_id: Id | None = None
    status_id: Id = _optional()
    effort: Effort = None
    target_release: Release = _optional()
    tags: list[TagName] = Field(None, max_length=20, json_schema_extra=_not_in_schema)  # type: ignore[arg-type]


class MoveIn(StrictIn):
    """Where to put the feature: right before ``before`` or right after ``after`` (features of the same
    product). With both, ``after`` decides and ``before`` must rank below it."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [{"required": ["before"]}, {"required": ["after"]}]})

    before: Id = _optional()
    after: Id = _optional()

    @model_validator(mode="after")
    def _somewhere(self) -> MoveIn:
        if self.before is None and self.after is None:
            raise PydanticCustomError("missing", "Say where to move it: give before or after (a feature id).")
        return self


class BulkIn(StrictIn):
    """Features to change, and at least one change: a field left out keeps its value."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": [name]} for name in ("status_id", "owner_id", "initiative_id", "add_tags", "remove_tags")
            ]
        }
    )

    feature_ids: list[IdItem] = Field(min_length=1, max_length=500)
    status_id: Id = _optional()
    owner_id: Id | None = Field(None, description="null removes the owner")
    initiative_id: Id | None = Field(None, description="null removes the initiative")
    add_tags: list[TagName] = Field(None, min_length=1, max_length=20, json_schema_extra=_not_in_schema)  # type: ignore[arg-type]
    remove_tags: list[TagName] = Field(None, min_length=1, max_length=20, json_schema_extra=_not_in_schema)  # type: ignore[arg-type]

    @model_validator(mode="after")
    def _some_change(self) -> BulkIn:
        if not self.model_fields_set & {"status_id", "owner_id", "initiative_id", "add_tags", "remove_tags"}:
            raise PydanticCustomError(
                "missing", "Choose a change: status_id, owner_id, initiative_id, add_tags or remove_tags."
            )
        return self


class StatusIn(StrictIn):
    name: StatusName
    category: CategoryName
    is_default: bool = False


class StatusPatch(StrictIn):
    name: StatusName = _optional()
    category: CategoryName = _optional()
    is_default: Literal[True] = Field(  # type: ignore[assignment]
        None,  # type: ignore[arg-type]
        description="true makes this the default status",
        json_schema_extra=_not_in_schema,
    )


class PositionIn(StrictIn):
    position: int = Field(ge=0, le=2**31 - 1, description="0 = first; a position past the end means last")


class SettingsIn(StrictIn):
    effort_unit: EffortUnitName


class RequirementIn(StrictIn):
    story: Annotated[str, _text(2000)]
    acceptance_criteria: Annotated[str, Field(max_length=20_000)] = ""
    done: bool = False


class RequirementPatch(StrictIn):
    story: Annotated[str, _text(2000)] = _optional()
    acceptance_criteria: Annotated[str, Field(max_length=20_000)] = _optional()
    done: bool = _optional()


class DependencyIn(StrictIn):
    """Exactly one of: ``blocked_by`` (this feature waits for that one) or ``blocks`` (that one waits for this)."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["blocked_by"]}, {"required": ["blocks"]}]})

    blocked_by: Id = _optional()
    blocks: Id = _optional()

    @model_validator(mode="after")
    def _exactly_one(self) -> DependencyIn:
        if (self.blocked_by is None) == (self.blocks is None):
            raise PydanticCustomError("missing", "Give exactly one of blocked_by or blocks (a feature id).")
        return self


class CommentIn(StrictIn):
    body: Annotated[str, _text(20_000)] = Field(description="Markdown.")


class LinkIn(StrictIn):
    url: Url
    title: Annotated[str, Field(max_length=200)] = ""


class FiltersIn(StrictIn):
    product: Id | None = None
    initiative: int | None = Field(None, ge=0, le=2**63 - 1)
    objective: int | None = Field(None, ge=0, le=2**63 - 1)
    owner: int | None = Field(None, ge=0, le=2**63 - 1)
    status: Id | None = None
    category: CategoryName | None = None
    tag: Id | None = None
    search: Annotated[str, Field(max_length=200)] | None = None
    include_archived: bool | None = None


class SavedViewIn(StrictIn):
    name: Annotated[str, _text(80)]
    filters: FiltersIn = Field(default_factory=lambda: FiltersIn())  # type: ignore[call-arg]
    shared: bool = False


class SavedViewPatch(StrictIn):
    name: Annotated[str, _text(80)] = _optional()
    filters: FiltersIn = _optional()
    shared: bool = _optional()
