from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from healthlinks.activities import models


class TraineeInline(admin.TabularInline):
    model = models.Trainee
    raw_id_fields = ["person"]
    extra = 0


class AggregateInline(admin.TabularInline):
    model = models.AggregateTrainees
    extra = 0


@admin.register(models.Activity)
class ActivityAdmin(SimpleHistoryAdmin):
    list_display = ["title", "partnership", "kind", "mode", "start_date", "end_date", "training_of_trainers"]
    list_filter = ["kind", "mode", "training_of_trainers"]
    search_fields = ["title", "external_id"]
    raw_id_fields = ["partnership", "venue", "facilitators", "stays"]
    inlines = [TraineeInline, AggregateInline]


for model in (models.Assessment, models.Outcome, models.KnowledgeItem, models.CascadeReport):
    admin.site.register(model, SimpleHistoryAdmin)
