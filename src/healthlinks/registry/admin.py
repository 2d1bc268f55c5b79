from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from healthlinks.registry import models


class MemberInline(admin.TabularInline):
    model = models.PartnershipMember
    autocomplete_fields = ["institution"]
    extra = 0


class AccessInline(admin.TabularInline):
    model = models.PartnershipAccess
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(models.Partnership)
class PartnershipAdmin(SimpleHistoryAdmin):
    list_display = ["name", "publication", "geography_class", "start_date", "end_date", "is_synthetic"]
    list_filter = ["publication", "geography_class", "is_synthetic", "needs_review"]
    search_fields = ["name", "slug"]
    inlines = [MemberInline, AccessInline]
    filter_horizontal = ["specialties", "delivery_methods", "funding_schemes"]


@admin.register(models.Institution)
class InstitutionAdmin(SimpleHistoryAdmin):
    list_display = ["name", "country", "kind", "scope", "needs_review", "is_synthetic"]
    list_filter = ["kind", "scope", "needs_review", "is_synthetic"]
    search_fields = ["name", "ror_id", "iati_org_id"]


admin.site.register(models.FundingScheme)
admin.site.register(models.PrinciplesAssessment, SimpleHistoryAdmin)
