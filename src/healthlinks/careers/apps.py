from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareersConfig(AppConfig):
    name = "healthlinks.careers"
    verbose_name = _("Careers and retention")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from healthlinks.careers.feeds import career_record_from_response
        from healthlinks.evaluation.feeds import response_saved

        response_saved.connect(career_record_from_response, dispatch_uid="careers-from-survey")
