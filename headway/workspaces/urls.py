from django.urls import path

from headway.workspaces import views

app_name = "workspaces"

# Mounted under /w/<ws>/; the middleware resolves <ws> into request.workspace.
urlpatterns = [
    path("", views.overview, name="overview"),
    path("members/", views.members, name="members"),
    path("members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("audit/", views.audit_log, name="audit"),
    path("soon/<slug:area>/", views.coming, name="coming"),
]
