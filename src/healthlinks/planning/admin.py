from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from healthlinks.planning.models import Plan, PlanLine


class LineInline(admin.TabularInline):
    model = PlanLine
    extra = 0


@admin.register(Plan)
class PlanAdmin(SimpleHistoryAdmin):
    list_display = ("name", "partnership", "years", "budget")
    inlines = [LineInline]
