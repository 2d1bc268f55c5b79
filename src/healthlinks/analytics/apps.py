from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "healthlinks.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from healthlinks import changes

        changes.connect()
