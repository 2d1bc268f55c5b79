from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "healthlinks.web"
    label = "web"
    verbose_name = "Web pages"
