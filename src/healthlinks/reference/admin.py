from django.contrib import admin

from healthlinks.reference import models


@admin.register(models.Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["iso3", "name", "who_region", "income_group", "ssl2023", "uk_code_status"]
    list_filter = ["who_region", "income_group", "ssl2023", "uk_code_status"]
    search_fields = ["name", "iso3", "iso2"]


for model in (models.Occupation, models.OrganisationType, models.PurposeCode, models.Specialty, models.DeliveryMethod):
    admin.site.register(model)
admin.site.register(models.ReferenceDataset)
