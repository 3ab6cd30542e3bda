from django.urls import path

from headway.strategy import views

app_name = "strategy"

urlpatterns = [path("", views.overview, name="overview")]
