from django.apps import AppConfig


class TasksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "healthlinks.tasks"
    verbose_name = "Background tasks"
