"""Pickers that scale: a person is chosen by typing, not from a list of every person. The browser asks
`/pick/people/` (htmx) for the few people matching what was typed, shown in a <datalist>; without JavaScript the
text typed (a pseudonymous id, an external id or a name) is resolved when the form is sent. Names are shown and
searched only where the user may see them; otherwise the pseudonymous id with cadre and home institution."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Case, Q, QuerySet, When
from django.db.models.functions import Length
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from healthlinks.network import selectors
from healthlinks.network.models import Person, Stay
from healthlinks.registry.models import Institution, Partnership
from healthlinks.registry.selectors import can_edit_partnership, partnerships_visible_to

SHOWN = 20  # suggestions per answer
PSEUDO = re.compile(r"\b(HL-[0-9A-Z]{6,})\b", re.IGNORECASE)


def person_option(person: Person, *, personal: bool) -> str:
    """How a person reads in a picker: name where the user may see it, then cadre and home institution."""
    parts = []
    data = getattr(person, "personal", None) if personal else None
    name = f"{data.given_name} {data.family_name}".strip() if data else ""
    if name:
        parts.append(name)
    if person.cadre is not None:
        parts.append(person.cadre.local_label)
    if person.home_institution is not None:
        parts.append(person.home_institution.name)
    return " · ".join(parts) or str(_("no details recorded"))


def people_matching(people: QuerySet[Person], text: str, *, personal: bool) -> QuerySet[Person]:
    """People of `people` whose pseudonymous id starts with, external id is, or (where the user may see names)
    name contains what was typed; every word must match."""
    text = text.strip()
    found = PSEUDO.search(text)
    if found:
        return people.filter(pseudo_id__iexact=found.group(1).upper())
    for word in text.split()[:4]:
        if word.upper().startswith("HL-"):  # the start of a pseudonymous id: a range of the unique index
            prefix = word.upper()
            people = people.filter(pseudo_id__gte=prefix, pseudo_id__lt=prefix[:-1] + chr(ord(prefix[-1]) + 1))
            continue
        match = Q(pseudo_id__startswith=word.upper()) | Q(external_id__iexact=word)
        if personal:
            match |= Q(personal__given_name__icontains=word) | Q(personal__family_name__icontains=word)
        people = people.filter(match)
    return people


class PickerInput(forms.TextInput):
    template_name = "web/widgets/picker.html"

    def __init__(
        self, *, url: Any = "", suggest: Callable[[], list[tuple[str, str]]] | None = None, how: Any = ""
    ) -> None:
        super().__init__()
        self.url, self.suggest, self.how = url, suggest, how

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        """The first records in the list before anything is typed (what a browser without JavaScript offers)."""
        context = super().get_context(name, value, attrs)
        suggestions = self.suggest() if self.suggest is not None else []
        context["widget"].update(url=self.url, suggestions=suggestions, required=self.is_required, how=self.how)
        return context


class PersonPicker(forms.ModelChoiceField):
    """A person of `queryset`, chosen by typing. `partnership` narrows the suggestions to its people."""

    widget: Any = PickerInput

    def __init__(self, *, queryset: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {})
        super().__init__(queryset=queryset if queryset is not None else Person.objects.none(), **kwargs)

    def configure(self, queryset: QuerySet[Person], *, partnership: str = "") -> None:
        """Called by the form once the user is known: the people that may be chosen (people the user may edit,
        whose names they may see) and the partnership whose people are suggested first."""
        self.queryset = queryset
        query = {"partnership": partnership} if partnership else {}
        widget = PickerInput(
            url=reverse("pick-people") + ("?" + urlencode(query) if query else ""),
            suggest=lambda: suggested(queryset),
            how=str(_("Type a name or an id (HL-…) and choose from the list.")),
        )
        widget.is_required = self.required
        self.widget = widget

    def _people(self) -> QuerySet[Person]:
        return self.queryset if self.queryset is not None else Person.objects.none()

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Person):
            return value.pseudo_id
        if isinstance(value, int):
            return self._people().filter(pk=value).values_list("pseudo_id", flat=True).first() or value
        return value

    def to_python(self, value: Any) -> Person | None:
        if value in self.empty_values:
            return None
        text = str(value)
        if text.isdigit():  # a form posted with the record's id (older pages, scripts)
            found = list(self._people().filter(pk=int(text))[:2])
        else:
            found = list(people_matching(self._people(), text, personal=True)[:2])
        if len(found) == 1:
            return found[0]
        if not found:
            raise forms.ValidationError(_("No one matches %(t)s among the people you may choose.") % {"t": text})
        raise forms.ValidationError(_("More than one person matches %(t)s: choose one from the list.") % {"t": text})


def suggested(people: QuerySet[Person]) -> list[tuple[str, str]]:
    shown = people.select_related("personal", "cadre", "home_institution").order_by("pseudo_id")[:SHOWN]
    return [(p.pseudo_id, person_option(p, personal=True)) for p in shown]


@login_required
@require_safe
def pick_people(request: HttpRequest) -> HttpResponse:
    """The options of a person picker: people the user may edit (optionally of one partnership) matching `q` or
    the picker's own field value. A constant number of queries, whatever the number of people."""
    text = str(
        request.GET.get("q") or next((v for k, v in request.GET.items() if k not in ("partnership", "multi")), "")
    )
    people = selectors.people_editable_by(request.user)
    if request.GET.get("partnership"):
        people = people.filter(roles__partnership__slug=request.GET["partnership"]).distinct()
    if "multi" in request.GET:  # boxes to tick (trainees, facilitators), by record id
        found = people_matching(people, text, personal=True).select_related("personal").order_by("pseudo_id")
        return _boxes(request, [(str(p.pk), person_label(p)) for p in found[:SHOWN]])
    options = suggested(people_matching(people, text, personal=True))
    return render(request, "web/widgets/picker_options.html", {"options": options})


