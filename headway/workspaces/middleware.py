"""Resolve the workspace named in the URL (``/w/<ws>/…``) once per request."""

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from headway.accounts.models import User
from headway.core import permissions
from headway.workspaces.models import Workspace


class CurrentWorkspaceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.workspace = None  # type: ignore[attr-defined]
        request.role = None  # type: ignore[attr-defined]
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: dict) -> None:
        slug = view_kwargs.pop("ws", None)
        if slug is None or not request.user.is_authenticated:
            return None
        workspace = Workspace.objects.filter(slug=slug).first()
        role = permissions.role_in(request.user, workspace)
        if workspace is None or role is None:
            # Same answer for "does not exist" and "not yours": other workspaces stay invisible.
            raise Http404("No such workspace, or you are not a member of it.")
        request.workspace = workspace  # type: ignore[attr-defined]
        request.role = role  # type: ignore[attr-defined]
        if request.user.last_workspace_id != workspace.pk:
            User.objects.filter(pk=request.user.pk).update(last_workspace=workspace)
            request.user.last_workspace_id = workspace.pk
        return None
