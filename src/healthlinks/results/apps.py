from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "healthlinks.results"
    label = "results"
    verbose_name = "Results and costs"
