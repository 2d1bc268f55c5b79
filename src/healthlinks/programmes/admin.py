from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from healthlinks.programmes import models


class MembershipInline(admin.TabularInline):
    model = models.ProgrammePartnership
    extra = 0
    autocomplete_fields = ["partnership"]


class TargetInline(admin.TabularInline):
    model = models.ProgrammeTarget
    extra = 0


@admin.register(models.Programme)
class ProgrammeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "funding_scheme", "period_start", "period_end", "currency"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, TargetInline]


@admin.register(models.Dhis2Mapping)
class Dhis2MappingAdmin(SimpleHistoryAdmin):
    list_display = ["kind", "key", "uid"]
    list_filter = ["kind"]
