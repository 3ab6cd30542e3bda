"""Who may do what. The one place that decides access; every selector and service asks here.

Roles are per workspace. Capabilities, from the product organisation's point of view:

* viewer       reads everything in the workspace (executives, stakeholders);
* contributor  also adds feedback and comments (engineering, sales, support, design);
* pm           also manages customers; edits the products they own, their components and their
               features; checks in on the objectives they own (their goals);
* leader       also manages the whole portfolio, strategy (vision, objectives, initiatives), every
               feature, the workflow, and the team (invites, roles below admin);
* admin        also manages the workspace itself, admins, and sees the workspace-wide audit log.

Someone outside a workspace gets ``NotFound`` rather than ``PermissionDenied`` so that the
existence of another workspace's objects is never revealed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from headway.core.errors import NotFound, PermissionDenied
from headway.ideas.models import Approval, Idea, Portal, PortalAccount, Visibility
from headway.workspaces.models import Membership, Role, Workspace

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet


class Action(StrEnum):
    WORKSPACE_VIEW = "workspace.view"
    WORKSPACE_MANAGE = "workspace.manage"
    MEMBER_VIEW = "member.view"
    MEMBER_MANAGE = "member.manage"
    AUDIT_VIEW_WORKSPACE = "audit.view_workspace"
    PORTFOLIO_VIEW = "portfolio.view"
    PORTFOLIO_MANAGE = "portfolio.manage"  # product lines; create, move, archive any product
    PRODUCT_EDIT = "product.edit"  # one product and its components: leaders, or the owning PM
    CUSTOMER_VIEW = "customer.view"
    CUSTOMER_MANAGE = "customer.manage"
    FEEDBACK_ADD = "feedback.add"
    COMMENT_ADD = "comment.add"
    COMMENT_DELETE = "comment.delete"  # contributors and up, and only their own comments
    STRATEGY_VIEW = "strategy.view"
    STRATEGY_MANAGE = "strategy.manage"  # vision, objectives, key results, initiatives
    OBJECTIVE_CHECK_IN = "objective.check_in"  # check-ins, key result values: leaders, or the owning PM
    BACKLOG_VIEW = "backlog.view"
    FEATURE_EDIT = "feature.edit"  # features of a product: leaders, or the PM who owns the product
    WORKFLOW_MANAGE = "workflow.manage"  # the workspace's feature statuses
    IDEA_VIEW = "idea.view"  # every idea of every portal, with internal comments and who was told what
    IDEA_SUBMIT = "idea.submit"  # submit and vote on behalf of a customer (after a sales or support call)
    IDEA_MANAGE = "idea.manage"  # status, approval, merge, edit any idea, link ideas to features
    PORTAL_MANAGE = "portal.manage"  # portals, idea statuses and categories, demand weights
    INSIGHT_VIEW = "insight.view"  # the feedback inbox, themes, evidence and duplicates
    # FEEDBACK_ADD (contributors and up) types in or forwards a note.
    INSIGHT_MANAGE = "insight.manage"  # triage, highlights as evidence, labels, themes, imports
    INSIGHT_RETRAIN = "insight.retrain"  # retrain the workspace's classifier from corrections
    PRIORITY_VIEW = "priority.view"  # scores, rankings, the matrix, teams and capacity plans
    SCORE_EDIT = "score.edit"  # fill in scores, pin features in a ranking
    SCORING_MODEL_MANAGE = "scoring_model.manage"  # scoring models and each product's default
    CAPACITY_MANAGE = "capacity.manage"  # teams, members, time off, allocations
    PLAN_MANAGE = "plan.manage"  # create, solve and compare capacity plans, what-if scenarios
    PLAN_COMMIT = "plan.commit"  # commit a plan: its features get the period as target release


_READ = {
    Action.WORKSPACE_VIEW,
    Action.MEMBER_VIEW,
    Action.PORTFOLIO_VIEW,
    Action.CUSTOMER_VIEW,
    Action.STRATEGY_VIEW,
    Action.BACKLOG_VIEW,
    Action.IDEA_VIEW,
    Action.INSIGHT_VIEW,
    Action.PRIORITY_VIEW,
}
_CONTRIBUTE = _READ | {Action.FEEDBACK_ADD, Action.COMMENT_ADD, Action.COMMENT_DELETE, Action.IDEA_SUBMIT}
_PM = _CONTRIBUTE | {
    Action.CUSTOMER_MANAGE,
    Action.PRODUCT_EDIT,
    Action.FEATURE_EDIT,
    Action.OBJECTIVE_CHECK_IN,
    Action.IDEA_MANAGE,
    Action.INSIGHT_MANAGE,
    Action.SCORE_EDIT,
    Action.PLAN_MANAGE,
}
_LEADER = _PM | {
    Action.PORTFOLIO_MANAGE,
    Action.MEMBER_MANAGE,
    Action.STRATEGY_MANAGE,
    Action.WORKFLOW_MANAGE,
    Action.PORTAL_MANAGE,
    Action.INSIGHT_RETRAIN,
    Action.SCORING_MODEL_MANAGE,
    Action.CAPACITY_MANAGE,
    Action.PLAN_COMMIT,
}
_ADMIN = _LEADER | {Action.WORKSPACE_MANAGE, Action.AUDIT_VIEW_WORKSPACE}

CAPABILITIES: dict[str, frozenset[Action]] = {
    Role.VIEWER: frozenset(_READ),
    Role.CONTRIBUTOR: frozenset(_CONTRIBUTE),
    Role.PM: frozenset(_PM),
    Role.LEADER: frozenset(_LEADER),
    Role.ADMIN: frozenset(_ADMIN),
}

# Roles a leader may hand out or take away; only admins touch admins.
LEADER_ASSIGNABLE = frozenset({Role.LEADER, Role.PM, Role.CONTRIBUTOR, Role.VIEWER})

_DESCRIPTIONS = {
    Action.WORKSPACE_MANAGE: "manage this workspace",
    Action.MEMBER_MANAGE: "manage members",
    Action.AUDIT_VIEW_WORKSPACE: "see the workspace audit log",
    Action.PORTFOLIO_MANAGE: "manage the portfolio",
    Action.PRODUCT_EDIT: "edit this product",
    Action.CUSTOMER_MANAGE: "manage customers",
    Action.FEEDBACK_ADD: "add feedback",
    Action.COMMENT_ADD: "comment",
    Action.COMMENT_DELETE: "delete this comment (only its author may)",
    Action.STRATEGY_MANAGE: "manage strategy",
    Action.OBJECTIVE_CHECK_IN: "check in on this objective",
    Action.FEATURE_EDIT: "edit features of this product",
    Action.WORKFLOW_MANAGE: "change the workflow",
    Action.IDEA_SUBMIT: "submit or vote for ideas on a customer's behalf",
    Action.IDEA_MANAGE: "manage ideas",
    Action.PORTAL_MANAGE: "manage portals",
    Action.INSIGHT_MANAGE: "triage feedback, link evidence or manage themes and imports",
    Action.INSIGHT_RETRAIN: "retrain the feedback classifier",
    Action.SCORE_EDIT: "score features or pin them in a ranking",
    Action.SCORING_MODEL_MANAGE: "manage scoring models",
    Action.CAPACITY_MANAGE: "manage teams and their capacity",
    Action.PLAN_MANAGE: "create or change capacity plans",
    Action.PLAN_COMMIT: "commit a capacity plan",
}

# Actions a PM holds only over what they own: the object's owner (or its product's owner) decides.
_OWNED_BY_PM = {Action.PRODUCT_EDIT, Action.FEATURE_EDIT, Action.OBJECTIVE_CHECK_IN}


def role_in(user: Any, workspace: Workspace | int | None) -> str | None:
    """The user's role in the workspace, or None. Cached on the user object for the request."""
    if workspace is None or user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    cache: dict[int, str] | None = getattr(user, "_headway_roles", None)
    if cache is None:
        # order_by(): Membership's default ordering joins two tables this lookup does not need.
        cache = dict(Membership.objects.filter(user_id=user.pk).order_by().values_list("workspace_id", "role"))
        user._headway_roles = cache
    return cache.get(workspace_id)


