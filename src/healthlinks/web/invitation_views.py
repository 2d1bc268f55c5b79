"""Survey invitations: a coordinator makes links for an instrument and a partnership (an open link, and/or one
personal link per trainee of an activity), prints their QR codes, reminds those who have not answered and reads
the response rate; a respondent answers through a link with no account (rate-limited, and shown nothing about
anyone else)."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mass_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from healthlinks.activities.models import Activity, Trainee
from healthlinks.evaluation import selectors
from healthlinks.evaluation.models import Instrument, Invitation
from healthlinks.evaluation.services import (
    InvitationClosed,
    invitation_answer,
    invitation_check,
    invitations_create,
)
from healthlinks.evaluation.webform import check_submission, form_fields
from healthlinks.network.models import Person
from healthlinks.registry.selectors import partnerships_editable_by
from healthlinks.web.evaluation_views import form_page
from healthlinks.web.views import actor, csv_download

ANSWERS_PER_HOUR = 30  # answers sent through links from one address (per server process)
LINKED = ("partnership", "person")  # questions a link answers itself


def _qr(url: str) -> str:
    import segno

    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))


def _link(request: HttpRequest, invitation: Invitation) -> str:
    return request.build_absolute_uri(f"/a/{invitation.token}/")


@login_required
@require_http_methods(["GET", "POST"])
def invitations_page(request: HttpRequest, slug: str) -> HttpResponse:
    instrument = get_object_or_404(selectors.instruments_visible_to(request.user), slug=slug)
    partnerships = partnerships_editable_by(request.user).order_by("name")
    if not partnerships.exists():
        raise PermissionDenied
    chosen = partnerships.filter(slug=request.GET.get("partnership") or request.POST.get("partnership")).first()
    context: dict[str, Any] = {"i": instrument, "partnerships": partnerships, "p": chosen, "errors": []}
    if chosen is None:
        return render(request, "evaluation/invitations.html", context)
    activities = Activity.objects.filter(partnership=chosen).order_by("-start_date", "-pk")
    invitations = Invitation.objects.filter(instrument=instrument, partnership=chosen)
    if request.method == "POST" and request.POST.get("action") == "remind":
        return _remind(request, instrument, chosen, invitations)
    if request.method == "POST":
        activity = activities.filter(pk=request.POST.get("activity") or 0).first()
        people: list[Person] = []
        if activity is not None and request.POST.get("trainees"):
            people = [t.person for t in Trainee.objects.filter(activity=activity).select_related("person")]
        try:
            made = invitations_create(
                by=actor(request),
                instrument=instrument,
                partnership=chosen,
                activity=activity,
                people=people,
                open_link=bool(request.POST.get("open_link")),
                expires_on=parse_date(request.POST.get("expires_on") or "") or None,
            )
        except ValidationError as exc:
            context["errors"] = exc.messages
        else:
            messages.success(request, ngettext("%(n)s link made.", "%(n)s links made.", len(made)) % {"n": len(made)})
            return redirect(f"{request.path}?partnership={chosen.slug}")
    if request.GET.get("format") == "csv":  # the personal links, for a mail merge or a messaging app
        lines = [
            [getattr(i.person, "pseudo_id", ""), i.expires_on.isoformat(), _link(request, i), bool(i.answered_at)]
            for i in invitations.filter(person__isnull=False).select_related("person")
        ]
        return csv_download(["person", "expires_on", "link", "answered"], lines, f"invitations-{chosen.slug}.csv")
    rows = selectors.invitation_rates(invitations)
    for row in rows:
        row["url"] = _link(request, row["invitation"])
        row["qr"] = _qr(row["url"]) if row["invitation"].person_id is None else ""
    context.update(activities=activities[:200], rows=rows, rate=selectors.response_rate(rows))
    return render(request, "evaluation/invitations.html", context)


def _remind(request: HttpRequest, instrument: Instrument, partnership: Any, invitations: Any) -> HttpResponse:
    """An email to each person with a personal link still open and unanswered, where an address is known."""
    waiting = invitations.filter(
        person__isnull=False, answered_at__isnull=True, expires_on__gte=timezone.localdate()
    ).select_related("person__personal")
    mails = []
    for invitation in waiting:
        email = getattr(getattr(invitation.person, "personal", None), "email", "")
        if email:
            body = _("Please answer “%(title)s” for %(p)s (a few minutes, on a phone): %(link)s") % {
                "title": instrument.title,
                "p": partnership.name,
                "link": _link(request, invitation),
            }
            mails.append((instrument.title, body, settings.DEFAULT_FROM_EMAIL, [email]))
    try:
        sent = send_mass_mail(mails, fail_silently=False) if mails else 0
    except OSError as exc:
        messages.error(request, _("The reminders could not be sent: %(e)s") % {"e": exc})
    else:
        said = ngettext("%(sent)s reminder sent", "%(sent)s reminders sent", sent) % {"sent": sent}
        without = waiting.count() - len(mails)
        messages.success(
            request,
            _("%(said)s; %(without)s people waiting have no email address (send them their link).")
            % {"said": said, "without": without},
        )
    return redirect(f"{request.path}?partnership={partnership.slug}")


def _too_many(request: HttpRequest) -> bool:
    key = f"invitation-answers:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, 3600)
    return cache.incr(key) > ANSWERS_PER_HOUR


@require_http_methods(["GET", "POST"])
def answer_page(request: HttpRequest, token: str) -> HttpResponse:
    """The survey for someone with a link and no account."""
    invitation = get_object_or_404(
        Invitation.objects.select_related("instrument", "partnership", "person"), token=token
    )
    instrument = invitation.instrument
    try:
        invitation_check(invitation)
    except InvitationClosed as closed:
        return render(request, "evaluation/answer_closed.html", {"reason": closed.reason, "i": instrument}, status=410)
    fields = [f for f in form_fields(instrument) if f.q.name not in LINKED]
    errors: dict[str, str] = {}
    posted: dict[str, list[str]] = {}
    if request.method == "POST":
        if _too_many(request):
            return render(
                request,
                "evaluation/answer_closed.html",
                {"reason": _("Too many answers from this address: try again in an hour."), "i": instrument},
                status=429,
            )
        posted = {k: request.POST.getlist(k) for k in request.POST if k not in ("csrfmiddlewaretoken", *LINKED)}
        posted["partnership"] = [invitation.partnership.slug]
        if invitation.person is not None:
            posted["person"] = [invitation.person.pseudo_id]
        answers, errors, _values = check_submission(instrument, posted)
        if not errors:
            submission = "link-" + ((request.POST.get("_uuid") or "").strip()[:80] or str(uuidlib.uuid4()))
            try:
                invitation_answer(invitation=invitation, uuid=submission, answers=answers, submitted_at=timezone.now())
            except InvitationClosed as closed:
                return render(
                    request, "evaluation/answer_closed.html", {"reason": closed.reason, "i": instrument}, status=410
                )
            return render(
                request,
                "evaluation/answer_closed.html",
                {"reason": _("Thank you: your answers were saved."), "i": instrument, "thanks": True},
            )
    return form_page(request, instrument, fields, errors, posted, invitation=invitation, sent=False)
