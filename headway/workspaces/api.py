"""API: members of the token's workspace, and invitations."""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from headway.core.api import MAX_PAGE, MAX_PAGE_SIZE, Email, Page, StrictIn, paginate, responses, workspace_of
from headway.core.permissions import get_or_404
from headway.workspaces import selectors, services

router = Router(tags=["members"])

RoleName = Literal["admin", "leader", "pm", "contributor", "viewer"]


class MemberOut(Schema):
    id: int
    user_id: int
    email: str
    full_name: str
    role: str
    title: str
    joined_at: datetime

    @staticmethod
    def resolve_email(obj) -> str:
        return obj.user.email

    @staticmethod
    def resolve_full_name(obj) -> str:
        return obj.user.full_name

    @staticmethod
    def resolve_joined_at(obj) -> datetime:
        return obj.created_at


class MemberFilters(Schema):
    search: str = ""
    # One Literal (not a union with "") so a bad value is reported as plain "role".
    role: Literal["", "admin", "leader", "pm", "contributor", "viewer"] = ""
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class InvitationIn(StrictIn):
    email: Email
    role: RoleName


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    expires_at: datetime


class InvitationFilters(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class RoleIn(StrictIn):
    role: RoleName


@router.get("/members", response=responses({200: Page[MemberOut]}), summary="List members")
def member_list(request: HttpRequest, filters: Query[MemberFilters]) -> dict:
    workspace = workspace_of(request)
    qs = selectors.member_list(actor=request.user, workspace=workspace, search=filters.search, role=filters.role)
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.get("/members/{member_id}", response=responses({200: MemberOut}), summary="Get a member")
def member_get(request: HttpRequest, member_id: int) -> object:
    return selectors.member_get(actor=request.user, workspace=workspace_of(request), membership_id=member_id)


@router.post("/invitations", response=responses({201: InvitationOut}), summary="Invite someone by email")
def invitation_create(request: HttpRequest, data: InvitationIn) -> Status:
    invitation, _ = services.invitation_create(
        actor=request.user, workspace=workspace_of(request), email=data.email, role=data.role
    )
    return Status(201, invitation)


@router.get("/invitations", response=responses({200: Page[InvitationOut]}), summary="List pending invitations")
def invitation_list(request: HttpRequest, filters: Query[InvitationFilters]) -> dict:
    qs = selectors.invitation_pending_list(actor=request.user, workspace=workspace_of(request))
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.delete("/invitations/{invitation_id}", response=responses({204: None}), summary="Withdraw an invitation")
def invitation_delete(request: HttpRequest, invitation_id: int) -> Status:
    pending = selectors.invitation_pending_list(actor=request.user, workspace=workspace_of(request))
    invitation = get_or_404(pending, pk=invitation_id)
    services.invitation_revoke(actor=request.user, invitation=invitation)
    return Status(204, None)


@router.patch("/members/{member_id}", response=responses({200: MemberOut}), summary="Change a member's role")
def member_update(request: HttpRequest, member_id: int, data: RoleIn) -> object:
    workspace = workspace_of(request)
    services.membership_change_role(actor=request.user, workspace=workspace, membership_id=member_id, role=data.role)
    return selectors.member_get(actor=request.user, workspace=workspace, membership_id=member_id)


@router.delete("/members/{member_id}", response=responses({204: None}), summary="Remove a member")
def member_delete(request: HttpRequest, member_id: int) -> Status:
    services.membership_remove(actor=request.user, workspace=workspace_of(request), membership_id=member_id)
    return Status(204, None)
