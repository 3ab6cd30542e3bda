from django.urls import path

from headway.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("alignment/", views.alignment, name="alignment"),
    path("alignment/export.csv", views.alignment_export, name="alignment_export"),
]
