from django.urls import path

from headway.backlog import views

app_name = "backlog"

urlpatterns = [path("", views.backlog, name="list")]
