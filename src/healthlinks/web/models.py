"""What the web pages keep for themselves: the forms already sent, so that one sent twice is saved once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SentForm(models.Model):
    """A form sent with an idempotency key (the offline forms: stays, outcomes, survey answers) and where its
    success led; the same key sent again leads there without saving a second record."""

    key = models.UUIDField(_("idempotency key"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(_("form"), max_length=300)
    location = models.CharField(_("saved as"), max_length=500)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="unique_sent_form_key")]
        verbose_name = _("form sent")
        verbose_name_plural = _("forms sent")

    def __str__(self) -> str:
        return f"{self.path} {self.key}"
