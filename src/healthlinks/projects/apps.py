from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "healthlinks.projects"
    label = "projects"
    verbose_name = "Projects (IATI activities)"
