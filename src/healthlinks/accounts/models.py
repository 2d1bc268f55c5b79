from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HUB_ADMIN = "hub_admin", _("Hub administrator")
    COORDINATOR = "coordinator", _("Partnership coordinator")
    MEMBER = "member", _("Partnership member")
    RESEARCHER = "researcher", _("Researcher")


class User(AbstractUser):
    """A person who logs in. Which partnerships they coordinate or belong to lives in the registry."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    # The language chosen with the switcher, used on every device the user signs in on ("" = the browser's).
    language = models.CharField(_("language"), max_length=10, blank=True, default="")

    @property
    def is_hub_admin(self) -> bool:
        return self.is_active and (self.role == Role.HUB_ADMIN or self.is_superuser)

    @property
    def is_researcher(self) -> bool:
        return self.is_active and self.role == Role.RESEARCHER
