from django.urls import path

from healthlinks.tasks import views

urlpatterns = [
    path("", views.task_list, name="task-list"),
    path("<int:pk>/", views.task_detail, name="task-detail"),
    path("<int:pk>/status/", views.task_status_json, name="task-status"),
    path("<int:pk>/download/", views.task_download, name="task-download"),
    path("<int:pk>/rerun/", views.task_rerun, name="task-rerun"),
]
