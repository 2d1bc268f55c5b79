"""Hub administrators' operations pages: revoke a user's sessions and tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from healthlinks.accounts.models import User
from healthlinks.ops.sessions import user_revoke
from healthlinks.registry.selectors import is_hub_admin


def _hub_admin(request: HttpRequest) -> None:
    if not is_hub_admin(request.user):
        raise PermissionDenied


@login_required
@require_safe
def users(request: HttpRequest) -> HttpResponse:
    _hub_admin(request)
    qs = User.objects.order_by("username")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(username__icontains=q)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "ops/users.html", {"page": page, "q": q, "querystring": urlencode({"q": q}) if q else ""})


@login_required
@require_POST
def user_revoke_view(request: HttpRequest, username: str) -> HttpResponse:
    _hub_admin(request)
    result = user_revoke(username=username, deactivate=request.POST.get("deactivate") == "1")
    messages.success(request, str(result))
    return redirect("ops-users")


@login_required
def erasure(request: HttpRequest) -> HttpResponse:
    """Erase a person's personal data on request: by pseudonymous id, confirmed by typing it twice."""
    from django.core.exceptions import ValidationError

    from healthlinks.ops.erasure import person_erase
    from healthlinks.ops.models import Erasure

    _hub_admin(request)
    errors: list[str] = []
    if request.method == "POST":
        pseudo_id = request.POST.get("pseudo_id", "").strip()
        if not pseudo_id or pseudo_id != request.POST.get("confirm", "").strip():
            errors.append("type the pseudonymous id twice, identically")
        else:
            try:
                done = person_erase(by=request.user, pseudo_id=pseudo_id)  # type: ignore[arg-type]
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                messages.success(request, f"{done.pseudo_id}: personal data erased ({done.rows} rows scrubbed).")
                return redirect("ops-erasure")
    return render(request, "ops/erasure.html", {"errors": errors, "erasures": Erasure.objects.all()[:50]})


@login_required
def deleted(request: HttpRequest) -> HttpResponse:
    """Soft-deleted partnerships and people: delete one (by slug / pseudonymous id) or restore one."""
    from django.core.exceptions import ValidationError

    from healthlinks.network.models import Person
    from healthlinks.ops import softdelete
    from healthlinks.registry.models import Partnership

    _hub_admin(request)
    actions: dict[str, tuple[Callable[..., Any], str]] = {
        "delete_partnership": (softdelete.partnership_delete, "slug"),
        "restore_partnership": (softdelete.partnership_restore, "slug"),
        "delete_person": (softdelete.person_delete, "pseudo_id"),
        "restore_person": (softdelete.person_restore, "pseudo_id"),
    }
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        key = request.POST.get("key", "").strip()
        if action not in actions or not key:
            errors.append("choose what to delete or restore")
        else:
            func, name = actions[action]
            try:
                obj = func(by=request.user, **{name: key})
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                messages.success(request, f"{obj}: {'deleted' if action.startswith('delete') else 'restored'}.")
                return redirect("ops-deleted")
    return render(
        request,
        "ops/deleted.html",
        {
            "errors": errors,
            "partnerships": Partnership.objects.filter(deleted_at__isnull=False).order_by("-deleted_at"),
            "people": Person.objects.filter(deleted_at__isnull=False).order_by("-deleted_at"),
        },
    )
