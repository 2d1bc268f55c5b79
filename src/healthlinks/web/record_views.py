"""Forms for the records a partnership keeps beside its stays and activities: cash costs and in-kind gifts,
knowledge items, cascade reports, ties, and a class's test scores entered as one grid. Each page parses with a
form and writes through the owning app's service; a record's page also deletes it (with history)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from healthlinks.activities import selectors as activity_selectors
from healthlinks.activities import services as activity_services
from healthlinks.activities.models import Activity, Assessment, CascadeReport, KnowledgeItem
from healthlinks.network import selectors as network_selectors
from healthlinks.network import services as network_services
from healthlinks.network.models import DIRECTED_TIES, Person
from healthlinks.records import RowInvalid
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import Partnership
from healthlinks.results import services as results_services
from healthlinks.results.models import CashCost, Indicator, IndicatorPeriod, InKindContribution
from healthlinks.web.forms import (
    CascadeForm,
    CashCostForm,
    IndicatorEditForm,
    InKindForm,
    KnowledgeItemForm,
    PeriodForm,
    TieForm,
)
from healthlinks.web.views import actor, add_service_errors, visible_partnership


def _record_page(
    request: HttpRequest,
    *,
    form: Any,
    save: Callable[[dict[str, Any]], Any],
    title: str,
    back: tuple[str, str],
    saved: str,
    delete: Callable[[], None] | None = None,
    intro: str = "",
) -> HttpResponse:
    """One form page: a valid POST is saved through `save` (a service; its refusal is shown on the form), a POST
    with `delete` removes the record; either returns to `back`."""
    if request.method == "POST" and delete is not None and "delete" in request.POST:
        delete()
        messages.success(request, _("Deleted."))
        return redirect(back[0])
    if request.method == "POST" and form.is_valid():
        try:
            save(form.record_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, saved)
            return redirect(back[0])
    context = {"form": form, "title": title, "back_url": back[0], "back_label": back[1], "intro": intro}
    return render(request, "web/record_form.html", {**context, "can_delete": delete is not None})


def _editable_partnership(request: HttpRequest, slug: str) -> Partnership:
    partnership, access = visible_partnership(request, slug)
    if access < registry_selectors.Access.EDIT:
        raise PermissionDenied
    return partnership


def _cost_record(request: HttpRequest, model: type[Model], pk: int) -> Any:
    record = get_object_or_404(
        model.objects.select_related("partnership"),  # type: ignore[attr-defined]
        pk=pk,
        partnership__in=registry_selectors.partnerships_visible_to(request.user),
    )
    if not registry_selectors.can_edit_partnership(request.user, record.partnership_id):
        raise PermissionDenied
    return record


def _costs_page(partnership: Partnership) -> tuple[str, str]:
    return reverse("partnership-costs", args=[partnership.slug]), _("Costs of %(p)s") % {"p": partnership.name}


def _cost_form(request: HttpRequest, partnership: Partnership, record: Any, model: type[Model]) -> HttpResponse:
    """A cash cost or an in-kind gift of a partnership: added, corrected or deleted."""
    by = actor(request)
    save: Callable[..., Any]
    if model is CashCost:
        activities = Activity.objects.filter(partnership=partnership).order_by("-start_date")
        form: Any = CashCostForm(request.POST or None, instance=record, choices={"activity": activities})
        save, titles = results_services.cost_save, (_("Cash cost"), _("Add a cash cost"), _("Cash cost saved."))
        key = "cost"
    else:
        form = InKindForm(request.POST or None, instance=record)
        save, titles = (
            results_services.in_kind_save,
            (_("In-kind gift"), _("Add an in-kind gift"), _("In-kind gift saved.")),
        )
        key = "gift"
    return _record_page(
        request,
        form=form,
        save=lambda data: save(by=by, partnership=partnership, **{key: record}, **data),
        title=titles[0] if record else titles[1],
        back=_costs_page(partnership),
        saved=titles[2],
        delete=(lambda: results_services.cost_delete(by=by, record=record)) if record else None,
    )


@login_required
def cost_create(request: HttpRequest, slug: str) -> HttpResponse:
    return _cost_form(request, _editable_partnership(request, slug), None, CashCost)


@login_required
def cost_edit(request: HttpRequest, pk: int) -> HttpResponse:
    cost = _cost_record(request, CashCost, pk)
    return _cost_form(request, cost.partnership, cost, CashCost)


@login_required
def in_kind_create(request: HttpRequest, slug: str) -> HttpResponse:
    return _cost_form(request, _editable_partnership(request, slug), None, InKindContribution)


@login_required
def in_kind_edit(request: HttpRequest, pk: int) -> HttpResponse:
    gift = _cost_record(request, InKindContribution, pk)
    return _cost_form(request, gift.partnership, gift, InKindContribution)


def _editable_activity(request: HttpRequest, pk: int) -> Activity:
    activity = get_object_or_404(
        activity_selectors.activities_visible_to(request.user).select_related("partnership"), pk=pk
    )
    if not registry_selectors.can_edit_partnership(request.user, activity.partnership_id):
        raise PermissionDenied
    return activity


def _activity_page(activity: Activity) -> tuple[str, str]:
    return reverse("activity-detail", args=[activity.pk]), activity.title


def _knowledge_form(request: HttpRequest, activity: Activity, item: KnowledgeItem | None) -> HttpResponse:
    by = actor(request)
    return _record_page(
        request,
        form=KnowledgeItemForm(request.POST or None, instance=item),
        save=lambda data: activity_services.knowledge_item_save(by=by, item=item, activity=activity, **data),
        title=_("Knowledge item") if item else _("Add a knowledge item"),
        back=_activity_page(activity),
        saved=_("Knowledge item saved."),
        delete=(lambda: activity_services.record_remove(by=by, record=item)) if item else None,
        intro=_(
            "What moved from one side of the partnership to the other (a guideline, a protocol, a skill), and how "
            "far it went: taught, adapted to local practice, used."
        ),
    )


@login_required
def knowledge_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _knowledge_form(request, _editable_activity(request, pk), None)


@login_required
def knowledge_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(KnowledgeItem.objects.select_related("activity"), pk=pk)
    activity = _editable_activity(request, item.activity_id)
    return _knowledge_form(request, activity, item)


def _trainees(request: HttpRequest, activity: Activity) -> Any:
    return (
        network_selectors.people_with_personal_access(request.user)
        .filter(trainings__activity=activity)
        .select_related("personal")
        .order_by("pk")
    )


@login_required
def cascade_create(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _editable_activity(request, pk)
    by = actor(request)
    return _record_page(
        request,
        form=CascadeForm(request.POST or None, choices={"person": _trainees(request, activity)}),
        save=lambda data: activity_services.cascade_save(by=by, activity=activity, **data),
        title=_("A trainee who trained others"),
        back=_activity_page(activity),
        saved=_("Cascade report saved."),
        intro=_("Report again for the same trainee to replace the earlier figure."),
    )


@login_required
def cascade_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(CascadeReport.objects.select_related("source_activity"), pk=pk)
    activity = _editable_activity(request, report.source_activity_id)
    by = actor(request)
    return _record_page(
        request,
        form=CascadeForm(request.POST or None, instance=report, choices={"person": _trainees(request, activity)}),
        save=lambda data: activity_services.cascade_save(by=by, activity=activity, **data),
        title=_("A trainee who trained others"),
        back=_activity_page(activity),
        saved=_("Cascade report saved."),
        delete=lambda: activity_services.record_remove(by=by, record=report),
    )


@login_required
def tie_create(request: HttpRequest, pseudo_id: str) -> HttpResponse:
    """Record a tie of this person with another of the people the user may edit."""
    person = get_object_or_404(network_selectors.people_editable_by(request.user), pseudo_id=pseudo_id)
    others = (
        network_selectors.people_editable_by(request.user)
        .filter(roles__partnership__in=person.roles.values("partnership"))
        .exclude(pk=person.pk)
        .distinct()
        .select_related("personal")
        .order_by("pk")
    )
    by = actor(request)

    def save(data: dict[str, Any]) -> Any:
        other: Person = data.pop("other")
        inward = data.pop("direction") == "in" and data["kind"] in DIRECTED_TIES
        a, b = (other, person) if inward else (person, other)
        return network_services.tie_save(by=by, person_a=a, person_b=b, **data)

    return _record_page(
        request,
        form=TieForm(request.POST or None, choices={"other": others}),
        save=save,
        title=_("Record a tie"),
        back=(reverse("person-detail", args=[person.pseudo_id]), str(person.pseudo_id)),
        saved=_("Tie saved."),
        intro=_("A working relationship between two people: mentoring, counterparts, co-training, co-authorship."),
    )


def _score(text: str) -> Decimal | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise ValueError(_("%(v)s is not a number") % {"v": text}) from None
    if not value.is_finite():
        raise ValueError(_("%(v)s is not a number") % {"v": text})
    return value


@login_required
def activity_scores(request: HttpRequest, pk: int) -> HttpResponse:
    """The class's pre- and post-test scores as one grid: a row per named trainee, saved all at once (all or
    nothing); a row left empty removes that trainee's scores."""
    activity = _editable_activity(request, pk)
    trainees = list(_trainees(request, activity))
    stored = {a.person_id: a for a in Assessment.objects.filter(activity=activity, person__in=trainees)}
    rows: list[dict[str, Any]] = []
    for index, person in enumerate(trainees):
        current = stored.get(person.pk)
        values = {
            name: request.POST.get(f"{name}-{person.pk}", "")
            if request.method == "POST"
            else ("" if current is None else f"{getattr(current, name).normalize():f}")
            for name in ("pre_score", "post_score", "max_score")
        }
        rows.append({"index": index, "person": person, "values": values, "errors": []})
    if request.method == "POST":
        parsed: list[tuple[Person, dict[str, Any]]] = []
        for row in rows:
            scores: dict[str, Any] = {}
            for name, text in row["values"].items():
                try:
                    scores[name] = _score(text)
                except ValueError as exc:
                    row["errors"].append(str(exc))
            if scores.get("max_score") is None and (
                scores.get("pre_score") is not None or scores.get("post_score") is not None
            ):
                scores["max_score"] = Decimal(100)
            parsed.append((row["person"], scores))
        if not any(row["errors"] for row in rows):
            try:
                activity_services.assessments_save_many(by=actor(request), activity=activity, rows=parsed)
            except RowInvalid as exc:
                rows[exc.index]["errors"].extend(m for ms in exc.message_dict.values() for m in ms)
            else:
                messages.success(request, _("Test scores saved."))
                return redirect("activity-detail", pk=activity.pk)
    return render(
        request,
        "web/activity_scores.html",
        {"a": activity, "rows": rows, "has_errors": any(row["errors"] for row in rows)},
    )


