"""Shared pieces of every ordered list a person reorders (product lines, objectives, requirements)."""

from __future__ import annotations

from typing import Any

from headway.workspaces.models import Workspace


def renumber[M: Any](items: list[M]) -> list[M]:
    """Give ``items`` positions 0..n-1 in their list order; return the ones that changed (to save)."""
    changed = []
    for index, item in enumerate(items):
        if item.position != index:
            item.position = index
            changed.append(item)
    return changed


def lock_workspace(workspace: Workspace) -> None:
    """One writer at a time per workspace for changes that reorder or reshape its lists."""
    list(Workspace.objects.select_for_update().filter(pk=workspace.pk).values_list("pk"))
