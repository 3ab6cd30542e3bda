"""What every API router shares: authentication, the error shape, strict inputs, pagination."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import re
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema
from ninja.security import HttpBearer, SessionAuth
from pydantic import (
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from headway.core import permissions
from headway.workspaces.models import Workspace

WORKSPACE_HEADER = "X-Headway-Workspace"


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer hw_…``: the token decides the user and the workspace."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from headway.accounts.services import api_token_authenticate

        api_token = api_token_authenticate(raw=token)  # refuses tokens of people who left the workspace
        if api_token is None or not permissions.is_member(api_token.user, api_token.workspace):
            return None  # and nothing about the token's user stays on the request
        request.user = api_token.user
        request.workspace = api_token.workspace  # type: ignore[attr-defined]
        return api_token.user


class SessionWorkspaceAuth(SessionAuth):
    """The browser session (CSRF checked on writes); the workspace comes from the
    ``X-Headway-Workspace`` header (slug) or the one the person last worked in."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated:
            return None
        slug = request.headers.get(WORKSPACE_HEADER)
        workspace = (
            Workspace.objects.filter(slug=slug).first()
            if slug
            else Workspace.objects.filter(pk=user.last_workspace_id).first()
            if user.last_workspace_id
            else permissions.visible_workspaces(user).first()
        )
        request.workspace = workspace  # type: ignore[attr-defined]
        return user


AUTH = [BearerTokenAuth(), SessionWorkspaceAuth()]


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


class ErrorOut(Schema):
    error: ErrorBody


# Every operation documents these so clients (and schemathesis) know the whole contract.
ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut,
    429: ErrorOut,
}  # fmt: skip


def responses(ok: dict[int, Any]) -> dict[int, Any]:
    return {**ok, **ERRORS}


def _admits_int(annotation: Any) -> bool:
    """``int``, ``Annotated[int, …]`` or a union holding one (``Id | None``); never ``bool``."""
    if annotation is int:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _admits_int(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(_admits_int(arg) for arg in get_args(annotation))
    return False


@functools.cache
def _int_fields(model: type[Schema]) -> frozenset[str]:
    return frozenset(name for name, field in model.model_fields.items() if _admits_int(field.annotation))


class StrictIn(Schema):
    """Input schemas: no type coercion (``false`` is not ``0``, ``"3"`` is not ``3``) and no unknown fields.

    One exception, because JSON Schema says so: an ``integer`` is any number with a zero fractional
    part, so ``3.0`` is the integer 3 (some JSON encoders write every number that way). ``3.5`` is not.
    """

    model_config = ConfigDict(strict=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _integral_floats(cls, value: Any, info: ValidationInfo) -> Any:
        if type(value) is float and value.is_integer() and info.field_name in _int_fields(cls):
            return int(value)
        return value


MAX_PAGE_SIZE = 200

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
_DATE_RE = re.compile(DATE_PATTERN)


def _date(value: Any) -> dt.date:
    # Strict mode takes only date objects, which JSON cannot carry; lax mode would also take numbers
    # (Unix times) and datetimes. Accept exactly what the schema says: a YYYY-MM-DD string.
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise ValueError("Give a date as YYYY-MM-DD.")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"“{value}” is not a date.") from exc


Date = Annotated[
    dt.date,
    PlainValidator(_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN, "examples": ["2026-04-01"]}),
]

MAX_PAGE = 1_000_000  # far past any real list; keeps OFFSET inside what every database accepts

# A database id in a request body or query: 64-bit so an oversized number is a 422, not a crash.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class Matching:
    """``Annotated`` metadata for a string that must match ``pattern`` (anchored ``^…$``).

    The JSON Schema carries the pattern (plus any other keywords given, such as ``format``), and a
    mismatch is a 422 with ``message``, not pydantic's "String should match pattern '^…'". Composes
    with ``Field(...)``, unlike ``json_schema_extra``, which a PATCH schema's own would override.
    """

    def __init__(self, pattern: str, message: str, *, also: Callable[[str], bool] | None = None, **json_schema: Any):
        self.pattern = pattern
        self.regex = re.compile(pattern)
        self.message = message
        self.also = also  # a rule the JSON Schema states another way (a ``format``), checked with the pattern
        self.json_schema = json_schema

    def _check(self, value: str) -> str:
        # fullmatch: with match, "$" would let "PAY\n" through
        if self.regex.fullmatch(value) is None or (self.also is not None and not self.also(value)):
            raise PydanticCustomError("pattern_mismatch", self.message)
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.update(pattern=self.pattern, **self.json_schema)
        return json_schema


# An email address, declared as exactly what the server takes: the pattern AND the "email" format.
# The format alone admits addresses Django's validator refuses (``a@b.c``: a one-letter top-level
# domain; quoted local parts; ``user@localhost``); the pattern alone admits some the format refuses
# (a local part over 64 characters, a label over 63; ``--`` inside a label, which IDNA reserves).
# So: a dot-atom local part, host labels of letters and digits joined by single hyphens, a
# top-level domain of 2-63 letters, and the two lengths checked here. Everything this admits
# passes Django's EmailValidator, which the services still run.
EMAIL_PATTERN = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9](-?[A-Za-z0-9]){0,62}\.)+[A-Za-z]{2,63}$"
)


def _email_lengths(value: str) -> bool:
    local, _, domain = value.partition("@")
    return len(local) <= 64 and all(len(label) <= 63 for label in domain.split("."))


Email = Annotated[
    str,
    Field(max_length=254, description="An email address such as ada@example.com; stored lower-case."),
    Matching(EMAIL_PATTERN, "Enter a valid email address.", also=_email_lengths, format="email"),
]


class Page[T](Schema):
    items: list[T]
    count: int
    page: int
    page_size: int
    pages: int


def paginate(queryset: QuerySet, *, page: int, page_size: int) -> dict[str, Any]:
    """One COUNT and one page query, whatever the page size; a page past the end is empty (no query)."""
    count = queryset.count()
    pages = max(1, math.ceil(count / page_size))
    start = (page - 1) * page_size
    return {
        "items": list(queryset[start : start + page_size]) if start < count else [],
        "count": count,
        "page": page,
        "page_size": page_size,
        "pages": pages,
    }


def workspace_of(request: HttpRequest) -> Workspace:
    """The workspace this API request acts in; 404 when the caller is not a member of it."""
    workspace = getattr(request, "workspace", None)
    permissions.require_member(request.user, workspace)
    return workspace  # type: ignore[return-value]


__all__ = [
    "AUTH",
    "EMAIL_PATTERN",
    "ERRORS",
    "MAX_PAGE",
    "MAX_PAGE_SIZE",
    "Email",
    "ErrorOut",
    "Id",
    "Matching",
    "Page",
    "StrictIn",
    "paginate",
    "responses",
    "settings",
]


@contextlib.contextmanager
def api_field_names(renames: Mapping[str, str]) -> Iterator[None]:
    """Services name fields as Python does (``owner``); API clients sent ``owner_id``. Inside this
    block a HeadwayError's fields and message prefix are renamed to what the client sent
    (``"__all__"`` drops the prefix: the error is about the request as a whole)."""
    from headway.core.errors import HeadwayError

    try:
        yield
    except HeadwayError as exc:
        exc.fields = {renames.get(k, k): v for k, v in exc.fields.items()}
        for old, new in renames.items():
            if exc.message.startswith(f"{old}: "):
                rest = exc.message[len(old) + 2 :]
                exc.message = rest if new == "__all__" else f"{new}: {rest}"
        raise
