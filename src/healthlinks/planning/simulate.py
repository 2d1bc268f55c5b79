"""A plan's expected figures, each with its 90% interval, simulated from the sampling distribution of the fitted
models (analytics/planner.py): never a bare point.

For each of DRAWS draws: the practice-change and cascade models' coefficients are drawn from their estimated
distribution, and the trainees a stay reaches from a bootstrap resample of the partnerships; then the plan's
stays reach a Poisson number of trainees, of whom a binomial number change practice and a binomial number go on
to train others. Volunteer days and costs follow from the plan itself (no uncertainty: they are what is planned).

Assumptions (said on the page): a volunteer's first stay in the plan is a first visit and later ones are repeat
visits; a stay of at least the long-term bound is a long-term placement; trainees reached by a stay change
practice at the rate of those followed up after stays of its kind; the past years of the analysed partnerships
stand for the plan's years. All plans of one comparison use the same draws of the models, so that their
differences reflect the plans, not the simulation.

Enabling conditions: a line may state conditions it ensures or rules out (a named counterpart, protected time at
the host, leave and backfill at home, prior contact, a shared language: network.models.STAY_CONDITIONS); a
condition it does not state is as in past stays. Its stays' log-odds of practice change are moved by what the
conditions model says the stated conditions change against the conditions past stays of that kind had
(analytics.planner.condition_shift), with that model's uncertainty: a line that states nothing has exactly the
figures it had without conditions. The conditions model's coefficients are drawn from a stream of their own, so
they leave every other draw as it was. Each plan that states conditions is also set against itself with every
condition as in past stays (`condition_gain`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from healthlinks.analytics.planner import (
    CASCADE_TERMS,
    CONDITION_TERMS,
    CONDITIONS,
    L3_TERMS,
    activity_rates,
    coefficient_draws,
    condition_shift,
    interval,
    log_odds,
    mean_class_sizes,
    probabilities,
    trainees_reached,
)

DRAWS = 2000


@dataclass(frozen=True)
class Line:
    mode: str  # physical or virtual
    per_year: int
    days: int
    volunteers: int
    training_of_trainers: bool
    cost_per_stay: float
    day_rate: float
    # the enabling conditions the line ensures (True) or rules out (False), by name (CONDITIONS); a condition not
    # named is as in past stays
    conditions: tuple[tuple[str, bool], ...] = ()

    def stated(self) -> dict[str, bool]:
        return {name: bool(value) for name, value in self.conditions if name in CONDITIONS}


@dataclass(frozen=True)
class PlanInput:
    name: str
    years: int
    lines: tuple[Line, ...]
    budget: float | None = None


def _profiles(line: Line, years: int, long_term_days: int) -> list[tuple[int, str, np.ndarray, np.ndarray]]:
    """(stays, reach kind, practice-change predictors, cascade predictors) of each kind of stay in a line."""
    total = line.per_year * years
    tot = 1.0 if line.training_of_trainers else 0.0
    if line.mode == "virtual":
        return [(total, "virtual", np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.0, 1.0, tot]))]
    long_term = 1.0 if line.days >= long_term_days else 0.0
    kind = "long_term" if long_term else "short"
    first = min(line.volunteers, total)
    out = [(first, kind, np.array([0.0, long_term, 0.0]), np.array([0.0, long_term, 0.0, tot]))]
    if total > first:
        out.append((total - first, kind, np.array([1.0, long_term, 0.0]), np.array([1.0, long_term, 0.0, tot])))
    return out


def simulate(evidence: dict[str, Any], plans: list[PlanInput], *, seed: int = 0, draws: int = DRAWS) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    l3 = coefficient_draws(evidence["l3"], L3_TERMS, draws, rng)
    conditions_model = evidence.get("l3_conditions")  # absent from evidence cached before the conditions
    conditioned = (
        coefficient_draws(conditions_model, CONDITION_TERMS, draws, np.random.default_rng([seed, 26]))
        if conditions_model
        else np.zeros((draws, 1 + len(CONDITION_TERMS)))
    )
    cascade = coefficient_draws(evidence["cascade"], CASCADE_TERMS, draws, rng)
    rates = activity_rates(evidence["reach"], draws, rng)
    sizes = mean_class_sizes(evidence["reach"])
    results = []
    reference_rate: np.ndarray | None = None
    reference_changed: np.ndarray | None = None
    for plan in plans:
        reached = np.zeros(draws)
        changed = np.zeros(draws)
        trainers = np.zeros(draws)
        # the expected share of those reached who change practice (the models' uncertainty only, no chance in
        # who is reached): what tells plans apart
        expected_reach = np.zeros(draws)
        expected_changed = np.zeros(draws)
        expected_changed_past = np.zeros(draws)  # the same plan with every condition as in past stays
        states = any(line.stated() for line in plan.lines)
        volunteer_days = 0
        financial = 0.0
        economic = 0.0
        stays = 0
        for line in plan.lines:
            for count, kind, x3, xc in _profiles(line, plan.years, int(evidence["long_term_days"])):
                if count <= 0:
                    continue
                people = trainees_reached(evidence["reach"], kind, count, rates[kind], rng).astype(int)
                past = log_odds(l3, x3)[:, 0]
                shift = condition_shift(conditions_model, conditioned, x3, line.stated())
                p_change = 1.0 / (1.0 + np.exp(-(past + shift)))
                reached += people
                changed += rng.binomial(people, p_change)
                mean_reach = count * rates[kind] * sizes[kind]
                expected_reach += mean_reach
                expected_changed += mean_reach * p_change
                expected_changed_past += mean_reach / (1.0 + np.exp(-past))
                trainers += rng.binomial(people, probabilities(cascade, xc)[:, 0])
            total = line.per_year * plan.years
            stays += total
            volunteer_days += total * line.days
            financial += total * line.cost_per_stay
            economic += total * line.cost_per_stay + total * line.days * line.day_rate
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(reached > 0, changed / reached, np.nan)
            expected_rate = np.where(expected_reach > 0, expected_changed / expected_reach, np.nan)
            expected_rate_past = np.where(expected_reach > 0, expected_changed_past / expected_reach, np.nan)
            per_change = np.where(changed > 0, economic / changed, np.nan)
        figures: dict[str, Any] = {
            "name": plan.name,
            "years": plan.years,
            "stays": stays,
            "reached": interval(reached),
            "practice_change": interval(changed),
            "rate": interval(rate),
            "trainers": interval(trainers),
            "volunteer_days": volunteer_days,
            "financial_cost": financial,
            "economic_cost": economic,
            "cost_per_practice_change": interval(per_change) if economic > 0 else None,
            "budget": plan.budget,
            "over_budget": plan.budget is not None and financial > plan.budget,
            "expected_rate": interval(expected_rate),
        }
        if states:
            gain = expected_rate - expected_rate_past
            figures["condition_gain"] = interval(gain)
            low, high = np.nanpercentile(gain, [2.5, 97.5])
            figures["condition_gain_clear"] = bool(not (low <= 0.0 <= high))
        if reference_rate is None or reference_changed is None:
            reference_rate, reference_changed = expected_rate, changed
        else:
            figures["rate_difference"] = interval(expected_rate - reference_rate)
            figures["change_difference"] = interval(changed - reference_changed)
            # clear: the 95% interval of the difference in expected share excludes none
            low, high = np.nanpercentile(expected_rate - reference_rate, [2.5, 97.5])
            figures["clear_difference"] = bool(not (low <= 0.0 <= high))
        results.append(figures)
    return {
        "plans": results,
        "seed": seed,
        "draws": draws,
        "model": {
            key: {"n": evidence[key]["n"], "partnerships": evidence[key]["partnerships"]} for key in ("l3", "cascade")
        },
        "reach_partnerships": len(evidence["reach"]["partnerships"]),
        "modelled": bool(evidence["l3"]["terms"]),
        "conditions": _conditions_model(conditions_model),
    }


def _conditions_model(model: dict[str, Any] | None) -> dict[str, Any]:
    """What the page says of the conditions model: its observations, those left out for an unknown condition, and
    the conditions it could estimate (the others change nothing)."""
    if not model:
        return {"n": 0, "n_unknown": 0, "partnerships": 0, "estimated": [], "unestimated": list(CONDITIONS)}
    estimated = [name for name in CONDITIONS if name in model["terms"]]
    return {
        "n": model["n"],
        "n_unknown": model["n_unknown"],
        "partnerships": model["partnerships"],
        "estimated": estimated,
        "unestimated": [name for name in CONDITIONS if name not in estimated],
    }
