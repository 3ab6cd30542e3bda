from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from config.api import api
from headway.workspaces import views as workspace_views


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("headway.accounts.urls")),
    path("workspaces/new/", workspace_views.workspace_create, name="workspace_create"),
    path("invitations/<str:token>/", workspace_views.invitation_accept, name="invitation_accept"),
    path("w/<slug:ws>/", include("headway.workspaces.urls")),
    path("w/<slug:ws>/portfolio/", include("headway.portfolio.urls")),
    path("w/<slug:ws>/customers/", include("headway.customers.urls")),
    path("w/<slug:ws>/strategy/", include("headway.strategy.urls")),
    path("w/<slug:ws>/backlog/", include("headway.backlog.urls")),
    path("w/<slug:ws>/ideas/", include("headway.ideas.urls")),
    path("w/<slug:ws>/insights/", include("headway.insights.urls")),
    path("w/<slug:ws>/prioritization/", include("headway.prioritization.urls")),
    path("w/<slug:ws>/reports/", include("headway.reports.urls")),
    path("p/<slug:portal>/", include("headway.ideas.portal_urls")),
    path("api/v1/", api.urls),
]

handler404 = "headway.core.views.not_found"
handler403 = "headway.core.views.forbidden"
