from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "headway.portfolio"
    label = "portfolio"
