from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "healthlinks.programmes"
    label = "programmes"
    verbose_name = "Programmes"
