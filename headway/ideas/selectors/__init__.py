"""Every read of portals and ideas that is more than a ``get``, already scoped by ``core.permissions``."""

from headway.ideas.selectors.features import feature_ideas, features_demand
from headway.ideas.selectors.portal import (
    idea_comments,
    idea_for_portal,
    is_following,
    moderation_queue,
    my_vote,
    portal_by_slug,
    portal_changelog,
    portal_idea_page,
    portal_roadmap,
    portals_for_workspace,
    public_comments,
    staff_ideas,
)
from headway.ideas.selectors.staff import staff_idea_get, staff_idea_list

__all__ = [
    "feature_ideas",
    "features_demand",
    "idea_comments",
    "idea_for_portal",
    "is_following",
    "moderation_queue",
    "my_vote",
    "portal_by_slug",
    "portal_changelog",
    "portal_idea_page",
    "portal_roadmap",
    "portals_for_workspace",
    "public_comments",
    "staff_idea_get",
    "staff_idea_list",
    "staff_ideas",
]
