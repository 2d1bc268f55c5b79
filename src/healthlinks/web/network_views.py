"""Pages of the knowledge network: people, a person's timeline, partnership mobility and network, import."""

from __future__ import annotations

from typing import Any

import networkx as nx
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from healthlinks.interchange.tabular import catalogue as tabular
from healthlinks.interchange.tabular.reader import ImportRejected
from healthlinks.interchange.tabular.writer import CONTENT_TYPES, write_table
from healthlinks.network import selectors
from healthlinks.network.models import ContinuumClass, Mode, Person, PersonRoleKind, Sex, Stay, Tie, TieKind
from healthlinks.reference.models import Occupation
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import Institution
from healthlinks.web import charts
from healthlinks.web.offline import works_offline
from healthlinks.web.views import PAGE_SIZE, actor, add_service_errors, csv_download, visible_partnership


def _days(n: int) -> str:
    return ngettext("%(n)s day", "%(n)s days", n) % {"n": n}


@login_required
@require_safe
def people_list(request: HttpRequest) -> HttpResponse:
    qs = _people_matching(request, selectors.people_visible_to(request.user))
    personal_ids = None
    if not selectors.sees_all_personal_data(request.user):
        personal_ids = set(selectors.people_with_personal_access(request.user).values_list("pk", flat=True))
    page = Paginator(qs.select_related("personal").order_by("pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    shown = [p.pk for p in page.object_list]
    editable = set(selectors.people_editable_by(request.user).filter(pk__in=shown).values_list("pk", flat=True))
    rows = [(p, personal_ids is None or p.pk in personal_ids, p.pk in editable) for p in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    undo = request.session.get(PEOPLE_UNDO_KEY, [])
    return render(
        request,
        "web/people_list.html",
        {
            "page": page,
            "rows": rows,
            "q": request.GET.get("q", "").strip(),
            "querystring": query.urlencode(),
            "can_bulk": bool(editable),
            "undo": len(undo),
            "sexes": Sex.choices,
            "cadres": Occupation.objects.order_by("code"),
        },
    )


def _people_matching(request: HttpRequest, qs: Any) -> Any:
    """The list's search: a pseudonymous id, or a name among the people whose names the user may see."""
    q = (request.GET.get("q") or request.POST.get("q") or "").strip()
    if not q:
        return qs
    match = Person.objects.filter(pseudo_id__iexact=q).values("pk")
    personal = selectors.people_with_personal_access(request.user)
    names = personal.filter(personal__family_name__icontains=q) | personal.filter(personal__given_name__icontains=q)
    return qs.filter(pk__in=match) | qs.filter(pk__in=names.values("pk"))


PEOPLE_UNDO_KEY = "undo-people"


@login_required
@require_POST
def people_bulk(request: HttpRequest) -> HttpResponse:
    """One action on the people ticked, or on every person the search matches among those the user may change:
    set their cadre or sex, export them, or delete them (soft, with undo). One transaction, one history row
    per person."""
    from django.contrib import messages
    from django.shortcuts import redirect
    from django.urls import reverse

    from healthlinks.network.services import people_set, people_soft_delete

    q = request.POST.get("q", "").strip()
    back = reverse("people-list") + (f"?q={q}" if q else "")
    action = request.POST.get("action", "")
    if action == "undo":
        ids = request.session.pop(PEOPLE_UNDO_KEY, [])
        # only people this user deleted and may still change (a deleted person is hidden: look them up directly)
        mine = Person.objects.filter(pseudo_id__in=ids, deleted_at__isnull=False)
        try:
            n = len(people_soft_delete(by=actor(request), people=list(mine), deleted=False))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, ngettext("%(n)s person restored.", "%(n)s people restored.", n) % {"n": n})
        return redirect(back)
    people = _people_matching(request, selectors.people_editable_by(request.user))
    if request.POST.get("scope") != "all":
        people = people.filter(pseudo_id__in=request.POST.getlist("selected"))
    chosen = list(people.select_related("cadre", "home_institution").order_by("pk"))
    if not chosen:
        messages.error(request, _("Tick the people to change, or choose all the people that match."))
        return redirect(back)
    try:
        if action == "cadre":
            cadre = Occupation.objects.filter(code=request.POST.get("cadre", "")).first()
            people_set(by=actor(request), people=chosen, cadre=cadre)
            done = ngettext("Cadre set for %(n)s person.", "Cadre set for %(n)s people.", len(chosen))
        elif action == "sex":
            people_set(by=actor(request), people=chosen, sex=request.POST.get("sex", ""))
            done = ngettext("Sex set for %(n)s person.", "Sex set for %(n)s people.", len(chosen))
        elif action == "export":
            columns = ["pseudo_id", "external_id", "cadre_isco", "cadre_isco_label", "sex", "sex_label",
                       "home_institution"]  # fmt: skip
            sexes = dict(Sex.choices)
            rows = [[p.pseudo_id, p.external_id or "", p.cadre_id or "", p.cadre.local_label if p.cadre else "",
                     p.sex, str(sexes.get(p.sex, "")), p.home_institution.name if p.home_institution else ""]
                    for p in chosen]  # fmt: skip
            return csv_download(columns, rows, "people.csv")
        elif action == "delete":
            request.session[PEOPLE_UNDO_KEY] = people_soft_delete(by=actor(request), people=chosen)
            done = ngettext("%(n)s person deleted.", "%(n)s people deleted.", len(chosen))
        else:
            messages.error(request, _("Choose what to do with the people."))
            return redirect(back)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    messages.success(request, done % {"n": len(chosen)})
    return redirect(back)


@login_required
@require_safe
def person_detail(request: HttpRequest, pseudo_id: str) -> HttpResponse:
    person = get_object_or_404(
        selectors.people_visible_to(request.user).select_related("cadre", "home_institution"), pseudo_id=pseudo_id
    )
    show_personal = selectors.can_see_personal(request.user, person)
    stays = list(
        selectors.stays_visible_to(request.user)
        .filter(person=person)
        .select_related("host_institution__country", "partnership")
        .order_by("start_date")
    )
    timeline = [
        {
            "host": s.host_institution.name,
            "start": s.start_date.isoformat(),
            "end": s.end_date.isoformat(),
            "days": s.duration_days,
            "repeat": s.repeat_index,
            "class": s.continuum_class if s.mode == Mode.PHYSICAL else "virtual",
        }
        for s in stays
    ]
    ties = list(
        Tie.objects.filter(person_a=person).select_related("person_b")
        | Tie.objects.filter(person_b=person).select_related("person_a")
    )
    others = {t.person_a_id for t in ties} | {t.person_b_id for t in ties}
    visible_people = set(selectors.people_visible_to(request.user).filter(pk__in=others).values_list("pk", flat=True))
    tie_rows = []
    for tie in ties:
        other = tie.person_b if tie.person_a_id == person.pk else tie.person_a
        if other.pk in visible_people:
            tie_rows.append(
                {
                    "pk": tie.pk,
                    "other": other,
                    "kind": tie.get_kind_display(),
                    "start": tie.start_date,
                    "end": tie.end_date,
                }
            )
    return render(
        request,
        "web/person_detail.html",
        {
            "person": person,
            "show_personal": show_personal,
            "personal": getattr(person, "personal", None) if show_personal else None,
            "stays": stays,
            "editable_partnerships": set(
                registry_selectors.partnerships_editable_by(request.user).values_list("pk", flat=True)
            ),
            "timeline_spec": charts.timeline(timeline),
            "ties": tie_rows,
            "can_add_ties": selectors.can_edit_person(request.user, person),
            "totals": selectors.person_totals(person),
            "partnerships": selectors.partnerships_for_person(request.user, person),
            "history": _history(person) if show_personal else None,
        },
    )


def _history(person: Person) -> list[dict[str, Any]]:
    from healthlinks.web.history import history_entries

    return history_entries(person)


@require_safe
def partnership_mobility(request: HttpRequest, slug: str) -> HttpResponse:
    partnership, access = visible_partnership(request, slug)
    # Charts and totals are aggregates over every stay of a partnership the user can see;
    # the table below lists only the stays this user may see one by one.
    summary = selectors.mobility_summary(Stay.objects.filter(partnership=partnership))
    mode = request.GET.get("mode", "")
    cls = request.GET.get("continuum_class", "")
    filtered = selectors.stay_list(
        request.user,
        partnership=slug,
        mode=mode if mode in Mode.values else "",
        continuum_class=cls if cls in ContinuumClass.values else "",
    )
    page = Paginator(
        filtered.select_related("person", "host_institution", "sending_institution").order_by("-start_date", "pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/partnership_mobility.html",
        {
            "p": partnership,
            "summary": summary,
            "year_spec": charts.stays_per_year(summary["by_year"]),
            "days_spec": charts.days_per_year(summary["days_by_year"]),
            "page": page,
            "mode": mode,
            "cls": cls,
            "modes": Mode.choices,
            "classes": ContinuumClass.choices,
            "querystring": query.urlencode(),
            "signed_in": request.user.is_authenticated,
            "can_edit": access >= registry_selectors.Access.EDIT,
            "show_people": request.user.is_authenticated,
            **(_bulk_context(request, partnership) if access >= registry_selectors.Access.EDIT else {}),
        },
    )


UNDO_KEY = "undo-stays"


def _bulk_context(request: HttpRequest, partnership: Any) -> dict[str, Any]:
    from healthlinks.activities.models import Activity
    from healthlinks.network.models import Funding

    undo = request.session.get(UNDO_KEY, {})
    return {
        "fundings": Funding.choices,
        "activities": Activity.objects.filter(partnership=partnership).order_by("-start_date")[:50],
        "undo": undo.get("ids") if undo.get("partnership") == partnership.slug else None,
    }


def _filtered_stays(request: HttpRequest, slug: str) -> Any:
    mode, cls = request.GET.get("mode", ""), request.GET.get("continuum_class", "")
    return selectors.stay_list(
        request.user,
        partnership=slug,
        mode=mode if mode in Mode.values else "",
        continuum_class=cls if cls in ContinuumClass.values else "",
    )


@login_required
@require_POST
def stays_bulk(request: HttpRequest, slug: str) -> HttpResponse:
    """One action on the stays ticked, or on every stay the list's filters match: set their funding, link them to
    an activity, export them, or delete them (with undo). One transaction, one history row per stay."""
    from django.contrib import messages
    from django.shortcuts import redirect
    from django.urls import reverse

    from healthlinks.activities.models import Activity
    from healthlinks.activities.services import activity_link_stays
    from healthlinks.network.services import stays_delete, stays_restore, stays_set

    partnership, access = visible_partnership(request, slug)
    if access < registry_selectors.Access.EDIT:
        raise PermissionDenied
    back = reverse("partnership-mobility", args=[slug]) + ("?" + request.GET.urlencode() if request.GET else "")
    action = request.POST.get("action", "")
    if action == "undo":
        undo = request.session.pop(UNDO_KEY, {})
        try:
            n = stays_restore(
                by=actor(request), history_ids=undo.get("ids", []) if undo.get("partnership") == slug else []
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(n)s stays restored.") % {"n": n})
        return redirect(back)
    stays = _filtered_stays(request, slug).filter(partnership=partnership)
    if request.POST.get("scope") != "all":
        ids = [int(v) for v in request.POST.getlist("selected") if v.isdigit()]
        stays = stays.filter(pk__in=ids)
    chosen = list(stays.select_related("person", "host_institution").order_by("start_date", "pk"))
    if not chosen:
        messages.error(request, _("Tick the stays to change, or choose all the stays that match."))
        return redirect(back)
    try:
        if action == "funding":
            stays_set(by=actor(request), stays=chosen, funding=request.POST.get("funding", ""))
            done = _("Funding set on %(n)s stays.")
        elif action == "link":
            activity = get_object_or_404(Activity, pk=request.POST.get("activity") or 0, partnership=partnership)
            activity_link_stays(by=actor(request), activity=activity, stays=chosen)
            done = _("%(n)s stays linked to the activity.")
        elif action == "export":
            rows = [[s.pk, s.external_id or "", s.person.pseudo_id, s.host_institution.name, s.mode, s.start_date,
                     s.end_date, s.duration_days, s.continuum_class, s.funding] for s in chosen]  # fmt: skip
            columns = ["id", "external_id", "person", "host_institution", "mode", "start_date", "end_date",
                       "duration_days", "continuum_class", "funding"]  # fmt: skip
            return csv_download(columns, rows, f"stays-{slug}.csv")
        elif action == "delete":
            request.session[UNDO_KEY] = {"partnership": slug, "ids": stays_delete(by=actor(request), stays=chosen)}
            done = _("%(n)s stays deleted.")
        else:
            messages.error(request, _("Choose what to do with the stays."))
            return redirect(back)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    messages.success(request, done % {"n": len(chosen)})
    return redirect(back)


@require_safe
def partnership_network(request: HttpRequest, slug: str) -> HttpResponse:
    """People and institutions of one partnership, ties coloured by kind, laid out with networkx."""
    partnership, access = visible_partnership(request, slug)
    if not request.user.is_authenticated:
        raise PermissionDenied  # person-level structure is not public
    stays = list(selectors.stays_visible_to(request.user).filter(partnership=partnership))
    people = {s.person_id for s in stays}
    people |= set(
        selectors.people_visible_to(request.user).filter(roles__partnership=partnership).values_list("pk", flat=True)
    )
    pseudo = dict(Person.objects.filter(pk__in=people).values_list("pk", "pseudo_id"))
    ties = list(Tie.objects.filter(person_a_id__in=people, person_b_id__in=people))
    hosts = {s.host_institution_id for s in stays} | {
        s.sending_institution_id for s in stays if s.sending_institution_id
    }
    names = dict(Institution.objects.filter(pk__in=hosts).values_list("pk", "name"))
    graph = nx.Graph()
    for pid in people:
        graph.add_node(("p", pid))
    for iid in hosts:
        graph.add_node(("i", iid))
    edges: list[tuple[Any, Any, str, str]] = []
    for s in stays:
        edges.append((("p", s.person_id), ("i", s.host_institution_id), _("stay"), _days(s.duration_days)))
    kinds = dict(TieKind.choices)
    for t in ties:
        edges.append((("p", t.person_a_id), ("p", t.person_b_id), str(kinds[t.kind]), ""))
    known = {frozenset((t.person_a_id, t.person_b_id)) for t in ties}
    for inferred in selectors.inferred_ties(stays):
        if frozenset((inferred["person_a"], inferred["person_b"])) not in known:
            edges.append(
                (
                    ("p", inferred["person_a"]),
                    ("p", inferred["person_b"]),
                    _("co-presence (inferred)"),
                    _days(inferred["days"]),
                )
            )
    for a, b, _kind, _label in edges:
        graph.add_edge(a, b)
    layout = nx.spring_layout(graph, seed=1, k=None, iterations=60) if graph.number_of_nodes() else {}
    degree = dict(graph.degree())
    nodes = [
        {
            "x": float(layout[n][0]),
            "y": float(layout[n][1]),
            "type": _("person") if n[0] == "p" else _("institution"),
            "label": pseudo.get(n[1], "") if n[0] == "p" else names.get(n[1], ""),
            "size": degree.get(n, 0),
            "detail": ngettext("%(n)s link", "%(n)s links", degree.get(n, 0)) % {"n": degree.get(n, 0)},
        }
        for n in graph.nodes
    ]
    edge_rows = [
        {
            "x": float(layout[a][0]),
            "y": float(layout[a][1]),
            "x2": float(layout[b][0]),
            "y2": float(layout[b][1]),
            "kind": kind,
            "label": label,
        }
        for a, b, kind, label in edges
    ]
    return render(
        request,
        "web/partnership_network.html",
        {
            "p": partnership,
            "spec": charts.network_picture(nodes, edge_rows),
            "n_people": len(people),
            "n_institutions": len(hosts),
            "n_ties": len(ties),
            "n_inferred": sum(1 for e in edges if e[2] == _("co-presence (inferred)")),
        },
    )


def _can_import(request: HttpRequest) -> bool:
    return registry_selectors.can_create_partnership(request.user)


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    if not _can_import(request):
        raise PermissionDenied
    partnerships = registry_selectors.partnerships_editable_by(request.user).order_by("name")
    context: dict[str, Any] = {
        "kinds": [(kind, tabular.TITLES[kind], columns) for kind, columns in tabular.COLUMNS.items()],
        "partnerships": partnerships,
        "roles": PersonRoleKind.choices,
    }
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        upload = request.FILES.get("file")
        context["kind"] = kind
        if kind not in tabular.IMPORTERS:
            context["errors"] = [_("choose what the file holds")]
        elif upload is None:
            context["errors"] = [_("choose a CSV or XLSX file")]
        else:
            kwargs: dict[str, Any] = {"user": actor(request), "name": upload.name}
            if kind == "people":
                slug = request.POST.get("partnership", "")
                kwargs["partnership"] = partnerships.filter(slug=slug).first()
                kwargs["role"] = request.POST.get("role", PersonRoleKind.VOLUNTEER)
            try:
                context["result"] = tabular.IMPORTERS[kind](upload, **kwargs)
            except ImportRejected as exc:
                context["errors"] = [str(e) for e in exc.errors]
                context["rejected"] = True
        template = "web/_import_result.html" if request.htmx else "web/import.html"  # type: ignore[attr-defined]
        return render(request, template, context)
    return render(request, "web/import.html", context)


@require_safe
def import_template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in tabular.COLUMNS or fmt not in CONTENT_TYPES:
        raise Http404
    body = write_table(tabular.COLUMNS[kind], tabular.EXAMPLES[kind], fmt)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.{fmt}"'
    return response


@login_required
@require_safe
def export_table(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in tabular.EXPORTERS or fmt not in CONTENT_TYPES:
        raise Http404
    partnership = None
    if request.GET.get("partnership"):
        partnership, _access = visible_partnership(request, request.GET["partnership"])
    columns, rows = tabular.export_rows(kind, actor(request), partnership)
    response = HttpResponse(write_table(columns, rows, fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{kind}.{fmt}"'
    return response


@login_required
def person_create_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Register a person in a partnership the user coordinates, with their role in it."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.shortcuts import redirect

    from healthlinks.network.services import RoleSpec, person_save
    from healthlinks.web.forms import PersonForm
    from healthlinks.web.pickers import person_label

    partnership, access = visible_partnership(request, slug)
    if access < registry_selectors.Access.EDIT:
        raise PermissionDenied
    institutions = Institution.objects.filter(memberships__partnership=partnership).order_by("name")
    form = PersonForm(request.POST or None, institutions=institutions)
    if request.method == "POST" and form.is_valid():
        data = form.person_fields()
        ext = data.get("external_id")
        holder = Person.objects.filter(external_id=ext).first() if ext else None
        if holder is not None:  # one answer whether the id is someone else's or not (docs/security.md)
            form.add_error(
                "external_id",
                _("already registered: %(id)s") % {"id": holder.pseudo_id}
                if selectors.can_edit_person(request.user, holder)
                else selectors.not_yours_message(ext or ""),
            )
        else:
            try:
                person = person_save(
                    by=actor(request),
                    roles=[RoleSpec(partnership_id=partnership.pk, role=form.cleaned_data["role"])],
                    **data,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("%(person)s registered.") % {"person": person_label(person)})
                if request.POST.get("then") == "another":
                    return redirect("person-create", slug=partnership.slug)
                return redirect("person-detail", pseudo_id=person.pseudo_id)
    return render(request, "web/person_form.html", {"p": partnership, "form": form})


@login_required
def person_edit_page(request: HttpRequest, pseudo_id: str) -> HttpResponse:
    """Correct a person's details, contact and consent: those who coordinate one of the person's partnerships."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from healthlinks.network.services import person_save
    from healthlinks.web.forms import PersonForm
    from healthlinks.web.pickers import person_label

    person = get_object_or_404(
        selectors.people_editable_by(request.user).select_related("personal", "cadre"), pseudo_id=pseudo_id
    )
    partnerships = selectors.partnerships_for_person(request.user, person)
    institutions = Institution.objects.filter(memberships__partnership__in=partnerships).distinct().order_by("name")
    personal = getattr(person, "personal", None)
    initial = {
        "given_name": getattr(personal, "given_name", ""),
        "family_name": getattr(personal, "family_name", ""),
        "email": getattr(personal, "email", ""),
        "phone": getattr(personal, "phone", ""),
        "cadre": person.cadre_id,
        "sex": person.sex,
        "grade": person.grade,
        "home_institution": person.home_institution_id,
        "external_id": person.external_id or "",
        "research_consent": person.research_consent,
    }
    form = PersonForm(request.POST or None, institutions=institutions, initial=initial)
    del form.fields["role"]  # roles are given where the person is registered in a partnership
    if request.method == "POST" and form.is_valid():
        data = form.person_fields()
        ext = data.get("external_id")
        holder = Person.objects.filter(external_id=ext).exclude(pk=person.pk).first() if ext else None
        if holder is not None:
            form.add_error("external_id", selectors.not_yours_message(ext or ""))
        else:
            try:
                person_save(by=actor(request), person=person, **data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("%(person)s saved.") % {"person": person_label(person)})
                return redirect("person-detail", pseudo_id=person.pseudo_id)
    return render(request, "web/person_form.html", {"form": form, "person": person, "editing": True})


@login_required
def stay_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a stay: the partnership's coordinators; a save against a stay changed meanwhile is merged."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.shortcuts import redirect

    from healthlinks.network.services import stay_update
    from healthlinks.web.forms import StayEditForm
    from healthlinks.web.views import conflicts_shown, merged_post, say_merged, version_context

    stay = get_object_or_404(selectors.stays_visible_to(request.user).select_related("person", "partnership"), pk=pk)
    if not registry_selectors.can_edit_partnership(request.user, stay.partnership_id):
        raise PermissionDenied
    institutions = Institution.objects.filter(memberships__partnership=stay.partnership_id).order_by("name")
    data, stale = merged_post(request, StayEditForm, stay)
    form = StayEditForm(data, instance=stay, institutions=institutions)
    if conflicts_shown(form, stale):
        pass
    elif request.method == "POST" and form.is_valid():
        try:
            saved = stay_update(by=actor(request), stay=stay, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Stay saved: %(days)s days, %(cls)s.")
                % {"days": saved.duration_days, "cls": saved.get_continuum_class_display()},
            )
            say_merged(request, stale)
            return redirect("person-detail", pseudo_id=saved.person.pseudo_id)
    context = {"form": form, "s": stay, **version_context(stay, stale)}
    return render(request, "web/stay_edit.html", context)


@login_required
@works_offline
def stay_create_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Log a stay for one of the partnership's people; warnings (dates, WHO Code) are shown, not blocking."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.shortcuts import redirect

    from healthlinks.network.services import stay_create, stay_warnings
    from healthlinks.web.forms import StayForm

    partnership, access = visible_partnership(request, slug)
    if access < registry_selectors.Access.EDIT:
        raise PermissionDenied
    people = (
        selectors.people_with_personal_access(request.user)
        .filter(roles__partnership=partnership)
        .select_related("personal")
        .distinct()
        .order_by("personal__family_name", "pk")
    )
    institutions = Institution.objects.filter(memberships__partnership=partnership).order_by("name")
    form = StayForm(request.POST or None, people=people, institutions=institutions, partnership=partnership.slug)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            stay = stay_create(by=actor(request), partnership=partnership, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Stay recorded: %(days)s days, %(cls)s.")
                % {"days": stay.duration_days, "cls": stay.get_continuum_class_display()},
            )
            for warning in stay_warnings(stay):
                messages.warning(request, warning)
            return redirect("person-detail", pseudo_id=stay.person.pseudo_id)
    return render(request, "web/stay_form.html", {"p": partnership, "form": form, "has_people": people.exists()})
