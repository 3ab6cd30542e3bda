from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "headway.customers"
    label = "customers"
