from django.contrib.auth import views as auth_views
from django.urls import path

from healthlinks.web import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("partnerships/", views.partnership_list, name="partnership-list"),
    path("partnerships/new/", views.partnership_create, name="partnership-create"),
    path("partnerships/<slug:slug>/", views.partnership_detail, name="partnership-detail"),
    path("partnerships/<slug:slug>/edit/", views.partnership_edit, name="partnership-edit"),
    path("institutions/", views.institution_list, name="institution-list"),
    path("institutions/new/", views.institution_create, name="institution-create"),
    path("institutions/<int:pk>/", views.institution_detail, name="institution-detail"),
    path("institutions/<int:pk>/edit/", views.institution_edit, name="institution-edit"),
    path("reference/", views.reference, name="reference"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
