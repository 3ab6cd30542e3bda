"""Every change to an idea leaves an ``IdeaEvent``: the notification log reads them, and a later
integrations issue delivers them to webhooks (``delivered_at`` stays empty until then)."""

from __future__ import annotations

from typing import Any

from headway.ideas.models import Idea, IdeaEvent

Kind = IdeaEvent.Kind

# Events the people following an idea hear about (in the app and by email).
NOTIFYING_KINDS = frozenset({Kind.STATUS_CHANGED, Kind.SHIPPED, Kind.OFFICIAL_REPLY, Kind.MERGED})


def record_event(*, idea: Idea, kind: str, actor: Any, payload: dict[str, Any] | None = None) -> IdeaEvent:
    """Record what happened, inside the caller's transaction; fan out notifications for the kinds
    people follow (the rows now, the emails once the transaction commits)."""
    from headway.ideas import notify

    event = IdeaEvent.objects.create(
        workspace_id=idea.workspace_id,
        idea=idea,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        payload={"idea": idea.pk, "title": idea.title, **(payload or {})},
    )
    if kind in NOTIFYING_KINDS:
        notify.fan_out(event)
    return event
