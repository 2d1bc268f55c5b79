"""The strategy planner's pages: a partnership's plans compared side by side with their uncertainty, the form that
writes a plan (through planning.services), and the planner set against history (backtest)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from healthlinks.analytics.scope import Scope
from healthlinks.analytics.selectors import planner_backtest, planner_evidence
from healthlinks.labels import label
from healthlinks.network.models import STAY_CONDITIONS
from healthlinks.planning import selectors, services
from healthlinks.planning.models import MAX_LINES, MAX_YEARS, LineMode, Plan, PlanLine
from healthlinks.planning.simulate import simulate
from healthlinks.records import RowInvalid
from healthlinks.reference.models import Occupation
from healthlinks.registry.selectors import Access, AnyUser
from healthlinks.web import planning_charts
from healthlinks.web.views import actor, visible_partnership

SEED = 2026  # one seed for every page: the same plans on the same data give the same figures
COMPARED = 4
CONDITIONS = list(STAY_CONDITIONS)
# a condition the line assumes: "" as in past stays (None), "yes" the plan ensures it, "no" it will not be there
CONDITION_CHOICES = [
    ("", gettext_lazy("As in past stays")),
    ("yes", gettext_lazy("Yes: the plan ensures it")),
    ("no", gettext_lazy("No")),
]


def _condition_field(name: str) -> Any:
    return PlanLine._meta.get_field(name)


def condition_label(name: str) -> str:
    return str(_condition_field(name).verbose_name)


def _condition_value(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


class PlanForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the plan"), max_length=120)
    years = forms.TypedChoiceField(
        label=gettext_lazy("Years"), coerce=int, choices=[(y, str(y)) for y in range(1, MAX_YEARS + 1)]
    )
    budget = forms.DecimalField(label=gettext_lazy("Budget (cash)"), required=False, min_value=0, max_digits=14)
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class LineForm(forms.Form):
    mode = forms.ChoiceField(label=gettext_lazy("Kind"), choices=[("", "—"), *LineMode.choices], required=False)
    per_year = forms.IntegerField(
        label=gettext_lazy("Stays or sessions a year"), min_value=1, max_value=365, required=False
    )
    days = forms.IntegerField(label=gettext_lazy("Days each"), min_value=1, max_value=1825, required=False)
    volunteers = forms.IntegerField(label=gettext_lazy("Different volunteers"), min_value=1, required=False)
    cadre = forms.ModelChoiceField(
        label=gettext_lazy("Volunteers' cadre"), queryset=Occupation.objects.none(), required=False
    )
    training_of_trainers = forms.BooleanField(label=gettext_lazy("Training of trainers"), required=False)
    cost_per_stay = forms.DecimalField(
        label=gettext_lazy("Travel and subsistence per stay"), min_value=0, max_digits=12, required=False
    )
    day_rate = forms.DecimalField(
        label=gettext_lazy("Value of a volunteer day (empty: the day-rate table)"),
        min_value=0,
        max_digits=12,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in CONDITIONS:  # the enabling conditions the line assumes, as in past stays unless said
            field = _condition_field(name)
            self.fields[name] = forms.TypedChoiceField(
                label=str(field.verbose_name).capitalize(),
                help_text=field.help_text,
                choices=CONDITION_CHOICES,
                coerce=lambda value: value == "yes",
                empty_value=None,
                required=False,
            )
        cadre = self.fields["cadre"]
        assert isinstance(cadre, forms.ModelChoiceField)
        cadre.queryset = Occupation.objects.order_by("code")
        cadre.label_from_instance = lambda o: label("cadre", o.code)  # type: ignore[method-assign,assignment]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("mode") and not data.get("per_year"):
            self.add_error("per_year", _("how many a year?"))
        return data

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in CONDITIONS]

    def condition_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in CONDITIONS]

    def line(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("mode"):
            return None
        return {
            "mode": data["mode"],
            "per_year": data["per_year"],
            "days": data.get("days") or (1 if data["mode"] == LineMode.VIRTUAL else 14),
            "volunteers": data.get("volunteers") or 1,
            "cadre": data.get("cadre"),
            "training_of_trainers": bool(data.get("training_of_trainers")),
            "cost_per_stay": data.get("cost_per_stay") or 0,
            "day_rate": data.get("day_rate"),
            **{name: data.get(name) for name in CONDITIONS},
        }


LineFormSet = forms.formset_factory(LineForm, extra=0, min_num=MAX_LINES, max_num=MAX_LINES)


def words(plans: list[dict[str, Any]]) -> list[str]:
    """Each plan against the first, in words: per 100 health workers reached, how many more change practice."""
    out = []
    first = plans[0]["name"] if plans else ""
    for plan in plans[1:]:
        d = plan["rate_difference"]
        values = {
            "plan": plan["name"],
            "first": first,
            "diff": f"{abs(100 * d['median']):.0f}",
            "low": f"{100 * d['low']:+.0f}",
            "high": f"{100 * d['high']:+.0f}",
        }
        if not plan["clear_difference"]:
            out.append(
                _(
                    "{plan} and {first}: no clear difference in how many of those reached change practice "
                    "(per 100 reached, {low} to {high})."
                ).format(**values)
            )
        elif d["median"] > 0:
            out.append(
                _(
                    "{plan}: about {diff} more of every 100 health workers reached change practice than with "
                    "{first} ({low} to {high})."
                ).format(**values)
            )
        else:
            out.append(
                _(
                    "{plan}: about {diff} fewer of every 100 health workers reached change practice than with "
                    "{first} ({low} to {high})."
                ).format(**values)
            )
    return out


def assumed(plan: Plan) -> list[str]:
    """The conditions each kind of stay of the plan states, in words ("" for none)."""
    out = []
    for index, line in enumerate(plan.lines.all(), start=1):
        stated = line.conditions()
        if stated:
            said = ", ".join(f"{condition_label(name)} ({_('yes') if value else _('no')})" for name, value in stated)
            out.append(_("Kind of stay {n}: {conditions}").format(n=index, conditions=said))
    return out


def condition_words(plans: list[dict[str, Any]]) -> list[str]:
    """Each plan that states conditions against itself with every condition as in past stays, in words."""
    out = []
    for plan in plans:
        gain = plan.get("condition_gain")
        if gain is None:
            continue
        values = {
            "plan": plan["name"],
            "diff": f"{abs(100 * gain['median']):.0f}",
            "low": f"{100 * gain['low']:+.0f}",
            "high": f"{100 * gain['high']:+.0f}",
        }
        if not plan["condition_gain_clear"]:
            out.append(
                _(
                    "{plan}: the conditions it assumes make no clear difference to how many of those reached change "
                    "practice, against the same plan with conditions as in past stays (per 100 reached, {low} to "
                    "{high})."
                ).format(**values)
            )
        elif gain["median"] > 0:
            out.append(
                _(
                    "{plan}: with the conditions it assumes, about {diff} more of every 100 health workers reached "
                    "change practice than with conditions as in past stays ({low} to {high})."
                ).format(**values)
            )
        else:
            out.append(
                _(
                    "{plan}: with the conditions it assumes, about {diff} fewer of every 100 health workers reached "
                    "change practice than with conditions as in past stays ({low} to {high})."
                ).format(**values)
            )
    return out


def _editable(request: HttpRequest, slug: str) -> Any:
    partnership, access = visible_partnership(request, slug)
    if access < Access.EDIT:
        raise PermissionDenied
    return partnership


@login_required
@require_safe
def plans_page(request: HttpRequest, slug: str) -> HttpResponse:
    partnership, access = visible_partnership(request, slug)
    if access < Access.MEMBER:  # plans are the partnership's own thinking: its members, coordinators, hub admins
        raise PermissionDenied
    plans = list(selectors.plans_visible_to(request.user, partnership=partnership))
    chosen = chosen_plans(plans, request.GET.getlist("plan"))
    context: dict[str, Any] = {
        "p": partnership,
        "plans": plans,
        "chosen": {p.pk for p in chosen},
        "can_edit": access >= Access.EDIT,
        "compared": COMPARED,
    }
    if chosen:
        context.update(comparison(request.user, chosen))
    return render(request, "web/plans.html", context)


def chosen_plans(plans: list[Plan], wanted: list[str]) -> list[Plan]:
    """The plans compared: those ticked (`?plan=ID`, any number), else the first COMPARED."""
    return [p for p in plans if str(p.pk) in wanted] if wanted else plans[:COMPARED]


def comparison(user: AnyUser, chosen: list[Plan]) -> dict[str, Any]:
    """The comparison of `chosen` plans as the plans page and its PDF show it: the simulated figures (same
    evidence, seed and draws), the charts' specs and the sentences."""
    evidence = planner_evidence(user, Scope())
    result = simulate(evidence, selectors.plan_inputs(chosen), seed=SEED)
    conditions = result["conditions"]
    return {
        "result": result,
        "rows": list(zip(chosen, result["plans"], strict=True)),
        "specs": planning_charts.specs(result["plans"]),
        "words": words(result["plans"]),
        "assumed": [(plan.name, said) for plan in chosen if (said := assumed(plan))],
        "condition_words": condition_words(result["plans"]),
        "conditions_estimated": ", ".join(condition_label(n) for n in conditions["estimated"]),
        "conditions_unestimated": ", ".join(condition_label(n) for n in conditions["unestimated"]),
        "currency": settings.HEALTHLINKS_REPORTING_CURRENCY,
    }


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit_page(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    partnership = _editable(request, slug)
    plan = get_object_or_404(Plan, pk=pk, partnership=partnership) if pk is not None else None
    initial_lines: list[dict[str, Any]] = []
    if plan is not None:
        initial_lines = [
            {
                f: getattr(line, f)
                for f in ("mode", "per_year", "days", "volunteers", "training_of_trainers", "cost_per_stay", "day_rate")
            }
            | {"cadre": line.cadre}
            | {name: _condition_value(getattr(line, name)) for name in CONDITIONS}
            for line in plan.lines.all()
        ]
    form = PlanForm(
        request.POST or None,
        initial={"name": plan.name, "years": plan.years, "budget": plan.budget, "notes": plan.notes} if plan else None,
    )
    lines = LineFormSet(request.POST or None, initial=initial_lines or None, prefix="line")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        chosen = [line for f in lines if (line := f.line()) is not None]
        try:
            saved = services.plan_save(
                by=actor(request),
                partnership=partnership,
                plan=plan,
                name=form.cleaned_data["name"],
                years=form.cleaned_data["years"],
                budget=form.cleaned_data["budget"],
                notes=form.cleaned_data["notes"],
                lines=chosen,
            )
        except RowInvalid as error:
            target = [f for f in lines if f.line() is not None][error.index]
            for field, problems in error.message_dict.items():
                target.add_error(field if field in target.fields else None, problems)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("Plan saved."))
            return redirect(f"/partnerships/{partnership.slug}/plans/?plan={saved.pk}")
    return render(request, "web/plan_form.html", {"p": partnership, "plan": plan, "form": form, "lines": lines})


@login_required
@require_POST
def plan_delete_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    partnership = _editable(request, slug)
    plan = get_object_or_404(Plan, pk=pk, partnership=partnership)
    services.plan_delete(by=actor(request), plan=plan)
    messages.success(request, _("Plan deleted."))
    return redirect("plans", slug=partnership.slug)


@login_required
@require_safe
def backtest_page(request: HttpRequest) -> HttpResponse:
    try:
        scope = Scope.from_params(request.GET)
        cutoff = int(request.GET.get("cutoff") or 0) or None
    except ValueError as error:
        return render(request, "web/planner_backtest.html", {"error": str(error)}, status=400)
    result = planner_backtest(request.user, scope, cutoff) if cutoff else None
    context: dict[str, Any] = {"result": result, "cutoff": cutoff or ""}
    if result:
        for key, name in (("practice_change", "coverage_pc"), ("reach", "reach_pc")):
            share = result[key]["coverage"]
            context[name] = None if share is None else round(100 * share)
    return render(request, "web/planner_backtest.html", context)
