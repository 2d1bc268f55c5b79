"""Pages of activities, outcomes and costs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from healthlinks import labels
from healthlinks.activities import selectors
from healthlinks.activities.models import Activity
from healthlinks.activities.services import activity_save, aggregate_set, outcome_create, trainee_add
from healthlinks.network.models import PersonRoleKind, Stay
from healthlinks.network.selectors import people_with_personal_access
from healthlinks.network.services import RoleSpec, person_save
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import Institution
from healthlinks.results.selectors import costs_breakdown, partnership_summary
from healthlinks.web import charts
from healthlinks.web.forms import ActivityForm, OutcomeForm
from healthlinks.web.offline import works_offline
from healthlinks.web.views import PAGE_SIZE, actor, add_service_errors, csv_download, visible_partnership


@require_safe
def activity_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.activities_visible_to(request.user).select_related("partnership").order_by("-start_date", "pk")
    slug = request.GET.get("partnership", "")
    if slug:
        qs = qs.filter(partnership__slug=slug)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    trained = selectors.trained_by_activity([a.pk for a in page.object_list])
    editable = set(
        _activities_editable(request).filter(pk__in=[a.pk for a in page.object_list]).values_list("pk", flat=True)
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/activity_list.html",
        {
            "page": page,
            "rows": [(a, trained[a.pk], a.pk in editable) for a in page.object_list],
            "slug": slug,
            "querystring": query.urlencode(),
            "can_bulk": bool(editable),
            "undo": len(request.session.get(ACTIVITIES_UNDO_KEY, {}).get("activities", [])),
        },
    )


ACTIVITIES_UNDO_KEY = "undo-activities"
OUTCOMES_UNDO_KEY = "undo-outcomes"


def _outcomes_undo(request: HttpRequest, pk: int) -> int:
    """How many outcomes of this activity the user just deleted (what its Undo puts back)."""
    undo = request.session.get(OUTCOMES_UNDO_KEY, {})
    return len(undo.get("ids", [])) if undo.get("activity") == pk else 0


@login_required
@require_POST
def outcomes_bulk(request: HttpRequest, pk: int) -> HttpResponse:
    """One action on the outcomes ticked on an activity's page: export them, or delete them with undo."""
    from django.urls import reverse

    from healthlinks.activities.services import outcomes_delete, outcomes_restore

    activity = get_object_or_404(selectors.activities_visible_to(request.user), pk=pk)
    if registry_selectors.partnership_access(request.user, activity.partnership) < registry_selectors.Access.EDIT:
        raise PermissionDenied
    back = reverse("activity-detail", args=[pk])
    action = request.POST.get("action", "")
    if action == "undo":
        undo = request.session.pop(OUTCOMES_UNDO_KEY, {})
        try:
            n = outcomes_restore(by=actor(request), ids=undo.get("ids", []) if undo.get("activity") == pk else [])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, ngettext("%(n)s outcome restored.", "%(n)s outcomes restored.", n) % {"n": n})
        return redirect(back)
    ids = [int(v) for v in request.POST.getlist("selected") if v.isdigit()]
    chosen = list(activity.outcomes.filter(pk__in=ids).select_related("person").order_by("recorded_on", "pk"))
    if not chosen:
        messages.error(request, _("Tick the outcomes to change."))
        return redirect(back)
    if action == "export":
        columns = ["id", "activity", "person", "level", "dimension", "dimension_label", "rating", "practice_changed",
                   "follow_up_months", "indicator", "value", "unit", "recorded_on"]  # fmt: skip
        rows = [[o.pk, pk, o.person.pseudo_id if o.person else "", o.level, o.dimension, o.get_dimension_display(),
                 o.rating, o.practice_changed, o.follow_up_months, o.indicator, o.value, o.unit, o.recorded_on]
                for o in chosen]  # fmt: skip
        return csv_download(columns, rows, f"outcomes-{pk}.csv")
    if action == "delete":
        request.session[OUTCOMES_UNDO_KEY] = {
            "activity": pk,
            "ids": outcomes_delete(by=actor(request), outcomes=chosen),
        }
        n = len(chosen)
        messages.success(request, ngettext("%(n)s outcome deleted.", "%(n)s outcomes deleted.", n) % {"n": n})
        return redirect(back)
    messages.error(request, _("Choose what to do with the outcomes."))
    return redirect(back)


