from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from healthlinks.evaluation import models


class QuestionInline(admin.TabularInline):
    model = models.Question
    extra = 0
    fields = ("order", "path", "type", "label", "list_name", "required", "relevant", "constraint")
    readonly_fields = fields
    can_delete = False


@admin.register(models.Instrument)
class InstrumentAdmin(SimpleHistoryAdmin):
    list_display = ["title", "slug", "version", "form_id", "created_at"]
    search_fields = ["title", "slug", "form_id"]
    readonly_fields = ["form_id", "version", "xlsform_name", "warnings"]
    inlines = [QuestionInline]


@admin.register(models.Response)
class ResponseAdmin(SimpleHistoryAdmin):
    list_display = ["uuid", "instrument", "submitted_at", "source", "partnership"]
    list_filter = ["instrument", "source"]
    raw_id_fields = ["partnership", "institution", "person", "submitted_by"]
    search_fields = ["uuid"]
