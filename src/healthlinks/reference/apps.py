from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReferenceConfig(AppConfig):
    name = "healthlinks.reference"
    label = "reference"
    verbose_name = "Reference data"

    def ready(self) -> None:
        from healthlinks.reference.services import reference_load_after_migrate

        # post_migrate also follows a database flush, so the tables are never left empty.
        post_migrate.connect(reference_load_after_migrate, sender=self)
