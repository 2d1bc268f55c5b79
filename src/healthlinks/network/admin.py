from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from healthlinks.network import models


class PersonalInline(admin.StackedInline):
    model = models.PersonalData


@admin.register(models.Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ["pseudo_id", "external_id", "cadre", "sex", "research_consent", "is_synthetic"]
    list_filter = ["sex", "research_consent", "is_synthetic"]
    search_fields = ["pseudo_id", "external_id", "personal__family_name"]
    inlines = [PersonalInline]
    raw_id_fields = ["home_institution"]


@admin.register(models.Stay)
class StayAdmin(SimpleHistoryAdmin):
    """Read-mostly: stays are written through the pages, the API and imports so derived fields stay right."""

    list_display = ["pk", "external_id", "person", "partnership", "mode", "start_date", "end_date", "duration_days"]
    list_filter = ["mode", "safeguard_flag", "circular"]
    search_fields = ["external_id", "person__pseudo_id"]
    raw_id_fields = ["person", "partnership", "sending_institution", "host_institution"]
    readonly_fields = ["duration_days", "repeat_index", "days_since_previous", "circular", "safeguard_flag"]


admin.site.register(models.Tie, SimpleHistoryAdmin)