def _activities_editable(request: HttpRequest) -> Any:
    editable = registry_selectors.partnerships_editable_by(request.user)
    return selectors.activities_visible_to(request.user).filter(partnership__in=editable)


@login_required
@require_POST
def activities_bulk(request: HttpRequest) -> HttpResponse:
    """One action on the activities ticked (or every activity of the list's partnership filter that the user
    may change): export them, or delete them with everything recorded under them, with undo."""
    from django.urls import reverse

    from healthlinks.activities.services import activities_delete, activities_restore

    slug = request.POST.get("partnership", "")
    back = reverse("activity-list") + (f"?partnership={slug}" if slug else "")
    action = request.POST.get("action", "")
    if action == "undo":
        token = request.session.pop(ACTIVITIES_UNDO_KEY, {})
        try:
            n = activities_restore(by=actor(request), token=token) if token else 0
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, ngettext("%(n)s activity restored.", "%(n)s activities restored.", n) % {"n": n})
        return redirect(back)
    activities = _activities_editable(request)
    if slug:
        activities = activities.filter(partnership__slug=slug)
    if request.POST.get("scope") != "all":
        activities = activities.filter(pk__in=[int(v) for v in request.POST.getlist("selected") if v.isdigit()])
    chosen = list(activities.select_related("partnership", "venue").order_by("start_date", "pk"))
    if not chosen:
        messages.error(request, _("Tick the activities to change, or choose all the activities that match."))
        return redirect(back)
    if action == "export":
        columns = ["id", "external_id", "partnership", "title", "type", "type_label", "mode", "mode_label",
                   "start_date", "end_date", "venue"]  # fmt: skip
        rows = [[a.pk, a.external_id or "", a.partnership.slug, a.title, a.kind, a.get_kind_display(), a.mode,
                 a.get_mode_display(), a.start_date, a.end_date, a.venue.name if a.venue else ""]
                for a in chosen]  # fmt: skip
        return csv_download(columns, rows, "activities.csv")
    if action == "delete":
        request.session[ACTIVITIES_UNDO_KEY] = activities_delete(by=actor(request), activities=chosen)
        messages.success(
            request,
            ngettext(
                "%(n)s activity deleted, with what was recorded under it.",
                "%(n)s activities deleted, with what was recorded under them.",
                len(chosen),
            )
            % {"n": len(chosen)},
        )
        return redirect(back)
    messages.error(request, _("Choose what to do with the activities."))
    return redirect(back)


@require_safe
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(
        selectors.activities_visible_to(request.user).select_related("partnership", "venue", "purpose_code"), pk=pk
    )
    trained = selectors.health_workers_trained(Activity.objects.filter(pk=activity.pk))
    involved = {
        *activity.trainees.values_list("person_id", flat=True),
        *activity.outcomes.exclude(person=None).values_list("person_id", flat=True),
        *activity.assessments.values_list("person_id", flat=True),
        *activity.cascades.values_list("person_id", flat=True),
    }
    personal = set(people_with_personal_access(request.user).filter(pk__in=involved).values_list("pk", flat=True))
    trainees = [
        t for t in activity.trainees.select_related("person__cadre", "person__personal") if t.person_id in personal
    ]
    return render(
        request,
        "web/activity_detail.html",
        {
            "a": activity,
            "trained": trained,
            "trainees": trainees,
            "aggregates": activity.aggregate_trainees.select_related("cadre"),
            "stays": activity.stays.select_related("host_institution").order_by("start_date"),
            "knowledge": activity.knowledge_items.all(),
            "cascades": activity.cascades.filter(person_id__in=personal).select_related("person__personal"),
            "scores": _scores_summary(activity, personal),
            "outcomes": activity.outcomes.filter(person__isnull=True)
            | activity.outcomes.filter(person_id__in=personal),
            "outcomes_undo": _outcomes_undo(request, activity.pk),
            "can_edit": registry_selectors.partnership_access(request.user, activity.partnership)
            >= registry_selectors.Access.EDIT,
        },
    )