def forget_roles(user: Any) -> None:
    """Drop the cached roles after a membership of this user changed."""
    if hasattr(user, "_headway_roles"):
        del user._headway_roles


def is_member(user: Any, workspace: Workspace | int | None) -> bool:
    return role_in(user, workspace) is not None


def _owner_id(action: Action, obj: Model | None) -> int | None:
    """Who owns the object for this action: for product and feature edits the product's owner
    (obj is a product, or has one: a component, a feature); for check-ins the objective's owner."""
    if obj is None:
        return None
    if action == Action.OBJECTIVE_CHECK_IN:
        objective = getattr(obj, "objective", obj)  # an objective, or a key result of one
        return getattr(objective, "owner_id", None)
    product = obj if obj._meta.label_lower == "portfolio.product" else getattr(obj, "product", None)
    return getattr(product, "owner_id", None)


def can(user: Any, action: Action, workspace: Workspace | int | None, obj: Model | None = None) -> bool:
    role = role_in(user, workspace)
    if role is None:
        return False
    if obj is not None and getattr(obj, "workspace_id", None) not in (None, _workspace_id(workspace)):
        return False
    if action == Action.COMMENT_DELETE and obj is not None:
        # A comment is its author's words: nobody else removes them, whatever their role.
        return action in CAPABILITIES[role] and getattr(obj, "author_id", None) == user.pk
    if action in _OWNED_BY_PM and role == Role.PM:
        # PMs act on what they own only; without an object the question is "some of it?".
        return obj is None or _owner_id(action, obj) == user.pk
    return action in CAPABILITIES[role]


