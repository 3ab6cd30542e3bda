from django.urls import path

from headway.ideas import views

app_name = "ideas"

# Mounted under /w/<ws>/ideas/; the middleware resolves <ws> into request.workspace.
urlpatterns = [
    path("", views.idea_list, name="list"),
    path("bulk/", views.bulk, name="bulk"),
    path("export/", views.export, name="export"),
    path("submit/", views.submit, name="submit"),
    path("moderation/", views.moderation, name="moderation"),
    path("<int:pk>/", views.idea_detail, name="idea"),
    path("<int:pk>/edit/", views.idea_edit, name="idea_edit"),
    path("<int:pk>/comments/", views.comment_add, name="comment_add"),
    path("<int:pk>/status/", views.status_change, name="status"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("<int:pk>/votes/", views.vote_proxy, name="vote_proxy"),
    path("<int:pk>/votes/remove/", views.vote_proxy_retract, name="vote_proxy_retract"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/merge/search/", views.merge_search, name="merge_search"),
    path("<int:pk>/unmerge/", views.unmerge, name="unmerge"),
    path("<int:pk>/promote/", views.promote, name="promote"),
    path("<int:pk>/link/", views.link_feature, name="link_feature"),
    path("<int:pk>/unlink/", views.unlink_feature, name="unlink_feature"),
    path("features/<int:pk>/link/", views.feature_link_idea, name="feature_link_idea"),
    path("settings/", views.settings_portals, name="settings"),
    path("settings/portals/new/", views.portal_create, name="portal_create"),
    path("settings/portals/<int:pk>/", views.portal_edit, name="portal_edit"),
    path("settings/portals/<int:pk>/invite/", views.portal_invite, name="portal_invite"),
    path("settings/portals/<int:pk>/archive/", views.portal_archive, name="portal_archive"),
    path("settings/portals/<int:pk>/restore/", views.portal_restore, name="portal_restore"),
    path("settings/invitations/<int:pk>/delete/", views.portal_uninvite, name="portal_uninvite"),
    path("settings/statuses/", views.settings_statuses, name="settings_statuses"),
    path("settings/statuses/<int:pk>/", views.status_edit, name="status_edit"),
    path("settings/statuses/<int:pk>/move/", views.status_move, name="status_move"),
    path("settings/statuses/<int:pk>/delete/", views.status_delete, name="status_delete"),
    path("settings/categories/", views.category_create, name="category_create"),
    path("settings/categories/<int:pk>/", views.category_edit, name="category_edit"),
    path("settings/categories/<int:pk>/delete/", views.category_delete, name="category_delete"),
    path("settings/demand/", views.settings_demand, name="settings_demand"),
    path("settings/mapping/", views.mapping_save, name="mapping_save"),
]
