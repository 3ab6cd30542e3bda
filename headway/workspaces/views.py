"""Workspace home, members and invitations, audit log, and the "coming" pages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headway.core import permissions
from headway.core.context_processors import COMING_AREAS
from headway.core.errors import HeadwayError
from headway.core.htmx import render_page
from headway.workspaces import selectors, services
from headway.workspaces.forms import AcceptForm, InviteForm, WorkspaceForm
from headway.workspaces.models import Role


def _posted(request: HttpRequest):
    """The submitted data for a POST (even an empty one, so it shows "required" errors), else None."""
    return request.POST if request.method == "POST" else None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Land in the workspace the person used last, or offer to create the first one."""
    workspaces = permissions.visible_workspaces(request.user)
    workspace = workspaces.filter(pk=request.user.last_workspace_id).first() or workspaces.first()
    if workspace:
        return redirect("workspaces:overview", ws=workspace.slug)
    return redirect("workspace_create")


@login_required
def workspace_create(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            workspace = services.workspace_create(actor=request.user, name=form.cleaned_data["name"])
            messages.success(request, f"Workspace “{workspace.name}” created. You are its admin.")
            return redirect("workspaces:overview", ws=workspace.slug)
        except HeadwayError as exc:
            form.add_error("name", exc.message)
    return render(request, "workspaces/create.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    from headway.portfolio.models import Stage
    from headway.workspaces.overview import overview_numbers

    context = {"numbers": overview_numbers(request.workspace), "stages": Stage.choices, "area": "overview"}
    return render(request, "workspaces/overview.html", context)


# What each area still to come will do, so the "coming" page says more than "not yet".
COMING_DESCRIPTIONS = {
    "roadmaps": "Releases and milestones, roadmap views to share, and forecasts.",
    "metrics": "Outcomes next to the work: product metrics, sales and budget.",
}


@login_required
def coming(request: HttpRequest, area: str) -> HttpResponse:
    if area not in COMING_AREAS:
        raise Http404("No such area.")
    context = {"area": area, "area_label": COMING_AREAS[area], "description": COMING_DESCRIPTIONS.get(area, "")}
    return render(request, "workspaces/coming.html", context)


@login_required
def members(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    search, role = request.GET.get("q", "").strip(), request.GET.get("role", "")
    qs = selectors.member_list(actor=request.user, workspace=workspace, search=search, role=role)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    assignable = selectors.assignable_roles(actor=request.user, workspace=workspace)
    can_manage = bool(assignable)
    if request.method == "POST" and not can_manage:
        permissions.require(request.user, permissions.Action.MEMBER_MANAGE, workspace)
    invitations = selectors.invitation_pending_list(actor=request.user, workspace=workspace) if can_manage else []
    form = InviteForm(_posted(request), roles=assignable)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _ = services.invitation_create(actor=request.user, workspace=workspace, **form.cleaned_data)
            messages.success(
                request,
                f"Invitation sent to {invitation.email}. The link works for {settings.HEADWAY_INVITATION_DAYS} days.",
            )
            return redirect("workspaces:members", ws=workspace.slug)
        except HeadwayError as exc:
            field = next((name for name in exc.fields if name in form.fields), None)
            form.add_error(field, exc.message)
    context = {
        "page": page,
        "form": form,
        "invitations": invitations,
        "can_manage": can_manage,
        "roles": Role.choices,
        "assignable_roles": assignable,
        "assignable_values": [value for value, _ in assignable],
        "q": search,
        "role": role,
        "area": "team",
    }
    return render_page(
        request, "workspaces/members.html", context, fragment="member-rows", status=400 if form.errors else 200
    )


@login_required
@require_POST
def member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    # Not in this workspace: a 404 page like every other foreign id, not a flash message.
    selectors.member_get(actor=request.user, workspace=request.workspace, membership_id=membership_id)
    try:
        m = services.membership_change_role(
            actor=request.user,
            workspace=request.workspace,
            membership_id=membership_id,
            role=request.POST.get("role", ""),
        )
        messages.success(request, f"{m.user.display_name} is now {m.get_role_display()}.")
    except HeadwayError as exc:
        messages.error(request, exc.message)
    return redirect("workspaces:members", ws=request.workspace.slug)


@login_required
@require_POST
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    leaving_self = (
        selectors.member_get(actor=request.user, workspace=request.workspace, membership_id=membership_id).user_id
        == request.user.pk
    )
    try:
        services.membership_remove(actor=request.user, workspace=request.workspace, membership_id=membership_id)
    except HeadwayError as exc:
        messages.error(request, exc.message)
        return redirect("workspaces:members", ws=request.workspace.slug)
    if leaving_self:
        messages.success(request, f"You left {request.workspace.name}.")
        return redirect("home")
    messages.success(request, "Member removed.")
    return redirect("workspaces:members", ws=request.workspace.slug)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = permissions.get_or_404(
        selectors.invitation_pending_list(actor=request.user, workspace=request.workspace), pk=invitation_id
    )
    services.invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, f"Invitation for {invitation.email} withdrawn.")
    return redirect("workspaces:members", ws=request.workspace.slug)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_from_token(token=token)
    except HeadwayError as exc:
        return render(request, "workspaces/invitation_invalid.html", {"message": exc.message}, status=exc.status)
    user = request.user if request.user.is_authenticated else None
    # A signed-in person only confirms; the form (name, password) is for a new account.
    form = AcceptForm(_posted(request)) if user is None else AcceptForm()
    status, error = 200, ""
    if request.method == "POST" and (user is not None or form.is_valid()):
        try:
            membership = services.invitation_accept(
                token=token,
                user=user,
                password=form.cleaned_data.get("password") if user is None else None,
                full_name=form.cleaned_data.get("full_name", "") if user is None else "",
            )
            if user is None:
                login(request, membership.user, backend="headway.accounts.backends.EmailBackend")
            messages.success(request, f"Welcome to {membership.workspace.name}.")
            return redirect("workspaces:overview", ws=membership.workspace.slug)
        except HeadwayError as exc:
            if user is None:
                for field, errs in (exc.fields or {"__all__": [exc.message]}).items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                error = exc.message
            status = exc.status
    elif request.method == "POST":
        status = 400
    context = {
        "invitation": invitation,
        "form": form,
        "error": error,
        "user": user,
        "wrong_user": user is not None and user.email.lower() != invitation.email.lower(),
    }
    return render(request, "workspaces/invitation_accept.html", context, status=status)


AUDIT_TYPES = [
    ("workspace.", "Workspace"),
    ("membership.", "Members"),
    ("invitation.", "Invitations"),
    ("product_line.", "Product lines"),
    ("product.", "Products"),
    ("component.", "Components"),
    ("company.", "Companies"),
    ("contact.", "Contacts"),
    ("api_token.", "API tokens"),
]


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    prefix = request.GET.get("type", "")
    qs = selectors.audit_for_workspace(actor=request.user, workspace=request.workspace, action_prefix=prefix)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render_page(
        request,
        "workspaces/audit.html",
        {"page": page, "type": prefix, "area": "audit", "audit_types": AUDIT_TYPES},
        fragment="audit-rows",
    )
