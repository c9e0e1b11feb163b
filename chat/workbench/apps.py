from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    name = "chat.workbench"
    label = "workbench"
    verbose_name = "Prompt workbench"
