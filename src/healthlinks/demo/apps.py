from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "healthlinks.demo"
    label = "demo"
    verbose_name = "Demo world"
