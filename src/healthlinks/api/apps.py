from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "healthlinks.api"
    label = "api"
    verbose_name = "API"
