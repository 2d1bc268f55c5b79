from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "healthlinks.evidence"
    label = "evidence"
    verbose_name = "Evidence library"
