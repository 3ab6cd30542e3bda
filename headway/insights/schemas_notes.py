"""API shapes for feedback notes coming in and going out: strict inputs, explicit outputs.

Ids in bodies and queries end in ``_id``. Times are ISO 8601 strings (``2024-05-31T14:05:00Z``; a
time without an offset is UTC).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, PlainValidator, WithJsonSchema

from headway.backlog.schemas import NOT_BLANK
from headway.core.api import MAX_PAGE, Email, Id, StrictIn
from headway.insights.models import MAX_NOTE_CHARS

SourceIn = Literal["api", "manual", "email", "import"]
SourceName = Literal["manual", "email", "api", "import", "portal"]
StateName = Literal["new", "processed", "snoozed", "archived"]
StateFilter = Literal["inbox", "snoozed", "processed", "archived", "all"]
KindName = Literal["bug", "feature_request", "experience", "rating"]
SentimentName = Literal["negative", "neutral", "positive"]

MAX_NOTE_PAGE_SIZE = 100


def _datetime(value: Any) -> dt.datetime:
    # Strict mode takes only datetime objects, which JSON cannot carry: accept exactly an ISO 8601 string.
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        raise ValueError("Give a date and time as ISO 8601, e.g. 2024-05-31T14:05:00Z.")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"“{value}” is not a date and time (ISO 8601, e.g. 2024-05-31T14:05:00Z).") from exc
    if not 1900 <= parsed.year <= 2200:
        raise ValueError("Give a date between the years 1900 and 2200.")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


DateTime = Annotated[
    dt.datetime,
    PlainValidator(_datetime),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2024-05-31T14:05:00Z"]}),
]
Text = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_NOTE_CHARS,
        pattern=NOT_BLANK,
        description=f"What the customer said, as they said it (up to {MAX_NOTE_CHARS:,} characters).",
    ),
]


class NoteIn(StrictIn):
    text: Text
    title: Annotated[str, Field(max_length=300)] = ""
    source: SourceIn = Field("api", description="How it reached you; portal notes come from the portal only.")
    channel: Annotated[str, Field(max_length=80)] = Field(
        "", description="A finer name of the channel (“Zendesk”); default: the source's name."
    )
    external_ref: Annotated[str, Field(max_length=255)] = Field(
        "", description="The note's id in the channel; sending the same channel and reference again updates it."
    )
    url: Annotated[str, Field(max_length=2000, description="An http(s) link to the original.")] = ""
    customer_name: Annotated[str, Field(max_length=200)] = ""
    customer_email: Email | Literal[""] = Field(
        "", description="Matched to a contact (or a company by its domain) of the workspace."
    )
    product_id: Id | None = None
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    received_at: DateTime | None = Field(None, description="When the customer said it; default: now.")
    extra: dict[str, Annotated[str, Field(max_length=1000)]] = Field(
        default_factory=dict, max_length=50, description="Other fields of the channel, kept for reference."
    )


class NoteQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_NOTE_PAGE_SIZE)
    state: StateFilter = Field(
        "all", description="inbox: new notes and snoozed ones whose date passed; snoozed: still asleep."
    )
    source: SourceName | None = None
    channel: Annotated[str, Field(max_length=80)] = ""
    product_id: Id | None = None
    company_id: Id | None = None
    kind: KindName | None = None
    sentiment: SentimentName | None = None
    theme_id: Id | None = None
    q: Annotated[str, Field(max_length=200, description="Words in the title or text.")] = ""


class NoteRef(Schema):
    id: int
    name: str


class NoteContactOut(Schema):
    id: int
    name: str
    email: str


class NoteAuthorOut(Schema):
    id: int
    email: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return obj.display_name


class NoteOut(Schema):
    id: int
    source: SourceName
    channel: str
    external_ref: str
    url: str
    title: str
    text: str
    customer_name: str
    customer_email: str
    company: NoteRef | None
    contact: NoteContactOut | None
    product_id: int | None
    rating: int | None
    received_at: dt.datetime
    author: NoteAuthorOut | None
    idea_id: int | None = Field(description="The portal idea this note mirrors (source portal).")
    state: StateName
    kind: KindName | None = Field(description="The classifier's answer, or a person's correction.")
    kind_confidence: float | None
    sentiment: SentimentName | None
    sentiment_score: float | None = Field(description="−1 (negative) … +1 (positive).")
    theme: NoteRef | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_kind(obj: Any) -> str | None:
        return obj.kind or None

    @staticmethod
    def resolve_sentiment(obj: Any) -> str | None:
        return obj.sentiment or None
