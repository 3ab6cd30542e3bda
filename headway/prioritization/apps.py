from django.apps import AppConfig


class PrioritizationConfig(AppConfig):
    name = "headway.prioritization"
    label = "prioritization"
