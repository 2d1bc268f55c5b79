from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "healthlinks.readiness"
    label = "readiness"
    verbose_name = "Deployment readiness"