def _workspace_id(workspace: Workspace | int | None) -> int | None:
    return workspace if isinstance(workspace, int) or workspace is None else workspace.pk


def require_member(user: Any, workspace: Workspace | int | None) -> str:
    role = role_in(user, workspace)
    if role is None:
        raise NotFound("No such workspace, or you are not a member of it.")
    return role


def require(user: Any, action: Action, workspace: Workspace | int | None, obj: Model | None = None) -> None:
    """Raise unless the user may do the action. Non-members get NotFound, members PermissionDenied."""
    role = require_member(user, workspace)
    if obj is not None and getattr(obj, "workspace_id", None) not in (None, _workspace_id(workspace)):
        raise NotFound("Not found.")
    if not can(user, action, workspace, obj):
        what = _DESCRIPTIONS.get(action, action.value)
        raise PermissionDenied(f"Your role ({Role(role).label}) may not {what}.")


def require_role_change(actor: Any, workspace: Workspace, *, current: str | None, new: str | None) -> None:
    """May the actor move a member from `current` to `new` role (None = not a member)?"""
    require(actor, Action.MEMBER_MANAGE, workspace)
    if role_in(actor, workspace) == Role.ADMIN:
        return
    for role in (current, new):
        if role is not None and role not in LEADER_ASSIGNABLE:
            raise PermissionDenied("Only an admin may add, change or remove an admin.")


def visible_workspaces(user: Any) -> QuerySet[Workspace]:
    if not getattr(user, "is_authenticated", False):
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user_id=user.pk).order_by("name")


def scope(queryset: QuerySet, user: Any, workspace: Workspace | int, action: Action) -> QuerySet:
    """Restrict a queryset of workspace-owned rows to one workspace the user may read."""
    require(user, action, workspace)
    return queryset.filter(workspace_id=_workspace_id(workspace))


def get_or_404(queryset: QuerySet, **lookup: Any) -> Any:
    """Fetch one row from an already scoped queryset, raising the project's NotFound."""
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise NotFound(f"No {queryset.model._meta.verbose_name} matches that id in this workspace.")
    return obj


