"""The results framework page of a partnership: results → indicators → periods, progress to target."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from healthlinks.registry import selectors as registry_selectors
from healthlinks.results.selectors import results_framework
from healthlinks.results.services import indicator_add
from healthlinks.web.forms import IndicatorForm
from healthlinks.web.views import _actor, _visible_partnership


def partnership_results(request: HttpRequest, slug: str) -> HttpResponse:
    partnership, access = _visible_partnership(request, slug)
    can_edit = access >= registry_selectors.Access.EDIT
    form = IndicatorForm(request.POST or None) if can_edit else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            indicator_add(
                by=_actor(request), partnership=partnership, targets_by=form.targets_by(), **form.service_fields()
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Indicator added."))
            return redirect("partnership-results", slug=partnership.slug)
    return render(
        request,
        "web/partnership_results.html",
        {"p": partnership, "framework": results_framework(partnership), "form": form},
    )
