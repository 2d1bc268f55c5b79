from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "healthlinks.registry"
    label = "registry"
    verbose_name = "Registry"
