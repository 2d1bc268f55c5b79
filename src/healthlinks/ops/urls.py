from django.urls import path

from healthlinks.ops import views

urlpatterns = [
    path("users/", views.users, name="ops-users"),
    path("users/<str:username>/revoke/", views.user_revoke_view, name="ops-user-revoke"),
    path("erasure/", views.erasure, name="ops-erasure"),
    path("deleted/", views.deleted, name="ops-deleted"),
]
