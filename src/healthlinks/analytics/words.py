"""Estimates said in words beside their numbers, for pages, the PDF report, the CSV downloads and the API alike.

Every estimate is said with its 95% interval and its n, in the reader's language, e.g. "After a repeat visit,
trainees were 2.4 times as likely to have changed practice at follow-up as after a single first physical stay
(95% interval 2.1 to 2.8 times; 3,961 trainees in 60 partnerships, 1,020 of them after a repeat visit)".

Binary outcomes are modelled on the log-odds scale. Odds ratios read badly ("2.9 times the odds") and overstate
the effect when the outcome is common (practice change is), so an effect is said as a risk ratio: the odds ratio
and its interval ends converted at the model's baseline rate p0 (the rate after a single first physical stay):
RR = OR / (1 - p0 + p0 x OR) (Zhang and Yu, JAMA 1998). The odds ratio itself stays in the tables, the CSV and the
API. Learning gains are said as a difference in normalised gain, with what that gain means.

The sentences are made when a page, a report or an answer is made (never stored with the cached result), so
they are in the reader's language. The small-numbers rule (stats.enough) decides what is said at all.
"""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from healthlinks import labels
from healthlinks.analytics import stats

# a model over fewer partnerships than this is not shown: it cannot tell the kinds of stay from what is particular
# to these partnerships, and its intervals (Student's t with partnerships - 1 degrees of freedom) are too wide
MIN_MODEL_PARTNERSHIPS = 5

# the glossary: each technical term where it appears, in words (translatable)
GLOSSARY = {
    "interval": gettext_lazy(
        # xgettext:no-python-format
        "95% interval: the range of values the data are compatible with; a range this wide would hold the true "
        "value 95 times in 100."
    ),
    "n": gettext_lazy("n: how many observations (trainees, knowledge items) an estimate rests on."),
    "too_few": stats.RULE,
    "normalised_gain": gettext_lazy(
        "Normalised gain: what a trainee gained between the tests as a share of what they had left to learn "
        "((after - before) / (maximum - before)); 0.5 means half of the way to full marks."
    ),
    "risk_ratio": gettext_lazy(
        "Times as likely (risk ratio): how much more often the outcome followed this kind of stay than a single "
        "first physical stay; 1 means no difference. Converted from the model's odds ratio at the baseline rate."
    ),
    "odds_ratio": gettext_lazy(
        "Odds ratio: the odds (chances for against chances against) with this kind of stay divided by the odds "
        "after a single first physical stay; the tables keep it, the sentences say the risk ratio."
    ),
    "log_odds": gettext_lazy(
        "Log-odds: the scale on which a logistic model adds effects up; the sentences turn it into a risk ratio."
    ),
    "gee": gettext_lazy(
        "GEE (generalised estimating equations): a way to fit the model that keeps trainees of the same "
        "partnership from counting as if they were independent, so the intervals are not too narrow."
    ),
    "reml": gettext_lazy(
        "REML (restricted maximum likelihood): how the mixed model estimates how much partnerships differ from "
        "one another; the differences between partnerships are allowed for in every interval."
    ),
    "mixed_model": gettext_lazy(
        "Mixed model: a model that lets each partnership have its own starting level, so that one large "
        "partnership does not decide the result."
    ),
    "association": gettext_lazy(
        "Association, not cause: volunteers and stays are not assigned at random, so a difference may come from "
        "something else that goes with the kind of stay."
    ),
}

OUTCOME_WORDS = {
    # (who, what they did, measured on)
    "l3": (gettext_lazy("trainees"), gettext_lazy("to have changed practice at follow-up")),
    "cascade": (gettext_lazy("trainees"), gettext_lazy("to have trained others")),
    "knowledge": (gettext_lazy("knowledge items"), gettext_lazy("to have become effective in practice")),
    "l2": (gettext_lazy("trainees"), gettext_lazy("normalised gain")),
}
SHARE_WORDS = {
    "l3": gettext_lazy("changed practice at follow-up"),
    "cascade": gettext_lazy("trained others"),
    "knowledge": gettext_lazy("became effective in practice"),
}
TERM_WORDS = {
    "repeat_visit": gettext_lazy("After a repeat visit (2nd or later physical stay)"),
    "long_term": gettext_lazy("After a long-term placement"),
    "virtual_only": gettext_lazy("After virtual engagement only"),
    "training_of_trainers": gettext_lazy("After training of trainers"),
}
TERM_LABELS = {
    "repeat_visit": gettext_lazy("Repeat visit (2nd or later physical stay)"),
    "long_term": gettext_lazy("Long-term placement"),
    "virtual_only": gettext_lazy("Virtual only"),
    "training_of_trainers": gettext_lazy("Training of trainers"),
    "Intercept": gettext_lazy("Baseline (single first physical stay)"),
}


