from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from healthlinks.interviews.models import Code, Memo, Segment, Source, Speaker


@admin.register(Code)
class CodeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "parent", "colour", "is_codable"]
    search_fields = ["name", "description"]


@admin.register(Source)
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ["title", "partnership", "interview_date", "language"]
    list_filter = ["language"]
    search_fields = ["title"]


admin.site.register([Speaker, Segment, Memo], SimpleHistoryAdmin)
