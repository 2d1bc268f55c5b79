from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "healthlinks.activities"
    label = "activities"
    verbose_name = "Activities and outcomes"