def _editable_indicator(request: HttpRequest, pk: int) -> Indicator:
    indicator = get_object_or_404(
        Indicator.objects.select_related("result__partnership"),
        pk=pk,
        result__partnership__in=registry_selectors.partnerships_visible_to(request.user),
    )
    if not registry_selectors.can_edit_partnership(request.user, indicator.result.partnership_id):
        raise PermissionDenied
    return indicator


def _results_page(indicator: Indicator) -> tuple[str, str]:
    partnership = indicator.result.partnership
    return reverse("partnership-results", args=[partnership.slug]), _("Results of %(p)s") % {"p": partnership.name}


@login_required
def indicator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct an indicator's wording, unit and baseline, or delete it with its periods."""
    indicator = _editable_indicator(request, pk)
    by = actor(request)
    return _record_page(
        request,
        form=IndicatorEditForm(request.POST or None, instance=indicator),
        save=lambda data: results_services.indicator_update(by=by, indicator=indicator, **data),
        title=_("Indicator"),
        back=_results_page(indicator),
        saved=_("Indicator saved."),
        delete=lambda: results_services.indicator_delete(by=by, indicator=indicator),
    )


def _period_form(request: HttpRequest, indicator: Indicator, period: IndicatorPeriod | None) -> HttpResponse:
    by = actor(request)
    form = PeriodForm(request.POST or None, instance=period, computed=indicator.computed)

    def save(data: dict[str, Any]) -> Any:
        return results_services.period_save(
            by=by, indicator=indicator, period=period, targets_by=form.targets_by(), **data
        )

    return _record_page(
        request,
        form=form,
        save=save,
        title=_("Period of %(i)s") % {"i": indicator.title},
        back=_results_page(indicator),
        saved=_("Period saved."),
        delete=(lambda: results_services.period_delete(by=by, period=period)) if period else None,
        intro=_("A period's target; for your own indicators, its actual (or numerator and denominator).")
        if not indicator.computed
        else _("This library indicator's actual is computed from the records: give the period and its targets."),
    )


