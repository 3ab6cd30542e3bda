from django.urls import path

from headway.backlog import views

app_name = "backlog"

# Mounted under /w/<ws>/backlog/; the middleware resolves <ws> into request.workspace.
urlpatterns = [
    path("", views.backlog, name="list"),
    path("more/", views.backlog_more, name="more"),
    path("board/", views.board, name="board"),
    path("bulk/", views.bulk_edit, name="bulk"),
    path("views/", views.view_save, name="view_save"),
    path("views/<int:pk>/delete/", views.view_delete, name="view_delete"),
    path("settings/", views.workflow_settings, name="settings"),
    path("settings/unit/", views.settings_unit, name="settings_unit"),
    path("settings/statuses/<int:pk>/", views.status_edit, name="status_edit"),
    path("settings/statuses/<int:pk>/move/", views.status_move, name="status_move"),
    path("settings/statuses/<int:pk>/delete/", views.status_delete, name="status_delete"),
    path("features/new/", views.feature_create, name="feature_create"),
    path("features/<int:pk>/", views.feature_detail, name="feature"),
    path("features/<int:pk>/edit/", views.feature_edit, name="feature_edit"),
    path("features/<int:pk>/move/", views.feature_move, name="feature_move"),
    path("features/<int:pk>/status/", views.feature_status, name="feature_status"),
    path("features/<int:pk>/archive/", views.feature_archive, name="feature_archive"),
    path("features/<int:pk>/restore/", views.feature_restore, name="feature_restore"),
    path("features/<int:pk>/requirements/", views.requirement_add, name="requirement_add"),
    path("features/<int:pk>/dependencies/", views.dependency_add, name="dependency_add"),
    path("features/<int:pk>/comments/", views.comment_add, name="comment_add"),
    path("features/<int:pk>/links/", views.link_add, name="link_add"),
    path("requirements/<int:pk>/", views.requirement_edit, name="requirement_edit"),
    path("dependencies/<int:pk>/delete/", views.dependency_delete, name="dependency_delete"),
    path("comments/<int:pk>/delete/", views.comment_delete, name="comment_delete"),
    path("links/<int:pk>/delete/", views.link_delete, name="link_delete"),
]
