from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "headway.core"
    label = "core"
    verbose_name = "Headway core"
