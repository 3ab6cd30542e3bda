from django.urls import path

from headway.reports import views

app_name = "reports"

urlpatterns = [path("", views.reports, name="index")]
