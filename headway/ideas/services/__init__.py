"""Every write to portals and ideas (see the modules for each area).

Habits shared by every function here, as in the backlog: keyword-only arguments and an explicit
``actor`` (a workspace member, a portal user, or None for an anonymous visitor); one
transaction; the permission check first (``core.permissions``: ``require`` for members,
``require_portal`` for portal people), so a denied call changes nothing; ``full_clean`` and
database constraints; an ``AuditEvent`` for staff changes and an ``IdeaEvent`` for what happens to
an idea (``events.record_event``), whose notifications go out after commit.
"""

from headway.ideas.services.accounts import (
    portal_account_update,
    portal_join,
    portal_signup,
    portal_verification_send,
    portal_verification_token,
    portal_verify,
)
from headway.ideas.services.comments import comment_add, comment_delete, comments_recount
from headway.ideas.services.features import (
    idea_link_feature,
    idea_promote,
    idea_status_for_feature_status,
    idea_unlink_feature,
    ideas_follow_feature,
    ideas_follow_features,
)
from headway.ideas.services.ideas import (
    idea_approve,
    idea_create,
    idea_delete,
    idea_follow,
    idea_reject,
    idea_status_change,
    idea_unfollow,
    idea_update,
)
from headway.ideas.services.merges import idea_merge, idea_unmerge, ideas_merge_bulk
from headway.ideas.services.portals import (
    UNSET,
    default_status,
    demand_settings_get,
    demand_settings_update,
    feature_status_mapping_set,
    idea_category_create,
    idea_category_delete,
    idea_category_update,
    idea_status_create,
    idea_status_delete,
    idea_status_move,
    idea_status_update,
    idea_statuses_ensure,
    portal_archive,
    portal_create,
    portal_invite,
    portal_restore,
    portal_uninvite,
    portal_update,
)
from headway.ideas.services.votes import (
    demand_weight,
    idea_recount,
    recompute_workspace_demand,
    vote_cast,
    vote_proxy,
    vote_proxy_retract,
    vote_retract,
)

__all__ = [
    "UNSET",
    "comment_add",
    "comment_delete",
    "comments_recount",
    "default_status",
    "demand_settings_get",
    "demand_settings_update",
    "demand_weight",
    "feature_status_mapping_set",
    "idea_approve",
    "idea_category_create",
    "idea_category_delete",
    "idea_category_update",
    "idea_create",
    "idea_delete",
    "idea_follow",
    "idea_link_feature",
    "idea_merge",
    "idea_promote",
    "idea_recount",
    "idea_reject",
    "idea_status_change",
    "idea_status_create",
    "idea_status_delete",
    "idea_status_for_feature_status",
    "idea_status_move",
    "idea_status_update",
    "idea_statuses_ensure",
    "idea_unfollow",
    "idea_unlink_feature",
    "idea_unmerge",
    "idea_update",
    "ideas_follow_feature",
    "ideas_follow_features",
    "ideas_merge_bulk",
    "portal_account_update",
    "portal_archive",
    "portal_create",
    "portal_invite",
    "portal_join",
    "portal_restore",
    "portal_signup",
    "portal_uninvite",
    "portal_update",
    "portal_verification_send",
    "portal_verification_token",
    "portal_verify",
    "recompute_workspace_demand",
    "vote_cast",
    "vote_proxy",
    "vote_proxy_retract",
    "vote_retract",
]
