from django.urls import path

from headway.customers import views

app_name = "customers"

urlpatterns = [path("", views.company_list, name="list")]
