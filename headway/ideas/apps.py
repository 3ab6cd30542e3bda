from django.apps import AppConfig


class IdeasConfig(AppConfig):
    name = "headway.ideas"
    label = "ideas"
