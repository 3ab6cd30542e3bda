"""API shapes for portals and ideas: strict inputs that say exactly what the server accepts, explicit outputs.

Ids in bodies and queries end in ``_id`` (``portal_id``, ``status_id``, ``company_id``), as in every
other app. Demand travels as a decimal string (``"12.00"``). In PATCH bodies a field left out is
unchanged; null is accepted only where it clears a value (``product_id``, ``category_id``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from headway.backlog.schemas import NOT_BLANK, FeatureOut, IdItem, PersonOut
from headway.core.api import MAX_PAGE, Id, Matching, StrictIn

VisibilityName = Literal["public", "private", "internal", "submit_only"]
AudienceName = Literal["customer", "partner", "internal"]
StatusCategoryName = Literal["new", "under_review", "planned", "in_progress", "shipped", "declined", "duplicate"]
ImportanceName = Literal["nice_to_have", "important", "critical"]
ApprovalName = Literal["approved", "pending", "rejected"]
IdeaSort = Literal["votes", "demand", "newest", "trending"]
EventKindName = Literal[
    "idea.created", "idea.approved", "idea.voted", "idea.unvoted", "idea.status_changed", "idea.shipped",
    "idea.commented", "idea.official_reply", "idea.merged", "idea.unmerged", "idea.linked", "idea.updated",
    "idea.deleted",
]  # fmt: skip

MAX_IDEA_PAGE_SIZE = 100

SLUG_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$"
ACCENT_PATTERN = r"^#[0-9a-fA-F]{6}$"
DOMAIN_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"

PortalName = Annotated[str, Field(min_length=1, max_length=100, pattern=NOT_BLANK)]
PortalSlug = Annotated[
    str,
    Field(max_length=50, description="The portal lives at /p/<slug>/; unique across the installation."),
    Matching(SLUG_PATTERN, "Use lower-case letters, digits and dashes (up to 50 characters).", examples=["feedback"]),
]
AccentColor = Annotated[str, Matching(ACCENT_PATTERN, "Use a colour such as #4f46e5.", examples=["#4f46e5"])]
DomainName = Annotated[
    str,
    Field(max_length=253),
    Matching(
        DOMAIN_PATTERN, "Enter a domain such as example.com (lower-case, no @ or http://).", examples=["example.com"]
    ),
]
Intro = Annotated[str, Field(max_length=20_000, description="Markdown, shown at the top of the portal.")]
Title = Annotated[str, Field(min_length=3, max_length=200, pattern=NOT_BLANK, description="3 to 200 characters.")]
Description = Annotated[str, Field(max_length=20_000, description="Markdown.")]
Message = Annotated[
    str, Field(max_length=5_000, description="Optional public message (markdown) to the people following the idea.")
]


def _not_in_schema(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _optional() -> Any:
    """Optional in a PATCH body, never null: leave the field out to keep its value."""
    return Field(default=None, json_schema_extra=_not_in_schema)


# --- output -----------------------------------------------------------------------------------


class PortalOut(Schema):
    id: int
    name: str
    slug: str
    intro: str
    accent_color: str
    visibility: VisibilityName
    allowed_domains: list[str] = Field(description="Email domains that may join a private portal.")
    require_approval: bool
    product_ids: list[int]
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_allowed_domains(obj: Any) -> list[str]:
        return obj.domains

    @staticmethod
    def resolve_product_ids(obj: Any) -> list[int]:
        return sorted(link.product_id for link in obj.portal_products.all())


class IdeaStatusBrief(Schema):
    id: int
    name: str
    public_label: str = Field(description="What the portal shows.")
    category: StatusCategoryName


class IdeaRef(Schema):
    id: int
    title: str


class IdeaCompany(Schema):
    id: int
    name: str


class IdeaContact(Schema):
    id: int
    name: str
    email: str


class IdeaOut(Schema):
    id: int
    portal_id: int
    title: str
    description: str = Field(description="Markdown as written.")
    product_id: int | None
    category_id: int | None
    category: str | None
    status: IdeaStatusBrief
    submitter: PersonOut | None
    on_behalf_contact: IdeaContact | None
    on_behalf_company: IdeaCompany | None
    entered_by_id: int | None = Field(description="The member who filed it on someone's behalf.")
    audience: AudienceName
    approval: ApprovalName
    feature_id: int | None
    merged_into: IdeaRef | None
    vote_count: int
    demand: str = Field(description='Weighted demand as a decimal string such as "12.00".')
    comment_count: int = Field(description="Public comments.")
    status_changed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_category(obj: Any) -> str | None:
        return obj.category.name if obj.category_id else None

    @staticmethod
    def resolve_demand(obj: Any) -> str:
        return f"{obj.demand:.2f}"


class IdeaVoteOut(Schema):
    id: int
    voter: PersonOut | None = Field(description="The person who voted; null for a proxy vote.")
    company: IdeaCompany | None = Field(description="The voter's company, or the company voted for by proxy.")
    contact: IdeaContact | None
    importance: ImportanceName
    proxy_by: PersonOut | None = Field(description="The member who cast a proxy vote.")
    created_at: dt.datetime
    updated_at: dt.datetime


class IdeaCommentOut(Schema):
    id: int
    idea_id: int
    author: PersonOut | None
    body: str = Field(description="Markdown as written.")
    internal: bool = Field(description="Only workspace members ever see internal comments.")
    official: bool = Field(description="A member's public reply: the company speaking.")
    created_at: dt.datetime

    @staticmethod
    def resolve_internal(obj: Any) -> bool:
        return obj.is_internal

    @staticmethod
    def resolve_official(obj: Any) -> bool:
        return obj.is_official


class IdeaEventOut(Schema):
    id: int
    idea_id: int | None
    kind: EventKindName
    actor: PersonOut | None
    payload: dict[str, Any] = Field(description="What a webhook will carry: ids and public text only.")
    created_at: dt.datetime
    delivered_at: dt.datetime | None = Field(description="Empty until a webhook integration delivers the event.")


class IdeaPromoteOut(Schema):
    idea: IdeaOut
    feature: FeatureOut


class FeatureIdeasTotals(Schema):
    ideas: int
    votes: int
    demand: str = Field(description='Decimal string such as "12.00".')
    companies: int = Field(description="Distinct companies behind the votes (proxy votes included).")

    @staticmethod
    def resolve_demand(obj: Any) -> str:
        return f"{obj['demand']:.2f}"


class FeatureIdeasOut(Schema):
    feature_id: int
    ideas: list[IdeaOut] = Field(description="Linked ideas that count (not merged), most demanded first.")
    merged: list[IdeaOut] = Field(description="Linked ideas merged into another since (their votes count there).")
    totals: FeatureIdeasTotals


# --- input ------------------------------------------------------------------------------------


class PortalFilters(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_IDEA_PAGE_SIZE)
    include_archived: bool = False


class PortalIn(StrictIn):
    name: PortalName
    slug: PortalSlug
    intro: Intro = ""
    accent_color: AccentColor = "#4f46e5"
    visibility: VisibilityName = "public"
    allowed_domains: list[DomainName] = Field(default_factory=list, max_length=100)
    require_approval: bool = False
    product_ids: list[IdItem] = Field(default_factory=list, max_length=100)


class PortalPatch(StrictIn):
    name: PortalName = _optional()
    slug: PortalSlug = _optional()
    intro: Intro = _optional()
    accent_color: AccentColor = _optional()
    visibility: VisibilityName = _optional()
    allowed_domains: list[DomainName] = Field(None, max_length=100, json_schema_extra=_not_in_schema)  # type: ignore[arg-type]
    require_approval: bool = _optional()
    product_ids: list[IdItem] = Field(
        None,  # type: ignore[arg-type]
        max_length=100,
        description="Replaces the portal's products.",
        json_schema_extra=_not_in_schema,
    )


class IdeaQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_IDEA_PAGE_SIZE)
    portal_id: Id | None = None
    status_id: Id | None = None
    status_category: StatusCategoryName | None = None
    product_id: Id | None = None
    category_id: Id | None = None
    approval: ApprovalName | None = None
    merged: bool | None = Field(None, description="true: only merged ideas; false: only unmerged; left out: both.")
    q: Annotated[str, Field(max_length=200, description="Words in the title or description, or #id.")] = ""
    sort: IdeaSort = "votes"


class IdeaIn(StrictIn):
    portal_id: Id
    title: Title
    description: Description = ""
    product_id: Id | None = None
    category_id: Id | None = None
    on_behalf_contact_id: Id | None = Field(None, description="File it for this customer contact.")
    on_behalf_company_id: Id | None = Field(None, description="File it for this company (default: the contact's).")
    audience: AudienceName | None = Field(None, description="Default: customer when filed on someone's behalf.")
    importance: ImportanceName = Field("important", description="How much it matters to whoever asked.")


class IdeaPatch(StrictIn):
    title: Title = _optional()
    description: Description = _optional()
    product_id: Id | None = None
    category_id: Id | None = None
    audience: AudienceName = _optional()


class IdeaStatusIn(StrictIn):
    status_id: Id
    message: Message = ""


class IdeaListPage(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_IDEA_PAGE_SIZE)


class IdeaVoteIn(StrictIn):
    """Your own vote; or, with ``company_id`` (and optionally ``contact_id``), a proxy vote for a customer."""

    importance: ImportanceName = "important"
    company_id: Id | None = Field(None, description="Vote on this company's behalf (contributors and up).")
    contact_id: Id | None = Field(None, description="The contact who asked (a contact of that company).")


class IdeaCommentIn(StrictIn):
    body: Annotated[str, Field(min_length=1, max_length=20_000, pattern=NOT_BLANK)] = Field(description="Markdown.")
    internal: bool = Field(False, description="Internal comments are seen by workspace members only.")


class IdeaMergeIn(StrictIn):
    target_id: Id = Field(description="The idea this one is a duplicate of.")


class IdeaFeatureIn(StrictIn):
    feature_id: Id


class IdeaPromoteIn(StrictIn):
    product_id: Id | None = Field(None, description="Default: the idea's product.")
    title: Title | None = Field(None, description="Default: the idea's title.")