@login_required
def period_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _period_form(request, _editable_indicator(request, pk), None)


@login_required
def period_edit(request: HttpRequest, pk: int) -> HttpResponse:
    period = get_object_or_404(IndicatorPeriod.objects.select_related("indicator"), pk=pk)
    return _period_form(request, _editable_indicator(request, period.indicator_id), period)


@login_required
def outcome_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct an outcome (a rating, a follow-up's answer, a facility value) or delete it."""
    from django.forms.models import model_to_dict

    from healthlinks.activities.models import Outcome
    from healthlinks.web.forms import OutcomeForm

    outcome = get_object_or_404(Outcome.objects.select_related("activity"), pk=pk)
    activity = _editable_activity(request, outcome.activity_id)
    by = actor(request)
    initial = model_to_dict(outcome)
    changed = outcome.practice_changed
    initial["practice_changed"] = "unknown" if changed is None else ("true" if changed else "false")
    form = OutcomeForm(request.POST or None, people=_trainees(request, activity), initial=initial)
    return _record_page(
        request,
        form=form,
        save=lambda data: activity_services.outcome_update(by=by, outcome=outcome, **data),
        title=_("Outcome"),
        back=_activity_page(activity),
        saved=_("Outcome saved."),
        delete=lambda: activity_services.record_remove(by=by, record=outcome),
    )


@login_required
@require_POST
def tie_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a recorded tie (history keeps it): someone who may edit both of its people."""
    tie = get_object_or_404(
        network_selectors.ties_visible_to(request.user).select_related("person_a", "person_b"), pk=pk
    )
    if not network_selectors.can_edit_tie(request.user, tie.person_a, tie.person_b):
        raise PermissionDenied
    network_services.tie_delete(by=actor(request), tie=tie)
    messages.success(request, _("Tie removed."))
    back = request.POST.get("from", "")
    return redirect(
        "person-detail",
        pseudo_id=back if back in (tie.person_a.pseudo_id, tie.person_b.pseudo_id) else tie.person_a.pseudo_id,
    )
