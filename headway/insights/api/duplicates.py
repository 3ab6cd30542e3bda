"""API: similar feedback for a note, duplicate clusters across channels, and acting on a cluster.

For workspace members with a token (or a signed-in session); portal people are not members, so
every operation answers them 404. Every member reads; linking a cluster to an idea or a feature needs
a PM role or higher (merging portal ideas as well needs the right to manage ideas).

* ``GET /insights/{id}/similar``: the notes and portal ideas most like the note, best first, each
  with its score in [0, 1]; a note that mirrors a portal idea is reported as the idea.
* ``GET /insights/duplicates``: clusters of near-identical inbox feedback from different channels,
  most recent first (the latest ``scanned`` notes of the inbox are compared; ``capped`` says the
  inbox holds more).
* ``POST /insights/duplicates/idea``: link the notes to one idea, an existing one (``idea_id``) or a
  new one (``portal_id`` + ``title``); each note gets a highlight of its text as evidence and is
  marked processed; with ``merge_ideas`` the cluster's portal ideas are merged into it. All or nothing.
* ``POST /insights/duplicates/feature``: the same with a feature (``feature_id``).

Errors: 422 for a value the schema or a rule refuses; 404 when a path id or an id in the body
(``note_ids``, ``idea_id``, ``portal_id``, ``feature_id``, ``idea_ids``) names nothing in this
workspace (the error's ``fields`` name the body field); 403 when the role may not.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from headway.core import permissions
from headway.core.api import Id, StrictIn, api_field_names, responses, workspace_of
from headway.core.permissions import Action
from headway.insights.models import FeedbackNote, Highlight
from headway.insights.selectors.duplicates import Member, duplicate_clusters
from headway.insights.services.duplicates import CLUSTER_MAX, cluster_link_feature, cluster_to_idea
from headway.insights.similarity import similar_to_note

router = Router(tags=["insights"])

ImportanceName = Literal["nice_to_have", "important", "critical"]
_RENAMES = {"idea": "idea_id", "portal": "portal_id", "feature": "feature_id"}


# --- schemas --------------------------------------------------------------------------------------


class SimilarQuery(Schema):
    limit: int = Field(10, ge=1, le=50)


class SimilarItemOut(Schema):
    kind: Literal["note", "idea"]
    id: int = Field(description="The note's id, or the portal idea's id when kind is idea.")
    score: float = Field(ge=0, le=1)
    title: str
    channel: str
    company_id: int | None
    company_name: str | None


class SimilarOut(Schema):
    items: list[SimilarItemOut]


class ClusterMemberOut(Schema):
    kind: Literal["note", "idea"] = Field(description="A note (portal mirrors too), or a portal idea not yet mirrored.")
    id: int
    idea_id: int | None = Field(description="The portal idea this member is or mirrors.")
    channel: str
    source: str
    company_id: int | None
    company_name: str | None
    excerpt: str
    received_at: dt.datetime


class ClusterOut(Schema):
    title: str = Field(description="A suggested title for the idea.")
    channels: list[str]
    members: list[ClusterMemberOut]


class ClustersOut(Schema):
    clusters: list[ClusterOut]
    scanned: int
    limit: int
    capped: bool


class ClusterIdeaIn(StrictIn):
    note_ids: list[Id] = Field(default_factory=list, max_length=CLUSTER_MAX)
    idea_ids: list[Id] = Field(
        default_factory=list, max_length=CLUSTER_MAX, description="Portal ideas of the cluster to merge too."
    )
    idea_id: Id | None = Field(None, description="An existing idea to link to (or give portal_id and title).")
    portal_id: Id | None = Field(None, description="The portal of a new idea.")
    title: str | None = Field(None, min_length=1, max_length=200, description="The new idea's title.")
    merge_ideas: bool = Field(False, description="Merge the cluster's portal ideas into the idea.")
    importance: ImportanceName = "important"


class ClusterIdeaOut(Schema):
    idea_id: int
    title: str
    highlights: int = Field(description="Notes of the request now linked to the idea as evidence.")


class ClusterFeatureIn(StrictIn):
    note_ids: list[Id] = Field(min_length=1, max_length=CLUSTER_MAX)
    feature_id: Id
    importance: ImportanceName = "important"


class ClusterFeatureOut(Schema):
    feature_id: int
    highlights: int = Field(
        description="Highlights created (a note already linked to the feature is not linked twice)."
    )


def _member(m: Member) -> dict:
    company = m.company
    return {
        "kind": m.kind,
        "id": m.id,
        "idea_id": m.idea.pk if m.idea is not None else None,
        "channel": m.channel,
        "source": m.source,
        "company_id": company.pk if company is not None else None,
        "company_name": company.name if company is not None else None,
        "excerpt": m.excerpt,
        "received_at": m.received_at,
    }


# --- operations -----------------------------------------------------------------------------------


@router.get(
    "/insights/duplicates",
    response=responses({200: ClustersOut}),
    summary="Duplicate clusters across channels",
    description="Every member. Clusters of near-identical feedback in the inbox (new or snoozed notes, and portal "
    "ideas not yet brought in) from different channels, most recent first.",
)
def duplicates(request: HttpRequest) -> dict:
    workspace = workspace_of(request)
    result = duplicate_clusters(user=request.user, workspace=workspace)
    return {
        "clusters": [
            {"title": c.title, "channels": c.channels, "members": [_member(m) for m in c.members]}
            for c in result.clusters
        ],
        "scanned": result.scanned,
        "limit": result.limit,
        "capped": result.capped,
    }


@router.get(
    "/insights/{note_id}/similar",
    response=responses({200: SimilarOut}),
    summary="Similar feedback for a note",
    description="Every member. The notes and portal ideas most like this note, best first; archived notes and "
    "deleted or merged ideas are never included, and a portal idea appears once.",
)
def similar(request: HttpRequest, note_id: int, filters: Query[SimilarQuery]) -> dict:
    workspace = workspace_of(request)
    qs = permissions.scope(
        FeedbackNote.objects.select_related("workspace"), request.user, workspace, Action.INSIGHT_VIEW
    )
    note = permissions.get_or_404(qs, pk=note_id)
    items = similar_to_note(user=request.user, note=note, limit=filters.limit)
    return {
        "items": [
            {
                "kind": i.kind,
                "id": i.id,
                "score": min(max(round(i.score, 4), 0.0), 1.0),
                "title": i.title,
                "channel": i.channel,
                "company_id": i.company.pk if i.company is not None else None,
                "company_name": i.company.name if i.company is not None else None,
            }
            for i in items
        ]
    }


@router.post(
    "/insights/duplicates/idea",
    response=responses({200: ClusterIdeaOut}),
    summary="Link a cluster to one idea",
    description="PMs and up. Give idea_id (an existing idea) or portal_id and title (a new idea, submitted for the "
    "team). Each note gets a highlight of its text linked to the idea and is marked processed; with merge_ideas the "
    "portal ideas the notes mirror, and idea_ids, are merged into it. All or nothing.",
)
def to_idea(request: HttpRequest, data: ClusterIdeaIn) -> dict:
    workspace = workspace_of(request)
    with api_field_names(_RENAMES):
        idea = cluster_to_idea(
            actor=request.user,
            workspace=workspace,
            note_ids=data.note_ids,
            idea=data.idea_id,
            portal=data.portal_id,
            title=data.title,
            idea_ids=data.idea_ids,
            merge_ideas=data.merge_ideas,
            importance=data.importance,
        )
    linked = Highlight.objects.filter(idea=idea, note_id__in=data.note_ids).values("note_id").distinct().count()
    return {"idea_id": idea.pk, "title": idea.title, "highlights": linked}


@router.post(
    "/insights/duplicates/feature",
    response=responses({200: ClusterFeatureOut}),
    summary="Link a cluster to one feature",
    description="PMs and up. Each note gets a highlight of its text linked to the feature as evidence (with the "
    "importance) and is marked processed. All or nothing.",
)
def to_feature(request: HttpRequest, data: ClusterFeatureIn) -> dict:
    workspace = workspace_of(request)
    with api_field_names(_RENAMES):
        made = cluster_link_feature(
            actor=request.user,
            workspace=workspace,
            note_ids=data.note_ids,
            feature=data.feature_id,
            importance=data.importance,
        )
    return {"feature_id": data.feature_id, "highlights": len(made)}
