from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "healthlinks.evaluation"
    label = "evaluation"
    verbose_name = "Evaluation: surveys"
