"""What every API router shares: authentication, the error shape, strict inputs, pagination."""

from __future__ import annotations

import math
from typing import Annotated, Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema
from ninja.security import HttpBearer, SessionAuth
from pydantic import ConfigDict, Field

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


class StrictIn(Schema):
    """Input schemas: no type coercion (``false`` is not ``0``) and no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


MAX_PAGE_SIZE = 200

# A database id in a request body or query: 64-bit so an oversized number is a 422, not a crash.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class Page[T](Schema):
    items: list[T]
    count: int
    page: int
    page_size: int
    pages: int


def paginate(queryset: QuerySet, *, page: int, page_size: int) -> dict[str, Any]:
    """One COUNT and one page query, whatever the page size."""
    count = queryset.count()
    pages = max(1, math.ceil(count / page_size))
    start = (page - 1) * page_size
    return {
        "items": list(queryset[start : start + page_size]),
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


__all__ = ["AUTH", "ERRORS", "MAX_PAGE_SIZE", "ErrorOut", "Id", "Page", "StrictIn", "paginate", "responses", "settings"]
