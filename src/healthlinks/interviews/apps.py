from django.apps import AppConfig


class InterviewsConfig(AppConfig):
    name = "healthlinks.interviews"
    label = "interviews"
    verbose_name = "Coded interviews"
