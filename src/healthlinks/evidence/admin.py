from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from healthlinks.evidence.models import Reference, Theme


@admin.register(Reference)
class ReferenceAdmin(SimpleHistoryAdmin):
    list_display = ["title", "year", "journal", "doi"]
    search_fields = ["title", "doi", "journal"]
    list_filter = ["kind", "themes"]


admin.site.register(Theme)
