from django.contrib.auth import views as auth_views
from django.urls import path

from healthlinks.web import activities_views, network_views, results_views, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("partnerships/", views.partnership_list, name="partnership-list"),
    path("partnerships/new/", views.partnership_create, name="partnership-create"),
    path("partnerships/<slug:slug>/", views.partnership_detail, name="partnership-detail"),
    path("partnerships/<slug:slug>/edit/", views.partnership_edit, name="partnership-edit"),
    path("partnerships/<slug:slug>/mobility/", network_views.partnership_mobility, name="partnership-mobility"),
    path("partnerships/<slug:slug>/network/", network_views.partnership_network, name="partnership-network"),
    path("partnerships/<slug:slug>/assessments/new/", views.assessment_create, name="assessment-create"),
    path("partnerships/<slug:slug>/results/", results_views.partnership_results, name="partnership-results"),
    path("partnerships/<slug:slug>/outcomes/", activities_views.partnership_outcomes, name="partnership-outcomes"),
    path("partnerships/<slug:slug>/costs/", activities_views.partnership_costs, name="partnership-costs"),
    path("partnerships/<slug:slug>/activities/new/", activities_views.activity_create, name="activity-create"),
    path("activities/", activities_views.activity_list, name="activity-list"),
    path("activities/<int:pk>/", activities_views.activity_detail, name="activity-detail"),
    path("activities/<int:pk>/outcomes/new/", activities_views.outcome_create_page, name="outcome-create"),
    path("partnerships/<slug:slug>/stays/new/", network_views.stay_create_page, name="stay-create"),
    path("people/", network_views.people_list, name="people-list"),
    path("people/<str:pseudo_id>/", network_views.person_detail, name="person-detail"),
    path("import/", network_views.import_page, name="import"),
    path("import/template/<str:kind>.<str:fmt>", network_views.import_template, name="import-template"),
    path("export/<str:kind>.<str:fmt>", network_views.export_table, name="export"),
    path("institutions/", views.institution_list, name="institution-list"),
    path("institutions/new/", views.institution_create, name="institution-create"),
    path("institutions/<int:pk>/", views.institution_detail, name="institution-detail"),
    path("institutions/<int:pk>/edit/", views.institution_edit, name="institution-edit"),
    path("reference/", views.reference, name="reference"),
    path("rates/", results_views.rates, name="rates"),
    path("rates/<str:kind>/new/", results_views.rate_edit, name="rate-create"),
    path("rates/<str:kind>/<int:pk>/", results_views.rate_edit, name="rate-edit"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
