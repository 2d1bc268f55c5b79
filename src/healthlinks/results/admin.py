from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from healthlinks.results import models


@admin.register(models.CurrencyRate)
class CurrencyRateAdmin(SimpleHistoryAdmin):
    list_display = ["currency", "year", "rate", "source"]


@admin.register(models.DayRate)
class DayRateAdmin(SimpleHistoryAdmin):
    list_display = ["grade", "cadre", "year", "day_rate", "currency", "method"]


@admin.register(models.ComparatorProgramme)
class ComparatorProgrammeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "year", "cash_cost", "currency", "trainees", "practice_changed"]


for model in (models.CashCost, models.InKindContribution):
    admin.site.register(model, SimpleHistoryAdmin)
