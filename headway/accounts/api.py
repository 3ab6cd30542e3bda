"""API: who am I."""

from django.http import HttpRequest
from ninja import Router, Schema

from headway.core.api import responses, workspace_of

router = Router(tags=["account"])


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    time_zone: str
    workspace: str
    role: str


@router.get("/me", response=responses({200: MeOut}), summary="The signed-in user and their role in this workspace")
def me(request: HttpRequest) -> dict:
    workspace = workspace_of(request)
    from headway.core.permissions import role_in

    user = request.user
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "time_zone": user.time_zone,
        "workspace": workspace.slug,
        "role": role_in(user, workspace),
    }
