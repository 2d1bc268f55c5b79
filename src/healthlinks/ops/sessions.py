"""Revoking a user's access at once: every session (web log-ins) and every API token.

The account itself stays (its history and records stay attributed); to keep the person out for good, also
deactivate the account (`deactivate=True`), which also stops new log-ins and token use.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from healthlinks.accounts.models import User


@dataclass(frozen=True)
class Revoked:
    username: str
    sessions: int
    tokens: int
    deactivated: bool

    def __str__(self) -> str:
        text = f"{self.username}: {self.sessions} sessions and {self.tokens} API tokens revoked"
        return text + ("; account deactivated" if self.deactivated else "")


def user_sessions(user: User) -> list[str]:
    """Keys of the live sessions logged in as this user (sessions are signed blobs: decode each)."""
    keys = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            keys.append(session.session_key)
    return keys


@transaction.atomic
def user_revoke(*, username: str, deactivate: bool = False) -> Revoked:
    try:
        user = User.objects.select_for_update().get(username=username)
    except User.DoesNotExist:
        raise ValidationError({"username": f"no user named {username!r}"}) from None
    keys = user_sessions(user)
    sessions, _ = Session.objects.filter(session_key__in=keys).delete()
    tokens, _ = Token.objects.filter(user=user).delete()
    if deactivate and user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return Revoked(username=user.username, sessions=sessions, tokens=tokens, deactivated=deactivate)
