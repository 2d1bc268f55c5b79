from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from healthlinks.accounts.models import Role, User
from healthlinks.records import record_save


@transaction.atomic
def user_create(*, username: str, role: str, password: str | None = None, email: str = "") -> User:
    if role not in Role.values:
        raise ValidationError({"role": f"unknown role {role!r}; choose one of {', '.join(Role.values)}"})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": f"a user named {username!r} already exists"})
    user = User(username=username, role=role, email=email)
    user.full_clean(exclude=["password"])
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.is_staff = role == Role.HUB_ADMIN  # hub admins use the Django admin
    user.save()
    return user


def user_language_set(*, user: User, language: str) -> User:
    """Remember the language a signed-in user chose, for every device they sign in on."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language: %(code)s.") % {"code": language}})
    if user.language != language:
        user.language = language
        record_save(user, by=user, update_fields=["language"], validate=False)
    return user


def user_token(*, username: str) -> str:
    try:
        user = User.objects.get(username=username)
    except User.DoesNotExist:
        raise ValidationError({"username": f"no user named {username!r}"}) from None
    token, _ = Token.objects.get_or_create(user=user)
    return token.key
