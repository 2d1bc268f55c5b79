"""One permission class for every endpoint: the view says what an object needs, the selectors decide."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request


class ScopedAccess(BasePermission):
    """Reads are scoped by each view's queryset (selectors). Writes need a signed-in user that
    the view's `can_create(user)` / `can_edit(user, obj)` allow."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if not request.user or not request.user.is_authenticated:
            return False
        if getattr(view, "action", None) == "create":
            can_create = getattr(view, "can_create", None)
            return bool(can_create and can_create(request.user))
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        can_edit = getattr(view, "can_edit", None)
        return bool(can_edit and can_edit(request.user, obj))
