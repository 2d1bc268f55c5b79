from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "healthlinks.readiness"
    label = "readiness"
    verbose_name = "Deployment readiness"

    def ready(self) -> None:
        from healthlinks.evaluation.feeds import response_saved
        from healthlinks.readiness.feeds import debrief_from_response

        response_saved.connect(debrief_from_response, dispatch_uid="readiness-debrief-from-survey")
