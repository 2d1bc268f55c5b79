"""Analyses as the pages, the API and the CLI ask for them: scoped to the user, cached per data version."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from healthlinks.analytics import mobility, network, store
from healthlinks.analytics.scope import Scope, partnership_ids
from healthlinks.registry.selectors import AnyUser

Progress = Callable[[str, int, int], None]


def _key(name: str, ids: list[int], scope: Scope) -> tuple[Any, ...]:
    digest = hashlib.blake2b(",".join(map(str, ids)).encode(), digest_size=16).hexdigest()
    return (name, digest, scope.year_from, scope.year_to)


def mobility_analysis(user: AnyUser, scope: Scope, progress: Progress | None = None) -> dict[str, Any]:
    """The mobility × knowledge-transfer analysis, with the enabling conditions' model under "conditions"."""
    ids = partnership_ids(user, scope)
    result = store.answer(
        _key("mobility", ids, scope),
        mobility.analyse,
        ids,
        scope.year_from,
        scope.year_to,
        tables=mobility.TABLES,
        progress=progress,
    )
    return {"scope": scope.describe(), **result}


def mobility_conditions_analysis(user: AnyUser, scope: Scope, progress: Progress | None = None) -> dict[str, Any]:
    """Practice change by the enabling conditions of the stays behind it (mobility.conditions_analyse), computed
    with the mobility analysis (one extract, one refresh)."""
    result = mobility_analysis(user, scope, progress)
    return {"scope": result["scope"], **result["conditions"]}


def network_evolution(
    user: AnyUser, scope: Scope, year: int | None = None, progress: Progress | None = None
) -> dict[str, Any]:
    """People never appear by name: brokers carry pseudonymous ids only for users who may see those people."""
    from healthlinks.network.models import Person
    from healthlinks.network.selectors import people_visible_to

    ids = partnership_ids(user, scope)
    key = (*_key("network", ids, scope), year)
    result = dict(
        store.answer(
            key, network.evolution, ids, scope.year_from, scope.year_to, year, tables=network.TABLES, progress=progress
        )
    )
    person_ids = [b["person_id"] for b in result["brokers"]]
    visible = dict(
        people_visible_to(user).filter(pk__in=person_ids).values_list("pk", "pseudo_id")
        if user.is_authenticated
        else Person.objects.none().values_list("pk", "pseudo_id")
    )
    result["brokers"] = [
        {**{k: v for k, v in b.items() if k != "person_id"}, "person": visible.get(b["person_id"])}
        for b in result["brokers"]
    ]
    return {"scope": scope.describe(), "partnerships": len(ids), **result}


def collective_impact(user: AnyUser, scope: Scope, progress: Progress | None = None) -> dict[str, Any]:
    from healthlinks.analytics import impact

    ids = partnership_ids(user, scope)
    result = store.answer(
        _key("impact", ids, scope),
        impact.collective,
        ids,
        scope.year_from,
        scope.year_to,
        tables=impact.TABLES,
        progress=progress,
    )
    return {"scope": scope.describe(), **result}


def value_for_money(user: AnyUser, scope: Scope, progress: Progress | None = None) -> dict[str, Any]:
    """Each partnership in scope beside its comparison group, drawn from every partnership the user may see."""
    from healthlinks.analytics import impact

    ids = partnership_ids(user, scope)
    everyone = partnership_ids(user, Scope(year_from=scope.year_from, year_to=scope.year_to))
    key = (*_key("vfm", ids, scope), _key("vfm-all", everyone, scope))
    result = store.answer(
        key, impact.vfm, ids, everyone, scope.year_from, scope.year_to, tables=impact.TABLES, progress=progress
    )
    # comparator programmes are a handful of rows read as they are now (not from the snapshot), converted alike
    from healthlinks.results.selectors import comparators

    return {"scope": scope.describe(), **result, "comparators": impact.compared(comparators())}


def typology_analysis(user: AnyUser, scope: Scope, progress: Progress | None = None) -> dict[str, Any]:
    from healthlinks.analytics import typology

    ids = partnership_ids(user, scope)
    result = store.answer(
        _key("typology", ids, scope), typology.typology, ids, tables=typology.TABLES, progress=progress
    )
    return {"scope": scope.describe(), **result}


def planner_evidence(user: AnyUser, scope: Scope, progress: Progress | None = None) -> dict[str, Any]:
    """What the strategy planner simulates from: the models fitted on every partnership in scope."""
    from healthlinks.analytics import planner

    ids = partnership_ids(user, scope)
    return dict(
        store.answer(
            _key("planner", ids, scope),
            planner.evidence,
            ids,
            scope.year_from,
            scope.year_to,
            tables=planner.TABLES,
            progress=progress,
        )
    )


def planner_backtest(
    user: AnyUser, scope: Scope, cutoff: int, seed: int = 0, progress: Progress | None = None
) -> dict[str, Any]:
    """The planner fitted on the years before `cutoff`, its predictions set against what happened after."""
    from healthlinks.analytics import planner

    ids = partnership_ids(user, scope)
    result = store.answer(
        (*_key("planner-backtest", ids, scope), cutoff, seed),
        planner.backtest,
        ids,
        cutoff,
        planner.DRAWS,
        seed,
        tables=planner.TABLES,
        progress=progress,
    )
    return {"scope": scope.describe(), **result}


def partnership_health(user: AnyUser, scope: Scope) -> dict[str, Any]:
    """Principles of Partnership health-check scores beside practice change, across the partnerships in scope (an
    association; analytics/health.py)."""
    from healthlinks.analytics import health
    from healthlinks.registry.models import Partnership

    ids = partnership_ids(user, scope)
    result = health.health_and_outcomes(ids, scope.year_from, scope.year_to)
    names = dict(
        Partnership.objects.filter(pk__in=[p["partnership_id"] for p in result["points"]]).values_list("pk", "name")
    )
    points = [{**p, "name": names.get(p["partnership_id"], "")} for p in result["points"]]
    return {"scope": scope.describe(), **result, "points": points}
