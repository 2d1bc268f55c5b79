from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from healthlinks.accounts.models import User


@admin.register(User)
class HealthlinksUserAdmin(UserAdmin):
    list_display = ["username", "email", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Healthlinks", {"fields": ("role",)}))