def partnerships_matching(partnerships: QuerySet[Partnership], text: str) -> QuerySet[Partnership]:
    for word in text.split()[:6]:
        partnerships = partnerships.filter(Q(name__icontains=word) | Q(slug__startswith=word.lower()))
    return partnerships


def partnership_options(partnerships: QuerySet[Partnership]) -> list[tuple[str, str]]:
    return list(partnerships.order_by("name").values_list("slug", "name")[:SHOWN])


def partnership_picker() -> PickerInput:
    """The picker of the analyses' scope form: any partnership the user may see (the public: published ones),
    suggested as the user types (without JavaScript, the name typed is looked up when the form is sent)."""
    return PickerInput(url=reverse("pick-partnerships"))


@require_safe
def pick_partnerships(request: HttpRequest) -> HttpResponse:
    """The options of a partnership picker: partnerships the user may see whose name has every word typed."""
    text = str(request.GET.get("q") or request.GET.get("partnership") or "")
    options = partnership_options(partnerships_matching(partnerships_visible_to(request.user), text))
    return render(request, "web/widgets/picker_options.html", {"options": options})


# -- institutions ----------------------------------------------------------------------------------------------
ROR = re.compile(r"\b(0[a-hj-km-np-tv-z0-9]{6}[0-9]{2})\b")
BETWEEN = " — "  # between an institution's name and its country, in the text a picker shows and reads back


def institution_text(institution: Institution) -> str:
    return f"{institution.name}{BETWEEN}{institution.country.local_name}"


def institutions_matching(institutions: QuerySet[Institution], text: str) -> list[Institution]:
    """Institutions whose "name — country" is what was typed (as the picker writes it), whose ROR id is in it,
    or whose name has every word typed (at most SHOWN + 1, to tell one from many)."""
    text = text.strip()
    institutions = institutions.select_related("country")
    found = ROR.search(text)
    if found:
        return list(institutions.filter(ror_id=found.group(1))[:2])
    if BETWEEN in text:
        name, _between, country = text.rpartition(BETWEEN)
        named = [i for i in institutions.filter(name__iexact=name.strip())[: SHOWN + 1]]
        exact = [i for i in named if country.strip().lower() in (i.country.local_name.lower(), i.country_id.lower())]
        if exact or len(named) == 1:
            return exact or named
        text = name  # the country part did not match (typed short): the name's words decide
    for word in text.split()[:6]:
        institutions = institutions.filter(name__icontains=word)
    # the name typed in full first, then names that start with it, then the shortest names
    closeness = Case(When(name__iexact=text, then=0), When(name__istartswith=text, then=1), default=2)
    return list(institutions.order_by(closeness, Length("name"), "name")[: SHOWN + 1])


def institution_options(institutions: list[Institution]) -> list[tuple[str, str]]:
    return [
        (institution_text(i), " · ".join(part for part in (i.get_kind_display(), i.city) if part))
        for i in institutions[:SHOWN]
    ]


