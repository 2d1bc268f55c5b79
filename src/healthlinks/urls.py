from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from healthlinks.accounts import views as account_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("healthlinks.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),  # CSP: no inline script
    path("i18n/setlang/", account_views.language, name="set_language"),  # Django's, plus the account's choice
    path("ops/", include("healthlinks.ops.urls")),
    path("tasks/", include("healthlinks.tasks.urls")),
    path("", include("healthlinks.web.urls")),
]