def _scores_summary(activity: Activity, personal: set[int]) -> dict[str, Any] | None:
    """Mean pre- and post-test scores (as % of the maximum) of the trainees the user may see."""
    rows = [a for a in activity.assessments.all() if a.person_id in personal]
    if not rows:
        return None
    pre = sum(float(a.pre_score / a.max_score) for a in rows) * 100 / len(rows)
    post = sum(float(a.post_score / a.max_score) for a in rows) * 100 / len(rows)
    return {"n": len(rows), "pre": pre, "post": post}


@login_required
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct an activity: the partnership's coordinators; a save against a changed activity is merged."""
    from healthlinks.web.forms import ActivityEditForm
    from healthlinks.web.views import conflicts_shown, merged_post, say_merged, version_context

    activity = get_object_or_404(selectors.activities_visible_to(request.user).select_related("partnership"), pk=pk)
    if not registry_selectors.can_edit_partnership(request.user, activity.partnership_id):
        raise PermissionDenied
    partnership = activity.partnership
    choices: dict[str, Any] = {
        "people": people_with_personal_access(request.user)
        .filter(roles__partnership=partnership)
        .distinct()
        .select_related("personal")
        .order_by("pk"),
        "institutions": Institution.objects.filter(memberships__partnership=partnership).order_by("name"),
        "stays": Stay.objects.filter(partnership=partnership)
        .select_related("person__personal", "host_institution")
        .order_by("-start_date", "-pk"),
        "partnership": partnership.slug,
    }
    data, stale = merged_post(request, ActivityEditForm, activity)
    form = ActivityEditForm(data, instance=activity, **choices)
    if conflicts_shown(form, stale):
        pass
    elif request.method == "POST" and form.is_valid():
        try:
            activity_save(
                by=actor(request),
                activity=activity,
                stays=form.cleaned_data["stays"],
                facilitators=form.cleaned_data["facilitators"],
                **form.activity_fields(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Activity saved."))
            say_merged(request, stale)
            return redirect("activity-detail", pk=activity.pk)
    return render(request, "web/activity_edit.html", {"form": form, "a": activity, **version_context(activity, stale)})


@login_required
@works_offline
def outcome_create_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Record one outcome of an activity: a reaction rating, practice at follow-up, or a facility value."""
    activity = get_object_or_404(selectors.activities_visible_to(request.user).select_related("partnership"), pk=pk)
    if registry_selectors.partnership_access(request.user, activity.partnership) < registry_selectors.Access.EDIT:
        raise PermissionDenied
    people = people_with_personal_access(request.user).filter(trainings__activity=activity).distinct()
    form = OutcomeForm(request.POST or None, people=people.select_related("personal").order_by("pk"))
    if request.method == "POST" and form.is_valid():
        try:
            outcome_create(by=actor(request), activity=activity, **form.outcome_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Outcome recorded."))
            return redirect("activity-detail", pk=activity.pk)
    return render(request, "web/outcome_form.html", {"a": activity, "form": form})


@require_safe
def partnership_outcomes(request: HttpRequest, slug: str) -> HttpResponse:
    partnership, access = visible_partnership(request, slug)
    activities = Activity.objects.filter(partnership=partnership)
    data = selectors.partnership_outcomes(activities)
    cadre = labels.labeller("cadre", data["trained"]["by_cadre"])
    sex = labels.labeller("sex")
    cadres = [{"cadre": cadre(k), "n": v} for k, v in data["trained"]["by_cadre"].items()]
    sexes = [{"sex": sex(k), "n": v} for k, v in data["trained"]["by_sex"].items()]
    return render(
        request,
        "web/partnership_outcomes.html",
        {
            "p": partnership,
            "data": data,
            "summary": partnership_summary(partnership),
            "cadre_spec": charts.counts(cadres, "cadre", _("Trainees by cadre")),
            "sex_spec": charts.counts(sexes, "sex", _("Trainees by sex")),
            "scores_spec": charts.pre_post(data["scores"]),
            "funnel_spec": charts.funnel(data["funnel"], _("Kirkpatrick levels reached")),
            "knowledge_spec": charts.funnel(data["knowledge"], _("Knowledge: transfer → translation → effectiveness")),
            "can_edit": access >= registry_selectors.Access.EDIT,
        },
    )


COSTS_LISTED = 100


@require_safe
def partnership_costs(request: HttpRequest, slug: str) -> HttpResponse:
    partnership, access = visible_partnership(request, slug)
    data = costs_breakdown(partnership)
    can_edit = access >= registry_selectors.Access.EDIT
    return render(
        request,
        "web/partnership_costs.html",
        {
            "p": partnership,
            "data": data,
            "can_edit": can_edit,
            # the itemised rows, for those who keep them (the latest first; older ones through the API and export)
            "costs": partnership.cash_costs.select_related("activity").order_by("-spent_on", "-pk")[:COSTS_LISTED]
            if can_edit
            else [],
            "gifts": partnership.in_kind.order_by("-received_on", "-pk")[:COSTS_LISTED] if can_edit else [],
            "summary": partnership_summary(partnership),
            "cash_spec": charts.stacked_by_year(data["cash"], "category", _("Cash costs by year"), data["currency"]),
            "in_kind_spec": charts.stacked_by_year(
                data["in_kind"], None, _("In kind (volunteer time and gifts)"), data["currency"]
            ),
        },
    )


@login_required
def activity_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Record an activity with its named trainees and, where names were not collected, a count."""
    partnership, access = visible_partnership(request, slug)
    if access < registry_selectors.Access.EDIT:
        raise PermissionDenied
    people = people_with_personal_access(request.user).filter(roles__partnership=partnership).distinct()
    form = ActivityForm(
        request.POST or None,
        people=people.select_related("personal").order_by("pk"),
        institutions=Institution.objects.filter(memberships__partnership=partnership).order_by("name"),
        stays=Stay.objects.filter(partnership=partnership)
        .select_related("person__personal", "host_institution")
        .order_by("-start_date", "-pk"),
        partnership=partnership.slug,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                activity = activity_save(
                    by=actor(request),
                    partnership=partnership,
                    stays=data.pop("stays"),
                    facilitators=data.pop("facilitators"),
                    **form.activity_fields(),
                )
                trainees = list(data["trainees"])
                for given, family, cadre in data["new_trainees"]:
                    trainees.append(
                        person_save(
                            by=actor(request),
                            given_name=given,
                            family_name=family,
                            cadre_id=cadre,
                            roles=[RoleSpec(partnership_id=partnership.pk, role=PersonRoleKind.TRAINEE)],
                        )
                    )
                for person in trainees:
                    trainee_add(
                        by=actor(request), activity=activity, person=person, facility_level=data["facility_level"]
                    )
                if data.get("counted"):
                    aggregate_set(
                        by=actor(request),
                        activity=activity,
                        cadre_id=data["counted_cadre"] or None,
                        sex=data["counted_sex"],
                        facility_level=data["facility_level"],
                        count=data["counted"],
                    )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Activity recorded."))
            return redirect("activity-detail", pk=activity.pk)
    return render(request, "web/activity_form.html", {"p": partnership, "form": form})
