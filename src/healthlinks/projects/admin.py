from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from healthlinks.projects import models


class ParticipantInline(admin.TabularInline):
    model = models.ProjectParticipant
    raw_id_fields = ["institution"]
    extra = 0


@admin.register(models.Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ["iati_identifier", "title", "partnership", "activity_status", "needs_review"]
    list_filter = ["needs_review", "activity_status"]
    search_fields = ["iati_identifier", "title"]
    raw_id_fields = ["partnership", "reporting_org"]
    inlines = [ParticipantInline]