def number(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def count(n: int) -> str:
    return f"{n:,}"


def expit(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def risk_ratio(odds_ratio: float, baseline: float) -> float:
    """The risk ratio that an odds ratio means at the baseline rate p0 (Zhang and Yu 1998)."""
    return odds_ratio / (1 - baseline + baseline * odds_ratio)


def share(row: dict[str, Any], outcome: str = "") -> str:
    """One group's share in words: "24% (18% to 31%; 12 of 49)", or why it is not estimated."""
    if row.get("estimate") is None:
        return str(row.get("note") or stats.too_few(int(row.get("n") or 0), row.get("events")))
    what = SHARE_WORDS.get(outcome)
    events, n = int(row.get("events") or 0), int(row["n"])
    if what:
        # xgettext:no-python-format
        return _("{share} {what} (95% interval {low} to {high}; {events} of {n})").format(
            share=percent(row["estimate"]),
            what=what,
            low=percent(row["low"]),
            high=percent(row["high"]),
            events=count(events),
            n=count(n),
        )
    # xgettext:no-python-format
    return _("{share} (95% interval {low} to {high}; {events} of {n})").format(
        share=percent(row["estimate"]),
        low=percent(row["low"]),
        high=percent(row["high"]),
        events=count(events),
        n=count(n),
    )


def mean(row: dict[str, Any]) -> str:
    """One group's mean normalised gain in words, or why it is not estimated."""
    if row.get("estimate") is None:
        return str(row.get("note") or stats.too_few(int(row.get("n") or 0)))
    # xgettext:no-python-format
    return _("mean normalised gain {mean} (95% interval {low} to {high}; n = {n})").format(
        mean=number(row["estimate"], 2), low=number(row["low"], 2), high=number(row["high"], 2), n=count(int(row["n"]))
    )


def group(row: dict[str, Any], outcome: str, kind: str) -> str:
    return share(row, outcome) if kind == "binary" else mean(row)


def model_withheld(model: dict[str, Any]) -> str:
    """Why no model is shown (the analysis's own note, or too few partnerships), or "" when it is shown."""
    if not model.get("effects"):
        return str(model.get("note") or _("No model: too few observations."))
    partnerships = int(model.get("partnerships") or 0)
    if partnerships < MIN_MODEL_PARTNERSHIPS:
        return ngettext(
            "No model is shown: the observations come from {n} partnership, and a model needs at least {least} "
            "to tell the kinds of stay apart from what is particular to that partnership. The shares by group "
            "below describe it, without a claim about what the kinds of stay did.",
            "No model is shown: the observations come from {n} partnerships, and a model needs at least {least} "
            "to tell the kinds of stay apart from what is particular to these partnerships. The shares by group "
            "below describe them, without a claim about what the kinds of stay did.",
            partnerships,
        ).format(n=partnerships, least=MIN_MODEL_PARTNERSHIPS)
    return ""


def effect(e: dict[str, Any], model: dict[str, Any], outcome: str, kind: str) -> str:
    """One model effect in words, with its interval and n."""
    who, what = OUTCOME_WORDS.get(outcome, (gettext_lazy("observations"), ""))
    n, partnerships = int(model.get("n") or 0), int(model.get("partnerships") or 0)
    term = e["term"]
    if kind == "binary":
        baseline_row = next((x for x in model["effects"] if x["term"] == "Intercept"), None)
        p0 = expit(baseline_row["estimate"]) if baseline_row else 0.5
        if term == "Intercept":
            return _(
                # xgettext:no-python-format
                "After a single first physical stay, {share} of {who} {what} (95% interval {low} to {high}; "
                "{n} {who} in {k} partnerships)."
            ).format(
                share=percent(p0),
                who=who,
                what=SHARE_WORDS.get(outcome, what),
                low=percent(expit(e["low"])),
                high=percent(expit(e["high"])),
                n=count(n),
                k=count(partnerships),
            )
        rr, low, high = (risk_ratio(math.exp(e[x]), p0) for x in ("estimate", "low", "high"))
        sentence = _(
            # xgettext:no-python-format
            "{subject}, {who} were {rr} times as likely {what} as after a single first physical stay "
            "(95% interval {low} to {high} times; {n} {who} in {k} partnerships, {with_} of them with it)."
        ).format(
            subject=TERM_WORDS.get(term, term),
            who=who,
            rr=number(rr, 2 if rr < 0.95 else 1),
            what=what,
            low=number(low, 2 if low < 0.95 else 1),
            high=number(high, 2 if high < 0.95 else 1),
            n=count(n),
            k=count(partnerships),
            with_=count(int(e.get("n_with") or 0)),
        )
    else:
        if term == "Intercept":
            return _(
                # xgettext:no-python-format
                "After a single first physical stay, {who} gained {share} of what they had left to learn (mean "
                "normalised gain {value}, 95% interval {low} to {high}; {n} {who} in {k} partnerships)."
            ).format(
                who=who,
                share=percent(e["estimate"]),
                value=number(e["estimate"], 2),
                low=number(e["low"], 2),
                high=number(e["high"], 2),
                n=count(n),
                k=count(partnerships),
            )
        sentence = _(
            # xgettext:no-python-format
            "{subject}, {who}' normalised gain was {diff} {direction} than after a single first physical stay "
            "(95% interval {low} to {high}; {n} {who} in {k} partnerships, {with_} of them with it)."
        ).format(
            subject=TERM_WORDS.get(term, term),
            who=who,
            diff=number(abs(e["estimate"]), 2),
            direction=_("higher") if e["estimate"] >= 0 else _("lower"),
            low=f"{e['low']:+.2f}",
            high=f"{e['high']:+.2f}",
            n=count(n),
            k=count(partnerships),
            with_=count(int(e.get("n_with") or 0)),
        )
    null = 1.0 if kind == "binary" else 0.0
    low_value = math.exp(e["low"]) if kind == "binary" else e["low"]
    high_value = math.exp(e["high"]) if kind == "binary" else e["high"]
    if low_value <= null <= high_value:
        sentence += " " + _("The interval includes no difference: the data cannot say which way it goes.")
    return sentence


def effects(model: dict[str, Any], outcome: str, kind: str) -> list[dict[str, Any]]:
    """The model's effects, each with its label and its sentence (and, for binary outcomes, its risk ratio)."""
    out = []
    baseline_row = next((x for x in model.get("effects", []) if x["term"] == "Intercept"), None)
    p0 = expit(baseline_row["estimate"]) if (baseline_row and kind == "binary") else None
    for e in model.get("effects", []):
        row = {
            **e,
            "label": str(TERM_LABELS.get(e["term"], e.get("label", e["term"]))),
            "words": effect(e, model, outcome, kind),
        }
        if p0 is not None and e["term"] != "Intercept":
            row.update(
                {
                    f"rr{s}": risk_ratio(math.exp(e[x]), p0)
                    for s, x in (("", "estimate"), ("_low", "low"), ("_high", "high"))
                }
            )
        out.append(row)
    return out


def method(model: dict[str, Any]) -> str:
    """The model's method in plain words (the analysis records it in English, for the log and the API)."""
    text = str(model.get("method", ""))
    if "GEE" in text:
        return _("Logistic model fitted by GEE; its intervals allow for trainees of one partnership being alike.")
    if "cluster sandwich" in text:
        return _("Logistic model; its intervals allow for trainees of one partnership being alike.")
    if "REML" in text:
        return _("Mixed model with a starting level for each partnership (fitted by REML).")
    return text


def mobility(data: dict[str, Any]) -> dict[str, Any]:
    """The mobility analysis with every estimate in words (a copy: the cached result is left as it is)."""
    outcomes = {}
    for key, outcome in data["outcomes"].items():
        kind = outcome["kind"]
        model = outcome["model"]
        withheld = model_withheld(model)
        breakdowns = {
            dim: [{**row, "note": str(row.get("note") or ""), "words": group(row, key, kind)} for row in rows]
            for dim, rows in outcome["breakdowns"].items()
        }
        outcomes[key] = {
            **outcome,
            "title": str(outcome["title"]),
            "breakdowns": breakdowns,
            "model": {
                **model,
                "note": str(model.get("note") or ""),
                "shown": not withheld,
                "withheld": withheld,
                "method_words": method(model),
                # the numbers stay (the API and the CSV keep them); pages and reports show them only when `shown`
                "effects": effects(model, key, kind),
            },
        }
    return {**data, "outcomes": outcomes, "small_numbers": str(stats.RULE)}


DIMENSION_LABELS = {
    "continuum": gettext_lazy("Continuum class of the longest stay"),
    "repeat": gettext_lazy("Repeat visits (highest repeat index)"),
    "mode": gettext_lazy("Physical, virtual or blended"),
    "volunteer_days": gettext_lazy("Volunteer's cumulative days in the partnership"),
    "volunteer_cadre": gettext_lazy("Cadre of the volunteer (ISCO-08)"),
    "trainee_cadre": gettext_lazy("Cadre of the trainee (ISCO-08)"),
}


GROUP_KINDS = {"continuum": "continuum_class", "mode": "mode", "volunteer_cadre": "cadre", "trainee_cadre": "cadre"}
# the analysis's own bands, in words
BANDS = {
    "repeat": {
        "1": gettext_lazy("First stay"),
        "2": gettext_lazy("Second stay"),
        "3+": gettext_lazy("Third stay or later"),
        "none": gettext_lazy("No physical stay"),
    },
    "volunteer_days": {
        "0": gettext_lazy("No physical days"),
        "1-29": gettext_lazy("1 to 29 days"),
        "30-89": gettext_lazy("30 to 89 days"),
        "90-364": gettext_lazy("90 to 364 days"),
        "365+": gettext_lazy("A year or more"),
    },
}


def group_labeller(dimension: str, codes: set[Any]) -> Any:
    """A function from a breakdown's group (a stored code or one of the analysis's bands) to its words."""
    if dimension in GROUP_KINDS:
        return labels.labeller(GROUP_KINDS[dimension], codes)
    bands = BANDS.get(dimension, {})
    return lambda code: str(bands.get(str(code), code))


MOBILITY_COLUMNS = [
    *("outcome", "outcome_label", "dimension", "dimension_label", "group", "group_label", "n", "events"),
    *("estimate", "low", "high", "odds_ratio", "or_low", "or_high", "rr", "rr_low", "rr_high", "words", "note"),
]


def mobility_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The mobility analysis (in words: `words.mobility`) as one table: every group of every breakdown, then every
    model effect, each with its words; codes in their own columns beside their labels. The page's CSV and the API's
    `?format=csv` are this table."""
    columns = MOBILITY_COLUMNS
    rows: list[dict[str, Any]] = []
    for key, outcome in data["outcomes"].items():
        for dim, table in outcome["breakdowns"].items():
            label = group_labeller(dim, {r["group"] for r in table})
            for r in table:
                rows.append(
                    {
                        "outcome": key,
                        "outcome_label": outcome["title"],
                        "dimension": dim,
                        "dimension_label": str(DIMENSION_LABELS[dim]),
                        "group": r["group"],
                        "group_label": label(r["group"]),
                        **{k: r.get(k) for k in ("n", "events", "estimate", "low", "high", "words", "note")},
                    }
                )
        model = outcome["model"]
        for e in model["effects"]:
            rows.append(
                {
                    "outcome": key,
                    "outcome_label": outcome["title"],
                    "dimension": "model",
                    "dimension_label": str(_("Model")),
                    "group": e["term"],
                    "group_label": e["label"],
                    "n": e["n_with"],
                    **{k: e.get(k) for k in columns[8:17]},
                    "words": e["words"],
                    "note": model["withheld"] or model["note"],
                }
            )
    return [{c: row.get(c) for c in columns} for row in rows]


def health(data: dict[str, Any]) -> dict[str, Any]:
    """The health-check analysis with its association in words (always said as an association)."""
    found = data.get("association")
    if found is None:
        sentence = _(
            "Not enough partnerships to compare: {n} have both a health check and a share of practice change that "
            "passes the small-numbers rule; at least {least} are needed."
        ).format(n=len(data["points"]), least=data["min_partnerships"])
    else:
        strength = abs(found["r"])
        size = _("weak") if strength < 0.3 else _("moderate") if strength < 0.5 else _("strong")
        direction = _("higher") if found["r"] >= 0 else _("lower")
        sentence = _(
            # xgettext:no-python-format
            "Partnerships with a higher health-check score had {direction} shares of trainees who changed practice: "
            "a {size} association (correlation {r}, 95% interval {low} to {high}; {n} partnerships), about {slope} "
            "percentage points for each point of score. This is an association across partnerships, not an effect "
            "of partnership health."
        ).format(
            direction=direction,
            size=size,
            r=number(found["r"], 2),
            low=number(found["r_low"], 2),
            high=number(found["r_high"], 2),
            n=count(found["n"]),
            slope=f"{100 * found['slope']:+.1f}",
        )
        if found["r_low"] <= 0 <= found["r_high"]:
            sentence += " " + _("The interval includes no association.")
    return {**data, "words": sentence}