class InstitutionPicker(forms.ModelChoiceField):
    """An institution chosen by typing its name (thousands come from IATI and ROR): no list of every one."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Institution.objects.all())
        super().__init__(**kwargs)
        self.widget = PickerInput(
            url=reverse_lazy("pick-institutions"),
            how=_("Type part of the name, or a ROR id, and choose from the list."),
        )

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Institution):
            return institution_text(value)
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            found = Institution.objects.select_related("country").filter(pk=int(value)).first()
            return institution_text(found) if found else value
        return value

    def to_python(self, value: Any) -> Institution | None:
        if value in self.empty_values:
            return None
        text = str(value)
        if text.isdigit():  # a form posted with the record's id (older pages, scripts)
            found = list(self.queryset.filter(pk=int(text))[:2]) if self.queryset is not None else []
        else:
            found = institutions_matching(
                self.queryset if self.queryset is not None else Institution.objects.none(), text
            )
        if len(found) == 1:
            return found[0]
        if not found:
            raise forms.ValidationError(_("No institution matches %(t)s.") % {"t": text})
        raise forms.ValidationError(
            _("More than one institution matches %(t)s: choose one from the list.") % {"t": text}
        )


@require_safe
def pick_institutions(request: HttpRequest) -> HttpResponse:
    """The options of an institution picker: institutions whose name has every word typed (the registry is public)."""
    text = str(request.GET.get("q") or next(iter(request.GET.values()), ""))
    options = institution_options(institutions_matching(Institution.objects.all(), text))
    return render(request, "web/widgets/picker_options.html", {"options": options})


# -- several records at once: trainees, facilitators, the stays an activity was delivered during ----------------
OFFERED = 30  # ticked boxes shown before anything is typed (and all a browser without JavaScript offers)


def person_label(person: Person) -> str:
    """A person in a list of boxes to tick: name (where the queryset let it be read) and pseudonymous id."""
    personal = getattr(person, "personal", None)
    name = f"{personal.given_name} {personal.family_name}".strip() if personal else ""
    return f"{name} ({person.pseudo_id})" if name else str(person.pseudo_id)


def stay_label(stay: Stay) -> str:
    return str(
        _("%(date)s %(person)s at %(host)s (%(mode)s)")
        % {
            "date": date_format(stay.start_date),
            "person": person_label(stay.person),
            "host": stay.host_institution.name,
            "mode": stay.get_mode_display(),
        }
    )


def stays_matching(stays: QuerySet[Stay], text: str) -> QuerySet[Stay]:
    """Stays whose volunteer (pseudonymous id, or name where it may be read), host institution or start (a year,
    a month: 2025, 2025-03) has every word typed."""
    for word in text.split()[:4]:
        if re.fullmatch(r"\d{4}(-\d{1,2})?", word):
            year, _dash, month = word.partition("-")
            stays = stays.filter(start_date__year=int(year), **({"start_date__month": int(month)} if month else {}))
            continue
        stays = stays.filter(
            Q(person__pseudo_id__startswith=word.upper())
            | Q(person__personal__given_name__icontains=word)
            | Q(person__personal__family_name__icontains=word)
            | Q(host_institution__name__icontains=word)
        )
    return stays


class MultiPickerInput(forms.CheckboxSelectMultiple):
    """Boxes to tick: those ticked already, then the first few records; typing in the search box above asks the
    server for the records matching it (htmx), and a box ticked among them joins the ticked ones."""

    template_name = "web/widgets/multi_picker.html"

    def __init__(
        self,
        *,
        url: str = "",
        offered: Callable[[], list[tuple[str, str]]] | None = None,
        lookup: Callable[[list[str]], list[tuple[str, str]]] | None = None,
    ) -> None:
        super().__init__()
        self.url, self.offered, self.lookup = url, offered, lookup

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return id_ if index is None else f"{id_}_{index}"  # the field's label names the search box

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = forms.Widget.get_context(self, name, value, attrs)
        ticked = [str(v) for v in self.format_value(value)]
        chosen = self.lookup(ticked) if self.lookup and ticked else []
        offered = [(v, label) for v, label in (self.offered() if self.offered else []) if v not in set(ticked)]
        context["widget"].update(url=self.url, chosen=chosen, offered=offered)
        return context


class MultiPicker(forms.ModelMultipleChoiceField):
    """Several records of `queryset`, ticked from what typing finds (any of them is accepted, not only those
    offered: the list is a view, the queryset the rule)."""

    def __init__(self, *, describe: Callable[[Any], str], **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Person.objects.none())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.describe = describe
        self.widget = MultiPickerInput()

    def label_from_instance(self, obj: Any) -> str:
        return self.describe(obj)

    def configure(self, queryset: QuerySet[Any], *, url: str) -> None:
        self.queryset = queryset

        def offered() -> list[tuple[str, str]]:
            return [(str(o.pk), self.describe(o)) for o in queryset[:OFFERED]]

        def lookup(ticked: list[str]) -> list[tuple[str, str]]:
            return [(str(o.pk), self.describe(o)) for o in queryset.filter(pk__in=[t for t in ticked if t.isdigit()])]

        self.widget = MultiPickerInput(url=url, offered=offered, lookup=lookup)


def multi_url(name: str, field: str, partnership: str) -> str:
    return reverse(name) + "?" + urlencode({"partnership": partnership, "multi": field})


def _boxes(request: HttpRequest, options: list[tuple[str, str]]) -> HttpResponse:
    field = str(request.GET.get("multi") or "")
    if not re.fullmatch(r"[a-z_]{1,40}", field):
        return HttpResponse(status=400)
    return render(request, "web/widgets/multi_picker_options.html", {"name": field, "options": options})


@login_required
@require_safe
def pick_stays(request: HttpRequest) -> HttpResponse:
    """Boxes for the stays of one partnership the user may see whose volunteer, host or start matches `q`."""
    partnership = Partnership.objects.filter(slug=str(request.GET.get("partnership"))).first()
    if partnership is None or not can_edit_partnership(request.user, partnership.pk):
        return _boxes(request, [])  # names are searched: only where the user keeps the partnership's records
    stays = selectors.stays_visible_to(request.user).filter(partnership=partnership)
    found = stays_matching(stays, str(request.GET.get("q") or ""))
    found = found.select_related("person__personal", "host_institution").order_by("-start_date", "-pk")[:SHOWN]
    return _boxes(request, [(str(s.pk), stay_label(s)) for s in found])
