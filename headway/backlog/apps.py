from django.apps import AppConfig


class BacklogConfig(AppConfig):
    name = "headway.backlog"
    label = "backlog"
