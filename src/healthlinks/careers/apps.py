from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareersConfig(AppConfig):
    name = "healthlinks.careers"
    verbose_name = _("Careers and retention")
    default_auto_field = "django.db.models.BigAutoField"
