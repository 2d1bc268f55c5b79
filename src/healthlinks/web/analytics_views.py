"""Analysis pages: filters on top, charts with their intervals, the tables behind them, CSV downloads."""

from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from healthlinks import labels
from healthlinks.analytics import mobility, words
from healthlinks.analytics.scope import Scope
from healthlinks.analytics.selectors import (
    collective_impact,
    mobility_analysis,
    mobility_conditions_analysis,
    network_evolution,
    partnership_health,
    typology_analysis,
    value_for_money,
)
from healthlinks.interchange.tabular.cells import csv_dict
from healthlinks.reference.models import Country, Specialty
from healthlinks.registry.models import FundingScheme, Partnership
from healthlinks.registry.selectors import TYPOLOGY_FILTERS
from healthlinks.tasks.services import submit
from healthlinks.web import charts, pickers

DIMENSION_LABELS = words.DIMENSION_LABELS
GROUP_KINDS = words.GROUP_KINDS
group_labeller = words.group_labeller


def typology_label(key: str) -> str:
    """A typology filter (`dimension:value`, or the Edwards combination) in words."""
    if key == "mobility_resilient":
        return _("Resilient to staff mobility (training with infrastructure, generic skills)")
    dimension, _sep, value = key.partition(":")
    return f"{TYPOLOGY_DIMENSIONS.get(dimension, dimension)}: {labels.label(dimension, value)}"


TYPOLOGY_DIMENSIONS = {
    "capacity_focus": gettext_lazy("Capacity focus"),
    "intervention": gettext_lazy("Intervention"),
    "skills": gettext_lazy("Skills"),
    "delivery": gettext_lazy("Delivery"),
    "visiting_groups": gettext_lazy("Visiting groups"),
    "host_entities": gettext_lazy("Host entities"),
    "frequency": gettext_lazy("Frequency"),
}


def distribution_in_words(distribution: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """The typology's counts by dimension, dimensions and categories as words."""
    return {
        str(TYPOLOGY_DIMENSIONS.get(d, d)): {labels.label(d, k): n for k, n in counts.items()}
        for d, counts in distribution.items()
    }


def feature_label(feature: str) -> str:
    """A grouping feature ("activity: training_course") in words."""
    kind, _sep, code = feature.partition(": ")
    if kind == "activity":
        return f"{_('Activity')}: {labels.label('activity_type', code)}"
    if kind == "geography":
        return f"{_('Geography')}: {labels.label('geography', code)}"
    return feature


def groups_in_words(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **g,
            "distinguished_by": [{**d, "feature": feature_label(d["feature"])} for d in g["distinguished_by"]],
            "edwards_intervention": {labels.label("intervention", k): v for k, v in g["edwards_intervention"].items()},
        }
        for g in groups
    ]


def comparison_in_words(row: dict[str, Any]) -> dict[str, Any]:
    comparison = row["comparison"]
    return {
        **row,
        "comparison": {
            **comparison,
            "main_activity": labels.label("activity_type", comparison.get("main_activity")),
            "geography_class": labels.label("geography", comparison.get("geography_class")),
        },
        "measures": [{**m, "label": VFM_LABELS[m["key"]], **vfm_unit(m)} for m in row["measures"]],
    }


def vfm_unit(measure: dict[str, Any]) -> dict[str, Any]:
    """A ratio read as its reader expects: costs in the reporting currency, shares as percentages, leverage per
    unit of cash."""
    from django.conf import settings

    key = measure["key"]
    if key.endswith("_share"):
        scale = {name: None if measure[name] is None else measure[name] * 100 for name in ("value", "median")}
        return {**scale, "unit": "%"}
    if key.startswith(("cost_per", "economic_cost_per")):
        return {"unit": str(settings.HEALTHLINKS_REPORTING_CURRENCY)}
    return {"unit": _("per unit of cash")} if key == "leverage" else {"unit": ""}


