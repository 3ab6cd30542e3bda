from django.urls import path

from headway.ideas import notify_views
from headway.ideas import portal_views as views

app_name = "portal"

# Mounted under /p/<portal>/: pages for customers, partners and colleagues, outside any workspace.
urlpatterns = [
    path("", views.portal_home, name="home"),
    path("roadmap/", views.roadmap, name="roadmap"),
    path("changelog/", views.changelog, name="changelog"),
    path("submit/", views.submit, name="submit"),
    path("similar/", views.similar, name="similar"),
    path("ideas/<int:pk>/", views.idea_detail, name="idea"),
    path("ideas/<int:pk>/edit/", views.idea_edit, name="idea_edit"),
    path("ideas/<int:pk>/delete/", views.idea_delete, name="idea_delete"),
    path("ideas/<int:pk>/vote/", views.vote, name="vote"),
    path("ideas/<int:pk>/comments/", views.comment, name="comment"),
    path("ideas/<int:pk>/follow/", views.follow, name="follow"),
    path("signup/", views.signup, name="signup"),
    path("signin/", views.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("verify-again/", views.verify_again, name="verify_again"),
    # Owned by notify_views (closing the loop).
    path("notifications/", notify_views.notifications, name="notifications"),
    path("preferences/", notify_views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", notify_views.unsubscribe, name="unsubscribe"),
]