# --- portals: people outside the workspace -------------------------------------------------------


class PortalAccess(StrEnum):
    """What a person may do in one portal. Staff are the workspace's members."""

    NONE = "none"  # the portal does not exist for them (404, or the sign-in page)
    READ = "read"  # reads ideas and public comments; must sign in (or verify) to take part
    PARTICIPATE = "participate"  # submits, votes, comments, follows
    STAFF = "staff"  # a workspace member: everything the portal shows, plus internal notes


def portal_email_allowed(portal: Portal, email: str) -> bool:
    """May this address join a private portal: invited, or at one of its allowed domains?"""
    email = (email or "").strip().lower()
    domain = email.rpartition("@")[2]
    if domain and domain in portal.domains:
        return True
    return portal.invitations.filter(email__iexact=email).exists()


def portal_access(user: Any, portal: Portal, account: PortalAccount | None = None) -> PortalAccess:
    """The one answer to "what may this person do here?" for every portal page and service.

    ``account`` is the user's PortalAccount of this portal when the caller has it loaded.
    """
    if portal.archived_at is not None:
        return PortalAccess.NONE
    signed_in = bool(getattr(user, "is_authenticated", False) and user.is_active)
    if signed_in and is_member(user, portal.workspace_id):
        return PortalAccess.STAFF
    if portal.visibility == Visibility.INTERNAL:
        return PortalAccess.NONE
    if signed_in and account is None:
        account = PortalAccount.objects.filter(portal=portal, user_id=user.pk).first()
    verified = account is not None and account.email_verified_at is not None and account.blocked_at is None
    if portal.visibility == Visibility.PUBLIC:
        return PortalAccess.PARTICIPATE if verified else PortalAccess.READ
    if portal.visibility == Visibility.PRIVATE and verified and not portal_email_allowed(portal, user.email):
        return PortalAccess.NONE  # the invitation was withdrawn or the domain removed
    return PortalAccess.PARTICIPATE if verified else PortalAccess.NONE


def require_portal(
    user: Any, portal: Portal, needed: PortalAccess, account: PortalAccount | None = None
) -> PortalAccess:
    """Raise unless the person has at least ``needed`` in the portal; returns what they have."""
    order = [PortalAccess.NONE, PortalAccess.READ, PortalAccess.PARTICIPATE, PortalAccess.STAFF]
    access = portal_access(user, portal, account)
    if access == PortalAccess.NONE:
        raise NotFound("No such portal, or it is not open to you.")
    if order.index(access) < order.index(needed):
        if needed == PortalAccess.STAFF:
            raise PermissionDenied("Only the team behind this portal may do that.")
        raise PermissionDenied("Sign in (and confirm your email address) to take part.")
    return access


def portal_ideas(queryset: QuerySet, user: Any, portal: Portal, access: PortalAccess) -> QuerySet:
    """The portal's ideas this person may see: staff everything; others approved ideas (and their
    own waiting ones); in a submit-only portal, only their own."""
    from django.db.models import Q

    queryset = queryset.filter(portal=portal, deleted_at__isnull=True)
    if access == PortalAccess.STAFF:
        return queryset
    if access == PortalAccess.NONE:
        return queryset.none()
    own = Q(submitter_id=user.pk) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
    if portal.visibility == Visibility.SUBMIT_ONLY:
        return queryset.filter(own)
    return queryset.filter(Q(approval=Approval.APPROVED) | own)


def portal_can_see_idea(user: Any, idea: Idea, access: PortalAccess) -> bool:
    if idea.deleted_at is not None or access == PortalAccess.NONE:
        return False
    if access == PortalAccess.STAFF:
        return True
    own = getattr(user, "is_authenticated", False) and idea.submitter_id == user.pk
    if idea.portal.visibility == Visibility.SUBMIT_ONLY:
        return bool(own)
    return idea.approval == Approval.APPROVED or bool(own)