def network_in_words(data: dict[str, Any]) -> dict[str, Any]:
    """Cadres (ISCO codes) in the tables and the picture as their names; the cached result is left as it is."""
    picture = data.get("picture")
    codes = {b.get("cadre") for b in data.get("brokers", [])} | {c.get("cadre") for c in data.get("cadres", [])}
    codes |= {n.get("cadre") for n in (picture or {}).get("nodes", [])}
    cadre = labels.labeller("cadre", {c for c in codes if c})
    nodes = [
        {
            **n,
            "label": cadre(n["cadre"]),
            "detail": _("%(t)s ties, betweenness %(b).0f") % {"t": n["ties"], "b": n["size"]},
        }
        if "cadre" in n
        else n
        for n in (picture or {}).get("nodes", [])
    ]
    return {
        **data,
        "brokers": [{**b, "cadre": cadre(b.get("cadre"))} for b in data.get("brokers", [])],
        "cadres": [{**c, "cadre": cadre(c.get("cadre"))} for c in data.get("cadres", [])],
        "picture": {**picture, "nodes": nodes} if picture else picture,
    }


class ScopeForm(forms.Form):
    partnership = forms.CharField(
        required=False,
        label=gettext_lazy("Partnership"),
        help_text=gettext_lazy("Type its name and choose it from the list."),
    )
    country = forms.ChoiceField(required=False, label=gettext_lazy("Country"))
    region = forms.ChoiceField(required=False, label=gettext_lazy("WHO region"))
    specialty = forms.ChoiceField(required=False, label=gettext_lazy("Specialty"))
    typology = forms.ChoiceField(required=False, label=gettext_lazy("Typology"))
    funder = forms.ChoiceField(required=False, label=gettext_lazy("Funder"))
    year_from = forms.IntegerField(required=False, min_value=1950, max_value=2100, label=gettext_lazy("From year"))
    year_to = forms.IntegerField(required=False, min_value=1950, max_value=2100, label=gettext_lazy("To year"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from healthlinks.reference.models import WhoRegion

        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        choices: dict[str, list[tuple[str, Any]]] = {
            "country": blank + sorted(((c.iso3, c.local_name) for c in Country.objects.all()), key=lambda o: o[1]),
            "region": blank + list(WhoRegion.choices),
            "specialty": blank + sorted(((s.slug, s.local_name) for s in Specialty.objects.all()), key=lambda o: o[1]),
            "typology": blank + [(k, typology_label(k)) for k in TYPOLOGY_FILTERS],
            "funder": blank + [(f.slug, f.name) for f in FundingScheme.objects.order_by("name")],
        }
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = options

    def clean_partnership(self) -> str:
        """A slug as it is; a name typed without JavaScript becomes the slug of the one partnership it names."""
        text = (self.cleaned_data.get("partnership") or "").strip()
        if not text or Partnership.objects.filter(slug=text).exists():
            return text
        named = list(Partnership.objects.filter(name__iexact=text).values_list("slug", flat=True)[:2])
        return named[0] if len(named) == 1 else text


def _scope(request: HttpRequest) -> tuple[ScopeForm, Scope]:
    form = ScopeForm(request.GET or None)
    form.fields["partnership"].widget = pickers.partnership_picker()
    if form.is_valid():
        return form, Scope.from_params(form.cleaned_data)
    return form, Scope()


def _csv(rows: list[dict[str, Any]], filename: str) -> HttpResponse:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(csv_dict(row) for row in rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def report_request(request: HttpRequest) -> HttpResponse:
    """One click: the report of the partnerships in scope (the page's filters) is made in the background; its
    task page shows progress and then the download."""
    form = ScopeForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(_("The filters are not valid: %(errors)s") % {"errors": form.errors.as_text()})
    params = {k: v for k, v in (form.cleaned_data if form.is_bound else {}).items() if v not in (None, "")}
    fmt = "html" if request.POST.get("format") == "html" else "pdf"
    label = _("Report (%(format)s): %(scope)s") % {"format": fmt.upper(), "scope": Scope.from_params(params).describe()}
    task = submit("report", user=request.user, params={"scope": params, "format": fmt}, label=label[:200])
    return redirect("task-detail", pk=task.pk)


def mobility_sections(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per outcome: the breakdown tables with their interval charts, and the model's forest plot, every estimate
    with its words (analytics.words; `data` may be the analysis as cached or already in words)."""
    if "small_numbers" not in data:
        data = words.mobility(data)
    sections = []
    for key, outcome in data["outcomes"].items():
        binary = outcome["kind"] == "binary"
        axis = _("share") if binary else _("mean normalised gain")
        tables = []
        for dim in mobility.DIMENSIONS:
            rows = outcome["breakdowns"][dim]
            # codes (continuum classes, ISCO cadres) and bands shown as words
            label = group_labeller(dim, {r["group"] for r in rows})
            rows = [{**r, "group": label(r["group"])} for r in rows]
            spec = charts.intervals(rows, str(DIMENSION_LABELS[dim]), axis, percent=binary)
            tables.append(
                {"dimension": dim, "label": DIMENSION_LABELS[dim], "rows": rows, "spec": spec, "id": f"iv-{key}-{dim}"}
            )
        model = outcome["model"]
        forest = (
            charts.forest(
                model["effects"],
                outcome["title"],
                _("times as likely") if binary else _("difference in gain"),
                ratio=binary,
            )
            if model["shown"]
            else None
        )
        sections.append(
            {
                "key": key,
                "outcome": outcome,
                "binary": binary,
                "tables": tables,
                "forest": forest,
                "forest_id": f"forest-{key}",
            }
        )
    return sections


def _ratio(value: float) -> str:
    return words.number(value, 2)


def condition_words(effect: dict[str, Any], model: dict[str, Any]) -> str:
    """One condition's (or the effect modifier's) odds ratio in words, with its 95% interval and n."""
    values = {
        "label": str(mobility.CONDITION_LABELS[effect["term"]]),
        "ratio": _ratio(effect["odds_ratio"]),
        "low": _ratio(effect["or_low"]),
        "high": _ratio(effect["or_high"]),
        "with_": words.count(int(effect["n_with"])),
        "n": words.count(int(model["n"])),
        "k": words.count(int(model["partnerships"])),
    }
    if effect["term"] == mobility.MODIFIER:
        sentence = _(
            # xgettext:no-python-format
            "In a long-term placement, a named counterpart's odds ratio was {ratio} times what it was in a shorter "
            "stay (95% interval {low} to {high}; {with_} of {n} trainees in long-term placements with a named "
            "counterpart, in {k} partnerships)."
        ).format(**values)
    else:
        sentence = _(
            # xgettext:no-python-format
            "{label}: trainees' odds of having changed practice at follow-up were {ratio} times those without it, "
            "the kind of stay and the other conditions alike (95% interval {low} to {high}; {with_} of {n} trainees "
            "with it, in {k} partnerships)."
        ).format(**values)
    if effect["or_low"] <= 1.0 <= effect["or_high"]:
        sentence += " " + _("The interval includes no difference: the data cannot say which way it goes.")
    return sentence


def conditions_section(data: dict[str, Any]) -> dict[str, Any]:
    """The enabling conditions' model for the mobility page: each condition's odds ratio with its interval and
    words, the forest chart, the observations modelled (complete cases) and those left out, and why no model is
    shown when it is withheld (analytics.words' small-numbers rules)."""
    model = data["model"]
    withheld = words.model_withheld(model)
    rows = [
        {
            **{k: e[k] for k in ("term", "odds_ratio", "or_low", "or_high", "n_with")},
            "label": str(mobility.CONDITION_LABELS[e["term"]]),
            "modifier": e["term"] == mobility.MODIFIER,
            "words": condition_words(e, model),
        }
        for e in model.get("effects", [])
        if e["term"] in mobility.CONDITION_LABELS
    ]
    adjusted = [str(words.TERM_LABELS[e["term"]]) for e in model.get("effects", []) if e["term"] in mobility.PREDICTORS]
    spec = None
    if rows and not withheld:
        # the chart's ratio scale reads its points from rr, rr_low and rr_high: here they are the odds ratios
        points = [{**r, "rr": r["odds_ratio"], "rr_low": r["or_low"], "rr_high": r["or_high"]} for r in rows]
        spec = charts.forest(points, _("Enabling conditions and practice change"), _("odds ratio"), ratio=True)
    return {
        "model": model,
        "rows": rows,
        "spec": spec,
        "shown": bool(rows) and not withheld,
        "withheld": withheld or (_("No condition could be estimated.") if not rows else ""),
        "adjusted": ", ".join(adjusted),
        "method_words": words.method(model),
        **{key: words.count(int(model.get(key) or 0)) for key in ("n", "n_all", "n_unknown", "partnerships")},
        "note": str(model.get("note") or ""),
    }


@require_safe
def mobility_page(request: HttpRequest) -> HttpResponse:
    """Which kinds of stays were followed by learning, changed practice and cascades, with intervals."""
    form, scope = _scope(request)
    data = words.mobility(mobility_analysis(request.user, scope))
    if request.GET.get("format") == "csv":
        return _csv(words.mobility_rows(data), "mobility-knowledge-transfer.csv")
    sections = mobility_sections(data)
    conditions = conditions_section(mobility_conditions_analysis(request.user, scope))
    return render(
        request,
        "web/analytics_mobility.html",
        {
            "form": form,
            "data": data,
            "sections": sections,
            "conditions": conditions,
            "glossary": words.GLOSSARY,
            "small_numbers": data["small_numbers"],
            "querystring": request.GET.urlencode(),
        },
    )


def network_specs(data: dict[str, Any]) -> dict[str, Any]:
    """Measures over time and the picture of one year."""
    specs: dict[str, Any] = {}
    if data["years"]:
        specs = {
            "structure": charts.measures_over_time(
                data["years"],
                {
                    "density": _("density"),
                    "largest_share": _("share in the largest component"),
                    "persistence": _("ties persisting"),
                },
                _("Structure of the network"),
            ),
            "size": charts.measures_over_time(
                data["years"], {"people": _("people"), "ties": _("ties"), "institutions": _("institutions")}, _("Size")
            ),
            "reciprocity": charts.measures_over_time(
                data["years"],
                {"reciprocity": _("(South→North + South→South) / North→South")},
                _("Reciprocity of flows"),
            ),
            "picture": charts.network_picture(data["picture"]["nodes"], data["picture"]["links"]),
        }
    return specs


@require_safe
def network_page(request: HttpRequest) -> HttpResponse:
    """How the knowledge network grew: measures per year, a picture of one year, brokers and bridges."""
    form, scope = _scope(request)
    try:
        year = int(request.GET["year"]) if request.GET.get("year") else None
    except ValueError:
        year = None
    data = network_evolution(request.user, scope, year)
    if request.GET.get("format") == "csv":
        return _csv([{k: v for k, v in y.items() if k != "flows"} | y["flows"] for y in data["years"]], "network.csv")
    data = network_in_words(data)
    specs = network_specs(data)
    return render(
        request,
        "web/analytics_network.html",
        {"form": form, "data": data, "specs": specs, "querystring": request.GET.urlencode()},
    )


def impact_views(data: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """The tables by country, specialty, funder and typology, and the map, trend and specialty charts."""
    countries = {c.iso3: c for c in Country.objects.all()}
    specialties = {s.pk: s.local_name for s in Specialty.objects.all()}
    by_country = [
        {"id": int(countries[r["group"]].numeric), "name": countries[r["group"]].local_name, "trained": r["trained"]}
        for r in data["by"]["country"]
        if r["group"] in countries and countries[r["group"]].numeric.isdigit()
    ]
    tables = {
        "country": [
            {
                **r,
                "label": getattr(countries.get(r["group"]), "local_name", r["group"]),
                "link": f"?country={r['group']}",
            }
            for r in data["by"]["country"]
        ],
        "specialty": [
            {**r, "label": specialties.get(r["group"], r["group"]), "link": ""} for r in data["by"]["specialty"]
        ],
        "funder": [{**r, "label": r["group"], "link": ""} for r in data["by"]["funder"]],
        "typology": [
            {**r, "label": labels.label("intervention", r["group"]), "link": ""} for r in data["by"]["typology"]
        ],
    }
    specs = {
        "map": charts.choropleth(by_country, "trained", _("Health workers trained, by country of the partnerships")),
        "trend": charts.measures_over_time(
            data["trend"],
            {"trained": _("health workers trained"), "volunteer_days": _("volunteer days")},
            _("Trends by year"),
        ),
        "specialty": charts.counts(
            [{"specialty": t["label"], "n": t["trained"]} for t in tables["specialty"]], "specialty", _("By specialty")
        ),
    }
    return tables, specs


IMPACT_ROWS = 100


@require_safe
def impact_page(request: HttpRequest) -> HttpResponse:
    """All partnerships in scope added up: trained, volunteer days, practice changed, costs; by country,
    specialty, funder, year and typology, each figure a link to the records behind it."""
    form, scope = _scope(request)
    data = collective_impact(request.user, scope)
    if request.GET.get("format") == "csv":
        return _csv(data["partnerships"], "collective-impact.csv")
    tables, specs = impact_views(data)
    health = words.health(partnership_health(request.user, scope))
    if health["points"]:
        specs["health"] = charts.health_scatter(health["points"])
    # the largest first; the full list is in the CSV (a page of 2,000 rows helps no one and takes a second)
    shown = sorted(data["partnerships"], key=lambda r: (-r["trained"], r["name"]))[:IMPACT_ROWS]
    return render(
        request,
        "web/analytics_impact.html",
        {
            "form": form,
            "data": data,
            "tables": tables,
            "specs": specs,
            "shown": shown,
            "hidden": len(data["partnerships"]) - len(shown),
            "health": health,
            "glossary": [words.GLOSSARY["association"], words.GLOSSARY["interval"], words.GLOSSARY["too_few"]],
            "querystring": request.GET.urlencode(),
        },
    )


VFM_LABELS = {
    "cost_per_volunteer_day": gettext_lazy("Economy: cash cost per volunteer day"),
    "in_kind_share": gettext_lazy("Economy: in-kind share of all resources"),
    "cost_per_trained": gettext_lazy("Efficiency: cash cost per health worker trained"),
    "cost_per_training_hour": gettext_lazy("Efficiency: cash cost per training hour"),
    "cost_per_practice_change": gettext_lazy("Cost-effectiveness: cash cost per trainee whose practice changed"),
    "female_share": gettext_lazy("Equity: share of women among trainees"),
    "district_primary_share": gettext_lazy("Equity: share of trainees from district and primary facilities"),
    "ssl_activity_share": gettext_lazy("Equity: share of activities in Safeguards-List countries"),
    "leverage": gettext_lazy("Leverage: in kind per unit of cash"),
    "economic_cost_per_volunteer_day": gettext_lazy("Economy: economic cost per volunteer day"),
    "economic_cost_per_trained": gettext_lazy("Efficiency: economic cost per health worker trained"),
    "economic_cost_per_training_hour": gettext_lazy("Efficiency: economic cost per training hour"),
    "economic_cost_per_practice_change": gettext_lazy(
        "Cost-effectiveness: economic cost per trainee whose practice changed"
    ),
    "practice_change_share": gettext_lazy("Effectiveness: share of trainees followed up whose practice changed"),
}
# one chart per comparison: a cost ratio draws its financial and economic cost side by side
VFM_CHARTS: list[tuple[str, str | None, Any]] = [
    ("cost_per_trained", "economic_cost_per_trained", gettext_lazy("Cost per health worker trained")),
    ("cost_per_practice_change", "economic_cost_per_practice_change", gettext_lazy("Cost per practice change")),
    ("cost_per_volunteer_day", "economic_cost_per_volunteer_day", gettext_lazy("Cost per volunteer day")),
    ("cost_per_training_hour", "economic_cost_per_training_hour", gettext_lazy("Cost per training hour")),
    ("practice_change_share", None, gettext_lazy("Trainees followed up whose practice changed")),
    ("in_kind_share", None, gettext_lazy("In-kind share of all resources")),
    ("leverage", None, gettext_lazy("Leverage: in kind per unit of cash")),
    ("female_share", None, gettext_lazy("Share of women among trainees")),
    ("district_primary_share", None, gettext_lazy("Share of trainees from district and primary facilities")),
    ("ssl_activity_share", None, gettext_lazy("Share of activities in Safeguards-List countries")),
]


VFM_CARDS = 50


def price_basis(data: dict[str, Any]) -> str:
    """The currency and price year every cost on the page is in, in words."""
    years = data.get("price_years")
    currency = data.get("currency") or ""
    if not years:
        return _("%(c)s (no costs in scope)") % {"c": currency}
    span = str(years[0]) if years[0] == years[1] else f"{years[0]}–{years[1]}"
    return _("%(c)s, prices of %(y)s (each cost at its year's exchange rate, not adjusted for inflation)") % {
        "c": currency,
        "y": span,
    }


def _group_label(main_activity: Any, geography: Any, n: int) -> str:
    return f"{labels.label('activity_type', main_activity)}, {labels.label('geography', geography)} ({n})"


def vfm_comparisons(data: dict[str, Any], shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One chart per comparison: every shown partnership a dot among the like partnerships of its group (those not
    in scope drawn light), ranked within the group; financial and economic cost side by side."""
    in_scope, peer = _("in scope"), _("like partnership")
    narrow = bool(data.get("others"))
    everyone = [(r, in_scope if narrow else peer) for r in shown] + [(r, peer) for r in data.get("others", [])]
    sizes: dict[tuple[Any, Any], int] = {}
    for r in data["partnerships"]:
        sizes[(r["main_activity"], r["geography_class"])] = r["comparison"]["partnerships"]
    out = []
    currency = str(data.get("currency") or "")
    for index, (key, economic, title) in enumerate(VFM_CHARTS):
        share = key.endswith("_share")
        unit = "%" if share else (_("per unit of cash") if key == "leverage" else currency)
        rows: list[dict[str, Any]] = []
        for measure, cost in ((key, _("financial (cash)")), (economic, _("economic"))):
            if measure is None:
                continue
            for r, role in everyone:
                if r.get(measure) is None:
                    continue
                group = (r["main_activity"], r["geography_class"])
                rows.append(
                    {
                        "group": _group_label(*group, sizes.get(group, 0)),
                        "partnership": r["name"],
                        "value": r[measure],
                        "role": role,
                        "cost": cost,
                        "_key": group,
                    }
                )
        ranked: dict[tuple[Any, str], list[dict[str, Any]]] = {}
        for row in rows:
            ranked.setdefault((row.pop("_key"), row["cost"]), []).append(row)
        for members in ranked.values():
            for rank, row in enumerate(sorted(members, key=lambda m: m["value"]), start=1):
                row["rank"] = _("%(r)d of %(n)d") % {"r": rank, "n": len(members)}
        if economic is None:
            for row in rows:
                del row["cost"]
        fmt = ".0%" if share else ",.2f"
        spec = charts.vfm_strip(rows, str(title), unit, fmt, paired=economic is not None) if rows else None
        out.append({"key": key, "title": title, "spec": spec, "id": f"vfm-{index}"})
    return out


def vfm_effectiveness(data: dict[str, Any]) -> dict[str, Any]:
    """Partnerships pooled beside the comparator programmes: practice change with its Wilson interval, and cost per
    practice change (financial and economic) with the interval that interval carries."""
    pooled = data["pooled"]
    who = ngettext("%(n)d partnership in scope", "%(n)d partnerships in scope", pooled["partnerships"]) % {
        "n": pooled["partnerships"]
    }
    programmes = [(who, pooled)] + [
        (f"{c['name']} ({labels.label('comparator_kind', c['kind'])}, {c['year']})", c) for c in data["comparators"]
    ]
    financial, economic = _("financial (cash)"), _("economic")
    cost_rows, share_rows = [], []
    for label, r in programmes:
        for prefix, cost in (("", financial), ("economic_", economic)):
            key = f"{prefix}cost_per_practice_change"
            if r.get(key) is not None:
                cost_rows.append(
                    {"label": label, "cost": cost, "estimate": r[key], "low": r[f"{key}_low"], "high": r[f"{key}_high"]}
                )
        if r.get("practice_change_share") is not None:
            share_rows.append(
                {
                    "label": label,
                    "cost": "",
                    "estimate": r["practice_change_share"],
                    "low": r["practice_change_share_low"],
                    "high": r["practice_change_share_high"],
                }
            )
    currency = str(data.get("currency") or "")
    return {
        "cost": charts.estimates_with_intervals(cost_rows, _("Cost per practice change"), currency, ",.0f")
        if cost_rows
        else None,
        "share": charts.estimates_with_intervals(
            share_rows, _("Trainees followed up whose practice changed"), _("share"), ".0%"
        )
        if share_rows
        else None,
    }


def vfm_benefits(user: Any, ids: list[int]) -> dict[str, Any]:
    """What returning volunteers report bringing back (the volunteer impact survey), as shares with intervals."""
    from healthlinks.analytics.stats import proportion_row
    from healthlinks.evaluation.selectors import volunteer_benefits

    found = volunteer_benefits(user, ids)
    agreement = [proportion_row(r["label"], r["events"], r["n"]) for r in found["agreement"]]
    applied = [proportion_row(r["label"], r["events"], r["n"]) for r in found["applied"]]
    specs = {}
    if any(r["estimate"] is not None for r in agreement):
        specs["agreement"] = charts.intervals(agreement, _("Since coming back, I …"), _("share who agree"))
    if any(r["estimate"] is not None for r in applied):
        specs["applied"] = charts.intervals(applied, _("Applied in their own workplace"), _("share who name it"))
    return {**found, "agreement": agreement, "applied": applied, "specs": specs}


@require_safe
def vfm_page(request: HttpRequest) -> HttpResponse:
    """Value for money by the 4Es: the financial and the economic cost, effectiveness beside comparator programmes,
    one chart per comparison of the partnerships among like partnerships, and what volunteers bring back."""
    from healthlinks.registry.selectors import is_hub_admin

    form, scope = _scope(request)
    data = value_for_money(request.user, scope)
    if request.GET.get("format") == "csv":
        rows = [{k: v for k, v in r.items() if k not in ("comparison", "measures")} for r in data["partnerships"]]
        return _csv(rows, "value-for-money.csv")
    # the first VFM_CARDS partnerships by name are drawn (2,000 dots per chart help no one); all are in the CSV
    shown = sorted(data["partnerships"], key=lambda r: r["name"])[:VFM_CARDS]
    single = len(data["partnerships"]) == 1
    compared_with = ""
    if single:
        only = comparison_in_words(data["partnerships"][0])["comparison"]
        n = only["partnerships"]
        compared_with = ngettext(
            "Compared with %(n)d partnership whose main activity is %(a)s, %(g)s.",
            "Compared with %(n)d partnerships whose main activity is %(a)s, %(g)s.",
            n,
        ) % {"n": n, "a": only["main_activity"] or "—", "g": only["geography_class"]}
    return render(
        request,
        "web/analytics_vfm.html",
        {
            "form": form,
            "data": data,
            "pooled": data["pooled"],
            "price_basis": price_basis(data),
            "comparisons": vfm_comparisons(data, shown),
            "effectiveness": vfm_effectiveness(data),
            "benefits": vfm_benefits(request.user, [r["partnership_id"] for r in data["partnerships"]]),
            "comparators": [{**c, "kind": labels.label("comparator_kind", c["kind"])} for c in data["comparators"]],
            "compared_with": compared_with,
            "can_edit_comparators": is_hub_admin(request.user),
            "hidden": len(data["partnerships"]) - len(shown),
            "querystring": request.GET.urlencode(),
        },
    )


@require_safe
def typology_page(request: HttpRequest) -> HttpResponse:
    """The published typology of the partnerships in scope beside a grouping found in their records."""
    form, scope = _scope(request)
    data = typology_analysis(request.user, scope)
    if request.GET.get("format") == "csv":
        rows = [
            {"group": g["group"], "partnerships": g["partnerships"], **g["means"]} for g in data["grouping"]["groups"]
        ]
        return _csv(rows, "typology-groups.csv")
    distribution = distribution_in_words(data["distribution"])
    specs = {
        f"typology-{index}": charts.counts([{dimension: k, "n": v} for k, v in counts.items()], dimension, dimension)
        | {
            "encoding": {
                "y": {"field": dimension, "type": "nominal", "sort": "-x", "title": None},
                "x": {"field": "n", "type": "quantitative", "title": _("Partnerships")},
                "tooltip": [{"field": dimension}, {"field": "n"}],
            }
        }
        for index, (dimension, counts) in enumerate(distribution.items())
    }
    grouping = {**data["grouping"], "groups": groups_in_words(data["grouping"]["groups"])}
    return render(
        request,
        "web/analytics_typology.html",
        {
            "form": form,
            "data": {**data, "distribution": distribution, "grouping": grouping},
            "specs": specs,
            "querystring": request.GET.urlencode(),
        },
    )
