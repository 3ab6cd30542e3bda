"""API shapes for companies and contacts: strict inputs, explicit outputs.

ARR is money, so it travels as a decimal string (``"1200.50"``) in responses. Requests may send
it as a JSON number (``1200.5``) or a decimal string (``"1200.50"``); either way at most two
decimals and not negative. ``true``/``false`` are not amounts.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema

from headway.core.api import MAX_PAGE, MAX_PAGE_SIZE, Email, Id, StrictIn
from headway.core.errors import ValidationFailed
from headway.customers.services import ARR_MAX, parse_arr

SegmentName = Literal["enterprise", "mid_market", "smb", "startup", "public_sector"]
TierName = Literal["strategic", "key", "standard"]
HealthName = Literal["healthy", "neutral", "at_risk", "churned"]
CompanyOrdering = Literal["name", "-name", "arr", "-arr", "created_at", "-created_at", "health", "-health"]
ContactOrdering = Literal["name", "-name", "email", "-email", "created_at", "-created_at"]

ARR_PATTERN = r"^\d{1,12}(\.\d{1,2})?$"
_ARR_RE = re.compile(ARR_PATTERN)


def _arr(value: Any) -> Decimal:
    # Strict mode would only take a Decimal object, which JSON cannot carry: accept the two
    # spellings a client can send, and nothing else (no booleans, no "1e3", no "12,50").
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError('Send ARR as a number or a decimal string such as "1200.50".')
    if isinstance(value, str) and not _ARR_RE.match(value):
        raise ValueError('Send ARR as a decimal string with at most 2 decimals, such as "1200.50".')
    try:
        return parse_arr(value)  # also refuses more than ARR_MAX
    except ValidationFailed as exc:
        raise ValueError(exc.fields["arr"][0]) from exc


Arr = Annotated[
    Decimal,
    PlainValidator(_arr),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": ARR_PATTERN, "examples": ["1200.50"]},
                {"type": "number", "minimum": 0, "maximum": float(ARR_MAX), "multipleOf": 0.01},
            ],
            "description": "Annual recurring revenue: a JSON number or a decimal string, ≥ 0, at most 2 decimals.",
        }
    ),
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code in capitals, such as USD.")]
CompanyName = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
Domain = Annotated[
    str,
    Field(
        max_length=253,
        pattern=r"^$|^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$",
        description="A domain such as example.com (no http://); stored in lower case. Empty for none.",
    ),
]
PersonName = Annotated[str, Field(min_length=1, max_length=150, pattern=r"\S")]
Role = Annotated[str, Field(max_length=100)]


def _not_in_schema(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


# Optional in a PATCH body, but never null: leave a field out to keep its value.
def _optional() -> Any:
    return Field(default=None, json_schema_extra=_not_in_schema)


# --- companies ------------------------------------------------------------------------------


class CompanyIn(StrictIn):
    name: CompanyName
    domain: Domain = ""
    segment: SegmentName = "smb"
    tier: TierName = "standard"
    arr: Arr = Decimal("0")
    currency: Currency = "USD"
    health: HealthName = "neutral"


class CompanyPatch(StrictIn):
    name: CompanyName = _optional()
    domain: Domain = _optional()
    segment: SegmentName = _optional()
    tier: TierName = _optional()
    arr: Arr = _optional()
    currency: Currency = _optional()
    health: HealthName = _optional()


class _FastOut(BaseModel):
    """Plain pydantic outputs: validated straight from ``.values()`` dicts, no per-field resolvers."""

    model_config = ConfigDict(from_attributes=True)


class CompanyOut(_FastOut):
    id: int
    name: str
    domain: str
    segment: SegmentName
    tier: TierName
    arr: str = Field(description='Decimal string with two decimals, such as "1200.50".', examples=["1200.50"])
    currency: str
    health: HealthName
    archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class CompanyPage(_FastOut):
    items: list[CompanyOut]
    count: int
    page: int
    page_size: int
    pages: int


class CompanyFilters(Schema):
    search: str = Field("", description="Part of the name or the domain.")
    segment: Literal["", "enterprise", "mid_market", "smb", "startup", "public_sector"] = ""
    tier: Literal["", "strategic", "key", "standard"] = ""
    health: Literal["", "healthy", "neutral", "at_risk", "churned"] = ""
    include_archived: bool = False
    ordering: CompanyOrdering = "name"
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


# --- contacts -------------------------------------------------------------------------------


class ContactIn(StrictIn):
    company_id: Id
    name: PersonName
    email: Email
    role: Role = ""


class ContactPatch(StrictIn):
    company_id: Id = _optional()
    name: PersonName = _optional()
    email: Email = _optional()
    role: Role = _optional()


class CompanyRef(_FastOut):
    id: int
    name: str
    archived: bool


class ContactOut(_FastOut):
    id: int
    name: str
    email: str
    role: str
    company: CompanyRef
    archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactBrief(_FastOut):
    id: int
    name: str
    email: str
    role: str
    archived: bool


class CompanyDetailOut(CompanyOut):
    contacts: list[ContactBrief]


class ContactPage(_FastOut):
    items: list[ContactOut]
    count: int
    page: int
    page_size: int
    pages: int


class ContactFilters(Schema):
    search: str = Field("", description="Part of the name, the email or the company name.")
    company_id: Id | None = None
    include_archived: bool = False
    ordering: ContactOrdering = "name"
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
