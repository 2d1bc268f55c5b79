from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.i18n import set_language

from healthlinks.accounts.services import user_language_set


def language(request: HttpRequest) -> HttpResponse:
    """The language switcher (POST): a signed-in user's choice is kept on their account; everyone gets Django's
    cookie. A GET changes nothing and goes back, as Django's own view does."""
    code = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated:
        try:
            user_language_set(user=request.user, language=code)
        except ValidationError as error:
            return HttpResponseBadRequest(" ".join(error.messages))
    return set_language(request)
