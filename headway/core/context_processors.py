"""What every page's layout needs: the sidebar, the workspace switcher and the user's role."""

import functools
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from headway.core import permissions
from headway.core.permissions import Action
from headway.workspaces.models import Role

# (key, label, url name or None when the area is still to come, icon)
AREAS: list[tuple[str, str, str | None, str]] = [
    ("overview", "Overview", "workspaces:overview", "home"),
    ("portfolio", "Portfolio", "portfolio:tree", "layers"),
    ("strategy", "Strategy", "strategy:overview", "target"),
    ("backlog", "Backlog", "backlog:list", "list"),
    ("ideas", "Ideas portal", "ideas:list", "bulb"),
    ("insights", "Insights", "insights:inbox", "inbox"),
    ("prioritization", "Prioritization", "prioritization:ranking", "sliders"),
    ("roadmaps", "Roadmaps", None, "map"),
    ("metrics", "Metrics", None, "chart"),
    ("customers", "Customers", "customers:list", "building"),
    ("team", "Team", "workspaces:members", "users"),
    ("reports", "Reports", "reports:index", "file"),
]

COMING_AREAS = {key: label for key, label, url, _ in AREAS if url is None}


@functools.lru_cache(maxsize=1024)
def _nav_items(slug: str) -> tuple[dict[str, Any], ...]:
    """The sidebar of one workspace: the same on every page, so reversed once per process."""
    items = []
    for key, label, url_name, icon in AREAS:
        url = (
            reverse(url_name, kwargs={"ws": slug})
            if url_name
            else reverse("workspaces:coming", kwargs={"ws": slug, "area": key})
        )
        items.append({"key": key, "label": label, "url": url, "icon": icon, "coming": url_name is None})
    return tuple(items)


def navigation(request: HttpRequest) -> dict[str, Any]:
    workspace = getattr(request, "workspace", None)
    if workspace is None or not request.user.is_authenticated:
        return {}
    return {
        "role_label": Role(role).label if (role := getattr(request, "role", None)) else "",
        "nav_items": _nav_items(workspace.slug),
        "workspaces": permissions.visible_workspaces(request.user),
        "can": {action.name.lower(): permissions.can(request.user, action, workspace) for action in Action},
    }
