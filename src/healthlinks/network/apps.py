from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "healthlinks.network"
    label = "network"
    verbose_name = "Knowledge network"
