from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from healthlinks.accounts.models import Role, User


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


def user_token(*, username: str) -> str:
    try:
        user = User.objects.get(username=username)
    except User.DoesNotExist:
        raise ValidationError({"username": f"no user named {username!r}"}) from None
    token, _ = Token.objects.get_or_create(user=user)
    return token.key
