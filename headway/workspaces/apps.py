from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "headway.workspaces"
    label = "workspaces"
