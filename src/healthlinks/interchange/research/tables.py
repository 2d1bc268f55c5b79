"""The tables of the research export: each column with its data-dictionary entry, and the bulk query building it.

Rules (docs/research-export.md):
- People are identified only by their pseudonymous id (``HL-…``). No name, email, phone, external id, note or
  other free text about a person is ever selected: the builders below name every column they read.
- Only people who consented to research use (and are not soft-deleted) appear. A row about a person who did not
  consent (a stay, a tie, a training attendance, a test score, an outcome, a cascade report, a facilitation) is
  dropped, not blanked, so that every ``person_id`` of every table joins ``people.person_id``. Rows about no named
  person (counted trainees, facility indicators, costs) are kept.
- Each table is one or a few SQL queries (built by the ORM, read with a plain cursor straight into Arrow columns,
  derived columns computed on whole columns): no per-object loops. The results framework alone calls the
  indicator library once per computed indicator period, as the results page does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db.models import CharField, FloatField, Model, QuerySet
from django.db.models.functions import Cast
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from healthlinks import arrow
from healthlinks.activities import models as act
from healthlinks.network import models as net
from healthlinks.reference import models as ref
from healthlinks.registry import models as reg
from healthlinks.results import models as res

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
}


@dataclass(frozen=True)
class Column:
    """One column and its data-dictionary entry. ``codes`` is the code list (``code=label; …``), a pointer to the
    table holding it, or a callable building it from the reference tables at export time. ``meaning``, ``unit`` and
    a text ``codes`` are translatable (lazy): ``str()`` them where they are written to a file."""

    name: str
    type: str
    meaning: StrOrPromise
    unit: StrOrPromise = ""
    codes: StrOrPromise | Callable[[], str] = ""
    nullable: bool = True

    def code_list(self) -> str:
        return self.codes() if callable(self.codes) else str(self.codes)


@dataclass
class Scope:
    """What one export covers: the partnerships, and the people in them who consented to research use."""

    partnerships: QuerySet[reg.Partnership]
    person_pks: pa.Array = field(default_factory=lambda: pa.array([], pa.int64()))  # consenting people in scope
    periods: list[dict[str, Any]] | None = None  # indicator periods with their actuals, built once
    cells: pa.Table | None = None  # country (of the home institution), cadre, sex of every exported person

    @property
    def partnership_pks(self) -> QuerySet[reg.Partnership, Any]:
        return self.partnerships.values("pk")

    def activities(self) -> QuerySet[act.Activity]:
        return act.Activity.objects.filter(partnership_id__in=self.partnership_pks)

    def activity_pks(self) -> QuerySet[act.Activity, Any]:
        return self.activities().values("pk")


# A table's columns: Arrow arrays (from queries) or Python lists (small tables), by column name.
Columns = dict[str, Any]
Builder = Callable[[Scope], Columns]


@dataclass(frozen=True)
class Table:
    """A table: what one row is, its columns, and how it is built (``build`` from the scope, or ``derive`` from
    the scope and the tables already built, for the institutions and countries the other tables refer to)."""

    name: str
    meaning: StrOrPromise
    columns: tuple[Column, ...]
    build: Builder | None = None
    key: tuple[str, ...] = ()  # columns that identify a row
    derive: Callable[[Scope, dict[str, pa.Table]], Columns] | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


# Code lists ---------------------------------------------------------------------------------------------------


def choices(enum: Any) -> str:
    """``code=Label; …`` of a Django choices class, labels in English whatever the active language."""
    with translation.override("en"):
        return "; ".join(f"{value}={label}" for value, label in enum.choices if value != "")


def _table_codes(model: type[Model], key: str, label: str) -> Callable[[], str]:
    def build() -> str:
        rows = model._default_manager.order_by(key).values_list(key, label)
        return "; ".join(f"{k}={v}" for k, v in rows)

    return build


def choices_of_library() -> str:
    from healthlinks.results.library import LIBRARY

    return "; ".join(f"{code}={item.name}" for code, item in LIBRARY.items())


COUNTRY = _("ISO 3166-1 alpha-3 code; see the countries table")
CADRE = _("ISCO-08 unit group; see the cadres table")
PERSON = _("pseudonymous id (HL- and 10 characters); joins people.person_id")
YES_NO = _("true/false")


# Arrow --------------------------------------------------------------------------------------------------------


def _first(values: Sequence[Any]) -> Any:
    return next((v for v in values if v is not None), None)


def to_arrow(values: Any, kind: str) -> pa.Array:
    """An Arrow array of the dictionary type ``kind`` from raw database values (SQLite: dates as text, booleans
    as 0/1; PostgreSQL: dates, booleans, decimals) or Python objects. Empty strings become nulls: a CSV cannot
    tell them apart."""
    target = ARROW_TYPES[kind]
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        if values.null_count == len(values):  # a reader guesses the type of an all-null column (int64, null)
            array = pa.nulls(len(values), target)
        else:
            array = values if values.type == target else values.cast(target)
    else:
        first = _first(values)
        if kind == "date" and isinstance(first, str):
            array = pa.array(values, pa.string()).cast(target)
        elif kind == "float64" and first is not None and not isinstance(first, (int, float)):
            array = pa.array(values).cast(target)  # Decimal (PostgreSQL) or numeric text
        elif kind == "bool":
            array = pa.array(values).cast(target)  # 0/1 (SQLite) or booleans
        else:
            array = pa.array(values, target)
    if kind == "string":
        array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
    return array


def arrow_table(table: Table, columns: Columns) -> pa.Table:
    """The table with the dictionary's types, in the dictionary's column order."""
    arrays = [to_arrow(columns[c.name], c.type) for c in table.columns]
    schema = pa.schema([pa.field(c.name, ARROW_TYPES[c.type], nullable=c.nullable) for c in table.columns])
    return pa.Table.from_arrays(arrays, schema=schema)


# While build_all runs: a direct Arrow reader of the database (the analytics engine's ADBC connection) when one can
# read what Django has committed (not inside a transaction, not an in-memory database); else None.
_READER: ContextVar[Any | None] = ContextVar("research_export_reader", default=None)


def query(qs: QuerySet[Any], spec: Sequence[tuple[str, str]], order: Sequence[str] = ()) -> list[pa.Array]:
    """``qs.values_list`` of the lookups in ``spec`` ((lookup, type) pairs): the SQL the ORM writes, read straight
    into Arrow by the ADBC reader when there is one, else with a plain cursor (no per-value converters); one Arrow
    array per lookup. Dates are selected as ISO text and decimals as floating point (portable, and SQLite would
    otherwise convert each value in Python)."""
    fields: list[str] = []
    casts: dict[str, Cast] = {}
    for i, (lookup, kind) in enumerate(spec):
        if kind in ("date", "float64"):
            casts[f"rx_{i}"] = Cast(lookup, output_field=CharField() if kind == "date" else FloatField())
            fields.append(f"rx_{i}")
        else:
            fields.append(lookup)
    values = qs.annotate(**casts).order_by(*order).values_list(*fields)
    reader = _READER.get()
    if reader is not None:
        try:
            table = arrow.read_queryset(values, reader)
            return [to_arrow(table.column(i), kind) for i, (_lookup, kind) in enumerate(spec)]
        except Exception as exc:  # e.g. a column type the driver could not infer from the first rows
            logger.info("research export: ADBC could not read %s (%s); reading with Django's cursor", spec, exc)
    table = arrow.read_queryset(values)
    return [to_arrow(table.column(i), kind) for i, (_lookup, kind) in enumerate(spec)]


def named(names: Sequence[str], arrays: Sequence[pa.Array]) -> Columns:
    return dict(zip(names, arrays, strict=True))


def consenting(prefix: str = "person") -> dict[str, Any]:
    """Filter of rows whose person consented to research use and is not soft-deleted."""
    return {f"{prefix}__research_consent": True, f"{prefix}__deleted_at__isnull": True}


def collect_people(scope: Scope) -> None:
    """The consenting people linked to the partnerships in scope (a role, a stay, or a record of one of their
    activities): ``scope.person_pks``. Every person-level table below filters its rows the same way, so each of
    their people is one of these."""
    p = scope.partnership_pks
    activities = scope.activity_pks()
    sources: list[QuerySet[Any]] = [
        net.PersonRole.objects.filter(partnership_id__in=p, **consenting()),
        net.Stay.objects.filter(partnership_id__in=p, **consenting()),
        act.Trainee.objects.filter(activity_id__in=activities, **consenting()),
        act.Assessment.objects.filter(activity_id__in=activities, **consenting()),
        act.Outcome.objects.filter(activity_id__in=activities, **consenting()),
        act.CascadeReport.objects.filter(source_activity_id__in=activities, **consenting()),
        act.Activity.facilitators.through.objects.filter(activity_id__in=activities, **consenting()),
    ]
    ids = [query(qs.distinct(), [("person_id", "int64")])[0] for qs in sources]
    scope.person_pks = pc.unique(pa.concat_arrays(ids)).drop_null()


# Builders -----------------------------------------------------------------------------------------------------

PARTNERSHIP_CODED = ["capacity_focus", "intervention", "skills", "delivery", "visiting_groups", "host_entities"]
PARTNERSHIP_CODED += ["frequency"]


def build_partnerships(scope: Scope) -> Columns:
    spec = [("pk", "int64"), ("slug", "string"), ("name", "string"), ("publication", "string")]
    spec += [("start_date", "date"), ("end_date", "date"), ("geography_class", "string")]
    spec += [(name, "string") for name in PARTNERSHIP_CODED] + [("is_synthetic", "bool")]
    names = ["partnership_id", *[lookup for lookup, _k in spec[1:]]]
    return named(names, query(scope.partnerships, spec, ["pk"]))


def build_partnership_members(scope: Scope) -> Columns:
    spec = [("partnership_id", "int64"), ("institution_id", "int64"), ("role", "string")]
    spec += [("joined", "date"), ("left", "date")]
    qs = reg.PartnershipMember.objects.filter(partnership_id__in=scope.partnership_pks)
    return named([s[0] for s in spec], query(qs, spec, ["partnership_id", "institution_id"]))


def build_partnership_tags(scope: Scope) -> Columns:
    p = scope.partnership_pks
    rows: list[tuple[Any, ...]] = []
    for dimension, through, code, label in (
        ("specialty", reg.Partnership.specialties.through, "specialty_id", "specialty__name"),
        ("delivery_method", reg.Partnership.delivery_methods.through, "deliverymethod_id", "deliverymethod__name"),
        ("funding_scheme", reg.Partnership.funding_schemes.through, "fundingscheme__slug", "fundingscheme__name"),
    ):
        for pk, c, n in (
            through.objects.filter(partnership_id__in=p).order_by().values_list("partnership_id", code, label)
        ):
            rows.append((pk, dimension, c, n))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    names = ["partnership_id", "dimension", "code", "label"]
    return {name: [r[i] for r in rows] for i, name in enumerate(names)}


def build_people(scope: Scope) -> Columns:
    spec = [("pk", "int64"), ("pseudo_id", "string"), ("cadre_id", "string"), ("sex", "string")]
    spec += [("home_institution_id", "int64"), ("home_institution__country_id", "string"), ("grade", "string")]
    spec += [("is_synthetic", "bool")]
    qs = net.Person.objects.filter(research_consent=True, deleted_at__isnull=True)
    pk, pseudo, cadre, sex, home, country, grade, synthetic = query(qs, spec, ["pseudo_id"])
    keep = pc.is_in(pk, value_set=scope.person_pks)
    people = pa.table([pseudo, cadre, sex, home, country, grade, synthetic], names=[s[0] for s in spec[1:]])
    people = people.filter(keep)
    scope.cells = people.select(["home_institution__country_id", "cadre_id", "sex"])
    return {
        "person_id": people["pseudo_id"],
        "cadre": people["cadre_id"],
        "sex": people["sex"],
        "home_institution_id": people["home_institution_id"],
        "grade": people["grade"],
        "is_synthetic": people["is_synthetic"],
    }


def build_person_roles(scope: Scope) -> Columns:
    spec = [("person__pseudo_id", "string"), ("partnership_id", "int64"), ("role", "string")]
    qs = net.PersonRole.objects.filter(partnership_id__in=scope.partnership_pks, **consenting())
    return named(["person_id", "partnership_id", "role"], query(qs, spec, ["person__pseudo_id", "partnership_id"]))


PURPOSES = [str(p) for p in net.Purpose.values]
CONTINUUM = np.array([str(c) for c in net.ContinuumClass.values], dtype=object)


def continuum_classes(days: pa.Array) -> pa.Array:
    """The continuum class of each duration, from the configured bounds (as ``network.continuum_class_of``)."""
    index = np.searchsorted(np.array(net.continuum_bounds()), days.to_numpy(zero_copy_only=False), side="right")
    return pa.array(CONTINUUM[index], pa.string())


def purpose_flags(purposes: pa.Array) -> dict[str, pa.Array]:
    """One true/false column per purpose, from the JSON list of purposes (matched on the quoted code)."""
    text = pc.fill_null(purposes, "[]")
    return {f"purpose_{p}": pc.match_substring(text, json.dumps(p)) for p in PURPOSES}


def _stays(scope: Scope) -> QuerySet[net.Stay]:
    return net.Stay.objects.filter(partnership_id__in=scope.partnership_pks, **consenting())


def build_stays(scope: Scope) -> Columns:
    spec = [
        ("pk", "int64"),
        ("person__pseudo_id", "string"),
        ("partnership_id", "int64"),
        ("sending_institution_id", "int64"),
        ("host_institution_id", "int64"),
        ("mode", "string"),
        ("start_date", "date"),
        ("end_date", "date"),
        ("duration_days", "int64"),
        ("virtual_hours", "float64"),
        ("funding", "string"),
        ("purposes", "string"),
        ("repeat_index", "int64"),
        ("days_since_previous", "int64"),
        ("circular", "bool"),
        ("safeguard_flag", "bool"),
        ("partnership__start_date", "date"),
        ("partnership__end_date", "date"),
        ("is_synthetic", "bool"),
    ]
    arrays = dict(zip([s[0] for s in spec], query(_stays(scope), spec, ["pk"]), strict=True))
    before = pc.less(arrays["start_date"], arrays["partnership__start_date"])
    after = pc.fill_null(pc.greater(arrays["end_date"], arrays["partnership__end_date"]), False)
    return {
        "stay_id": arrays["pk"],
        "person_id": arrays["person__pseudo_id"],
        **{name: arrays[name] for name in spec_names(spec[2:11])},
        "continuum_class": continuum_classes(arrays["duration_days"]),
        **purpose_flags(arrays["purposes"]),
        **{name: arrays[name] for name in ("repeat_index", "days_since_previous", "circular", "safeguard_flag")},
        "outside_partnership_dates": pc.or_(before, after),
        "is_synthetic": arrays["is_synthetic"],
    }


def spec_names(spec: Sequence[tuple[str, str]]) -> list[str]:
    return [lookup for lookup, _kind in spec]


def build_stay_sessions(scope: Scope) -> Columns:
    spec = [("stay_id", "int64"), ("date", "date"), ("hours", "float64")]
    qs = net.StaySession.objects.filter(stay__partnership_id__in=scope.partnership_pks, **consenting("stay__person"))
    return named(spec_names(spec), query(qs, spec, ["stay_id", "date"]))


def build_ties(scope: Scope) -> Columns:
    """Ties between two exported people; a tie has no partnership, so both ends must be in scope."""
    spec = [("person_a_id", "int64"), ("person_b_id", "int64"), ("person_a__pseudo_id", "string")]
    spec += [("person_b__pseudo_id", "string"), ("kind", "string"), ("start_date", "date"), ("end_date", "date")]
    qs = net.Tie.objects.filter(**consenting("person_a"), **consenting("person_b"))
    a, b, a_id, b_id, kind, start, end = query(qs, spec, ["person_a__pseudo_id", "person_b__pseudo_id", "kind"])
    ties = pa.table([a_id, b_id, kind, start, end], names=["person_a_id", "person_b_id", "kind", "start", "end"])
    ties = ties.filter(pc.and_(pc.is_in(a, value_set=scope.person_pks), pc.is_in(b, value_set=scope.person_pks)))
    directed = pc.is_in(ties["kind"], value_set=pa.array([str(k) for k in net.DIRECTED_TIES], pa.string()))
    return {
        "person_a_id": ties["person_a_id"],
        "person_b_id": ties["person_b_id"],
        "kind": ties["kind"],
        "directed": directed,
        "start_date": ties["start"],
        "end_date": ties["end"],
    }


def build_activities(scope: Scope) -> Columns:
    spec = [("pk", "int64"), ("partnership_id", "int64"), ("title", "string"), ("kind", "string")]
    spec += [("mode", "string"), ("start_date", "date"), ("end_date", "date"), ("venue_id", "int64")]
    spec += [("purpose_code_id", "string"), ("training_of_trainers", "bool"), ("hours", "float64")]
    spec += [("is_synthetic", "bool")]
    names = ["activity_id", *spec_names(spec[1:7]), "venue_institution_id", "purpose_code"]
    names += ["training_of_trainers", "hours", "is_synthetic"]
    return named(names, query(scope.activities(), spec, ["pk"]))


def build_activity_facilitators(scope: Scope) -> Columns:
    spec = [("activity_id", "int64"), ("person__pseudo_id", "string")]
    through = act.Activity.facilitators.through
    qs = through.objects.filter(activity_id__in=scope.activity_pks(), **consenting())
    return named(["activity_id", "person_id"], query(qs, spec, ["activity_id", "person__pseudo_id"]))


def build_activity_stays(scope: Scope) -> Columns:
    spec = [("activity_id", "int64"), ("stay_id", "int64")]
    through = act.Activity.stays.through
    # Joins, not two IN lists (SQLite would probe every activity × stay pair).
    qs = through.objects.filter(
        activity__partnership_id__in=scope.partnership_pks,
        stay__partnership_id__in=scope.partnership_pks,
        **consenting("stay__person"),
    )
    return named(spec_names(spec), query(qs, spec, ["activity_id", "stay_id"]))


def build_trainees(scope: Scope) -> Columns:
    spec = [("activity_id", "int64"), ("person__pseudo_id", "string"), ("facility_level", "string")]
    spec += [("completed", "bool")]
    qs = act.Trainee.objects.filter(activity_id__in=scope.activity_pks(), **consenting())
    names = ["activity_id", "person_id", "facility_level", "completed"]
    return named(names, query(qs, spec, ["activity_id", "person__pseudo_id"]))


def build_trainee_counts(scope: Scope) -> Columns:
    spec = [("activity_id", "int64"), ("cadre_id", "string"), ("sex", "string"), ("facility_level", "string")]
    spec += [("count", "int64")]
    qs = act.AggregateTrainees.objects.filter(activity_id__in=scope.activity_pks())
    names = ["activity_id", "cadre", "sex", "facility_level", "count"]
    return named(names, query(qs, spec, ["activity_id", "cadre_id", "sex", "facility_level"]))


def build_assessments(scope: Scope) -> Columns:
    spec = [("activity_id", "int64"), ("person__pseudo_id", "string"), ("pre_score", "float64")]
    spec += [("post_score", "float64"), ("max_score", "float64")]
    qs = act.Assessment.objects.filter(activity_id__in=scope.activity_pks(), **consenting())
    activity, person, pre, post, top = query(qs, spec, ["activity_id", "person__pseudo_id"])
    room = pc.subtract(top, pre)
    gain = pc.subtract(post, pre)
    normalised = pc.if_else(pc.greater(room, 0), pc.divide(gain, room), pa.scalar(None, pa.float64()))
    return {
        "activity_id": activity,
        "person_id": person,
        "pre_score": pre,
        "post_score": post,
        "max_score": top,
        "gain": gain,
        "normalised_gain": normalised,
    }


def build_outcomes(scope: Scope) -> Columns:
    """Outcomes of activities in scope: about a consenting person, or about no named person."""
    from django.db.models import Q

    spec = [("pk", "int64"), ("activity_id", "int64"), ("person__pseudo_id", "string"), ("level", "int64")]
    spec += [("dimension", "string"), ("rating", "int64"), ("practice_changed", "bool")]
    spec += [("follow_up_months", "int64"), ("indicator", "string"), ("value", "float64"), ("unit", "string")]
    spec += [("method", "string"), ("recorded_on", "date")]
    qs = act.Outcome.objects.filter(activity_id__in=scope.activity_pks()).filter(
        Q(person__isnull=True) | Q(**consenting())
    )
    names = ["outcome_id", "activity_id", "person_id", *spec_names(spec[3:])]
    return named(names, query(qs, spec, ["pk"]))


def build_cascades(scope: Scope) -> Columns:
    spec = [("person__pseudo_id", "string"), ("source_activity_id", "int64"), ("people_trained", "int64")]
    spec += [("reported_on", "date")]
    qs = act.CascadeReport.objects.filter(source_activity_id__in=scope.activity_pks(), **consenting())
    names = ["person_id", "activity_id", "people_trained", "reported_on"]
    return named(names, query(qs, spec, ["source_activity_id", "person__pseudo_id", "reported_on", "pk"]))


def build_knowledge_items(scope: Scope) -> Columns:
    spec = [("pk", "int64"), ("activity_id", "int64"), ("title", "string"), ("kind", "string")]
    spec += [("direction", "string"), ("stage", "int64"), ("sustained_at_follow_up", "bool")]
    spec += [("transferred_on", "date"), ("translated_on", "date"), ("effective_on", "date")]
    qs = act.KnowledgeItem.objects.filter(activity_id__in=scope.activity_pks())
    return named(["knowledge_item_id", *spec_names(spec[1:])], query(qs, spec, ["pk"]))


def build_results(scope: Scope) -> Columns:
    spec = [("pk", "int64"), ("partnership_id", "int64"), ("level", "int64"), ("title", "string")]
    qs = res.Result.objects.filter(partnership_id__in=scope.partnership_pks)
    return named(["result_id", *spec_names(spec[1:])], query(qs, spec, ["pk"]))


def build_indicators(scope: Scope) -> Columns:
    spec = [("pk", "int64"), ("result_id", "int64"), ("library_code", "string"), ("title", "string")]
    spec += [("measure", "int64"), ("unit", "string"), ("baseline", "float64"), ("baseline_year", "int64")]
    spec += [("disaggregate_by_sex_and_cadre", "bool")]
    qs = res.Indicator.objects.filter(result__partnership_id__in=scope.partnership_pks)
    names = ["indicator_id", *spec_names(spec[1:8]), "disaggregated"]
    return named(names, query(qs, spec, ["pk"]))


def _periods(scope: Scope) -> list[dict[str, Any]]:
    """Every indicator period in scope with its actual: computed for library indicators (over all records, as on
    the results page), typed otherwise. Built once for the two tables that use it."""
    if scope.periods is not None:
        return scope.periods
    from healthlinks.results.selectors import period_actual

    periods = (
        res.IndicatorPeriod.objects.filter(indicator__result__partnership_id__in=scope.partnership_pks)
        .select_related("indicator__result__partnership")
        .prefetch_related("disaggregations")
        .order_by("pk")
    )
    scope.periods = [period_actual(period.indicator.result.partnership, period) for period in periods]
    return scope.periods


def build_indicator_periods(scope: Scope) -> Columns:
    rows = _periods(scope)
    return {
        "period_id": [r["period"].pk for r in rows],
        "indicator_id": [r["period"].indicator_id for r in rows],
        "start_date": [r["period"].start for r in rows],
        "end_date": [r["period"].end for r in rows],
        "target": [r["period"].target for r in rows],
        "actual": [r["actual"] for r in rows],
        "numerator": [r["numerator"] for r in rows],
        "denominator": [r["denominator"] for r in rows],
        "actual_computed": [r["computed"] for r in rows],
    }


def build_indicator_disaggregations(scope: Scope) -> Columns:
    rows = sorted(
        (
            (r["period"].pk, d["dimension"], d["category"], d["target"], d["actual"])
            for r in _periods(scope)
            for d in r["disaggregations"]
        ),
        key=lambda row: row[:3],
    )
    names = ["period_id", "dimension", "category", "target", "actual"]
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}


def build_costs(scope: Scope) -> Columns:
    spec = [("pk", "int64"), ("partnership_id", "int64"), ("activity_id", "int64"), ("category", "string")]
    spec += [("amount", "float64"), ("currency", "string"), ("spent_on", "date")]
    qs = res.CashCost.objects.filter(partnership_id__in=scope.partnership_pks)
    return named(["cost_id", *spec_names(spec[1:])], query(qs, spec, ["pk"]))


def build_in_kind(scope: Scope) -> Columns:
    spec = [("pk", "int64"), ("partnership_id", "int64"), ("kind", "string"), ("value", "float64")]
    spec += [("currency", "string"), ("received_on", "date")]
    qs = res.InKindContribution.objects.filter(partnership_id__in=scope.partnership_pks)
    return named(["in_kind_id", *spec_names(spec[1:])], query(qs, spec, ["pk"]))


def build_currency_rates(scope: Scope) -> Columns:
    spec = [("currency", "string"), ("year", "int64"), ("rate", "float64")]
    return named(spec_names(spec), query(res.CurrencyRate.objects.all(), spec, ["currency", "year"]))


def build_day_rates(scope: Scope) -> Columns:
    spec = [("grade", "string"), ("cadre_id", "string"), ("year", "int64"), ("currency", "string")]
    spec += [("day_rate", "float64"), ("method", "string")]
    names = ["grade", "cadre", "year", "currency", "day_rate", "method"]
    return named(names, query(res.DayRate.objects.all(), spec, ["grade", "cadre_id", "year", "pk"]))


INSTITUTION_REFERENCES = (
    ("partnership_members", "institution_id"),
    ("people", "home_institution_id"),
    ("stays", "sending_institution_id"),
    ("stays", "host_institution_id"),
    ("activities", "venue_institution_id"),
)


def build_institutions(scope: Scope, built: dict[str, pa.Table]) -> Columns:
    """Institutions referred to by the other tables (members, homes, sending and host, venues)."""
    chunks = [chunk for t, c in INSTITUTION_REFERENCES for chunk in built[t][c].chunks]
    wanted = pc.unique(pa.chunked_array(chunks, pa.int64()).combine_chunks()).drop_null()
    spec = [("pk", "int64"), ("name", "string"), ("country_id", "string"), ("kind", "string")]
    spec += [("org_type_id", "string"), ("city", "string"), ("latitude", "float64"), ("longitude", "float64")]
    spec += [("ror_id", "string"), ("iati_org_id", "string"), ("scope", "string"), ("is_synthetic", "bool")]
    names = ["institution_id", "name", "country", "kind", "iati_org_type", *spec_names(spec[5:])]
    table = pa.table(query(reg.Institution.objects.all(), spec, ["pk"]), names=names)
    return dict(zip(names, table.filter(pc.is_in(table["institution_id"], value_set=wanted)).columns, strict=True))


def build_countries(scope: Scope, built: dict[str, pa.Table]) -> Columns:
    spec = [("iso3", "string"), ("iso2", "string"), ("name", "string"), ("who_region", "string")]
    spec += [("income_group", "string"), ("income_fy", "string"), ("ssl2023", "bool"), ("uk_code_status", "string")]
    names = ["country", *spec_names(spec[1:])]
    table = pa.table(query(ref.Country.objects.all(), spec, ["iso3"]), names=names)
    wanted = pc.unique(built["institutions"]["country"].combine_chunks())
    return dict(zip(names, table.filter(pc.is_in(table["country"], value_set=wanted)).columns, strict=True))


def build_cadres(scope: Scope) -> Columns:
    spec = [("code", "string"), ("label", "string"), ("group", "string")]
    return named(["cadre", "label", "group"], query(ref.Occupation.objects.all(), spec, ["code"]))


def build_purpose_codes(scope: Scope) -> Columns:
    spec = [("code", "string"), ("name", "string"), ("category", "string")]
    return named(["purpose_code", "name", "category"], query(ref.PurposeCode.objects.all(), spec, ["code"]))


# The tables ---------------------------------------------------------------------------------------------------


def _format(message: StrOrPromise, **values: StrOrPromise) -> StrOrPromise:
    """``message % values`` (named placeholders), translated in the language active when it is shown or written."""

    def text() -> str:
        return str(message) % {key: str(value) for key, value in values.items()}

    return lazy(text, str)()


def _id(name: str, meaning: StrOrPromise) -> Column:
    return Column(name, "int64", meaning, nullable=False)


def _ref_id(name: str, table: str, what: StrOrPromise, nullable: bool = False) -> Column:
    return Column(name, "int64", _format(_("%(what)s; joins %(table)s"), what=what, table=table), nullable=nullable)


SYNTHETIC = Column(
    "is_synthetic", "bool", _("invented record of the demo world (never real data)"), codes=YES_NO, nullable=False
)

PARTNERSHIPS = Table(
    "partnerships",
    _("one partnership (institutions working together)"),
    (
        _id("partnership_id", _("Healthlinks id of the partnership (stable within this database)")),
        Column("slug", "string", _("short unique name used in Healthlinks addresses"), nullable=False),
        Column("name", "string", _("name of the partnership"), nullable=False),
        Column(
            "publication",
            "string",
            _("publication status in Healthlinks"),
            codes=choices(reg.Publication),
            nullable=False,
        ),
        Column("start_date", "date", _("date the partnership started"), unit=_("ISO 8601 date"), nullable=False),
        Column("end_date", "date", _("date the partnership ended (empty: ongoing)"), unit=_("ISO 8601 date")),
        Column(
            "geography_class",
            "string",
            _("derived from the member institutions' countries (North = World Bank high income); empty: not yet known"),
            codes=choices(reg.GeographyClass),
        ),
        Column("capacity_focus", "string", _("Edwards typology: capacity focus"), codes=choices(reg.CapacityFocus)),
        Column("intervention", "string", _("Edwards typology: intervention"), codes=choices(reg.Intervention)),
        Column("skills", "string", _("Edwards typology: skills"), codes=choices(reg.Skills)),
        Column("delivery", "string", _("Edwards typology: delivery"), codes=choices(reg.Delivery)),
        Column("visiting_groups", "string", _("Loh engagement: visiting groups"), codes=choices(reg.VisitingGroups)),
        Column("host_entities", "string", _("Loh engagement: host entities"), codes=choices(reg.HostEntities)),
        Column("frequency", "string", _("Loh engagement: frequency"), codes=choices(reg.Frequency)),
        SYNTHETIC,
    ),
    build_partnerships,
    ("partnership_id",),
)

PARTNERSHIP_MEMBERS = Table(
    "partnership_members",
    _("one institution's membership of a partnership"),
    (
        _ref_id("partnership_id", "partnerships.partnership_id", _("partnership")),
        _ref_id("institution_id", "institutions.institution_id", _("member institution")),
        Column("role", "string", _("the institution's role"), codes=choices(reg.MemberRole), nullable=False),
        Column("joined", "date", _("date the institution joined"), unit=_("ISO 8601 date")),
        Column("left", "date", _("date the institution left"), unit=_("ISO 8601 date")),
    ),
    build_partnership_members,
    ("partnership_id", "institution_id"),
)

PARTNERSHIP_TAGS = Table(
    "partnership_tags",
    _("one specialty, delivery method or funding scheme of a partnership"),
    (
        _ref_id("partnership_id", "partnerships.partnership_id", _("partnership")),
        Column(
            "dimension",
            "string",
            _("what the tag describes"),
            codes="specialty; delivery_method; funding_scheme",
            nullable=False,
        ),
        Column("code", "string", _("the specialty, delivery method or funding scheme code"), nullable=False),
        Column("label", "string", _("its name"), nullable=False),
    ),
    build_partnership_tags,
    ("partnership_id", "dimension", "code"),
)

INSTITUTIONS = Table(
    "institutions",
    _("one institution referred to by another table (member, home, sending or host institution, venue)"),
    (
        _id("institution_id", _("Healthlinks id of the institution (stable within this database)")),
        Column("name", "string", _("name of the institution (an organisation, not a person)"), nullable=False),
        Column("country", "string", _("country of the institution"), codes=COUNTRY, nullable=False),
        Column("kind", "string", _("kind of institution"), codes=choices(reg.InstitutionKind), nullable=False),
        Column(
            "iati_org_type",
            "string",
            _("IATI OrganisationType code"),
            codes=_table_codes(ref.OrganisationType, "code", "name"),
        ),
        Column("city", "string", _("city")),
        Column("latitude", "float64", _("latitude of the institution"), unit=_("degrees (WGS 84)")),
        Column("longitude", "float64", _("longitude of the institution"), unit=_("degrees (WGS 84)")),
        Column("ror_id", "string", _("Research Organization Registry id (https://ror.org/ + this id)")),
        Column("iati_org_id", "string", _("IATI organisation identifier")),
        Column("scope", "string", _("the institution's scope of influence"), codes=choices(reg.Scope)),
        SYNTHETIC,
    ),
    key=("institution_id",),
    derive=build_institutions,
)

COUNTRIES = Table(
    "countries",
    _("one country of an institution in the export"),
    (
        Column("country", "string", _("ISO 3166-1 alpha-3 code"), nullable=False),
        Column("iso2", "string", _("ISO 3166-1 alpha-2 code"), nullable=False),
        Column("name", "string", _("English short name"), nullable=False),
        Column("who_region", "string", _("WHO region"), codes=choices(ref.WhoRegion)),
        Column(
            "income_group",
            "string",
            _("World Bank income group (fiscal year in income_fy)"),
            codes=choices(ref.IncomeGroup),
        ),
        Column("income_fy", "string", _("World Bank fiscal year of the income group, e.g. FY26")),
        Column(
            "ssl2023",
            "bool",
            _("on the WHO Health Workforce Support and Safeguards List 2023"),
            codes=YES_NO,
            nullable=False,
        ),
        Column(
            "uk_code_status",
            "string",
            _("UK Code of Practice for international recruitment status"),
            codes=choices(ref.UkCodeStatus),
            nullable=False,
        ),
    ),
    key=("country",),
    derive=build_countries,
)

CADRES = Table(
    "cadres",
    _("one ISCO-08 health occupation (unit group)"),
    (
        Column("cadre", "string", _("ISCO-08 unit group code (4 digits, kept as text)"), nullable=False),
        Column("label", "string", _("ISCO-08 title"), nullable=False),
        Column("group", "string", _("broader group"), nullable=False),
    ),
    build_cadres,
    ("cadre",),
)

PURPOSE_CODES = Table(
    "purpose_codes",
    _("one OECD DAC CRS purpose code"),
    (
        Column("purpose_code", "string", _("DAC CRS purpose code (5 digits, kept as text)"), nullable=False),
        Column("name", "string", _("name of the purpose"), nullable=False),
        Column("category", "string", _("DAC sector category (3 digits)"), nullable=False),
    ),
    build_purpose_codes,
    ("purpose_code",),
)

PEOPLE = Table(
    "people",
    _("one person who consented to research use (pseudonymous: no name, contact or external id)"),
    (
        Column(
            "person_id",
            "string",
            _("pseudonymous id: random, never derived from the name"),
            codes="HL-XXXXXXXXXX",
            nullable=False,
        ),
        Column("cadre", "string", _("occupation"), codes=CADRE),
        Column("sex", "string", _("sex"), codes=choices(net.Sex), nullable=False),
        _ref_id("home_institution_id", "institutions.institution_id", _("home institution"), nullable=True),
        Column("grade", "string", _("grade or pay band as recorded (e.g. Band 6); values the volunteer's time")),
        SYNTHETIC,
    ),
    build_people,
    ("person_id",),
)

PERSON_ROLES = Table(
    "person_roles",
    _("one role of a person in a partnership"),
    (
        Column("person_id", "string", _("the person"), codes=PERSON, nullable=False),
        _ref_id("partnership_id", "partnerships.partnership_id", _("partnership")),
        Column("role", "string", _("role in the partnership"), codes=choices(net.PersonRoleKind), nullable=False),
    ),
    build_person_roles,
    ("person_id", "partnership_id", "role"),
)

STAYS = Table(
    "stays",
    _("one stay (physical visit or placement, or virtual engagement) of a person for a partnership"),
    (
        _id("stay_id", _("Healthlinks id of the stay (stable within this database)")),
        Column("person_id", "string", _("the person"), codes=PERSON, nullable=False),
        _ref_id("partnership_id", "partnerships.partnership_id", _("partnership")),
        _ref_id("sending_institution_id", "institutions.institution_id", _("sending institution"), nullable=True),
        _ref_id("host_institution_id", "institutions.institution_id", _("host institution")),
        Column("mode", "string", _("physical or virtual"), codes=choices(net.Mode), nullable=False),
        Column("start_date", "date", _("first day"), unit=_("ISO 8601 date"), nullable=False),
        Column("end_date", "date", _("last day (included)"), unit=_("ISO 8601 date"), nullable=False),
        Column(
            "duration_days",
            "int64",
            _("days from start to end, both included (derived)"),
            unit=_("days"),
            nullable=False,
        ),
        Column(
            "continuum_class",
            "string",
            _("mobility continuum class from duration_days and the configured bounds (default 14, 90, 180, 365 days)"),
            codes=choices(net.ContinuumClass),
            nullable=False,
        ),
        Column("virtual_hours", "float64", _("hours of a virtual engagement"), unit=_("hours")),
        Column("funding", "string", _("who paid"), codes=choices(net.Funding)),
        *[
            Column(
                f"purpose_{p}",
                "bool",
                _format(_("the stay's purposes include: %(purpose)s"), purpose=net.Purpose(p).label),
                codes=YES_NO,
                nullable=False,
            )
            for p in PURPOSES
        ],
        Column(
            "repeat_index",
            "int64",
            _("this person's n-th stay at this host in this mode (derived)"),
            unit=_("count"),
            nullable=False,
        ),
        Column(
            "days_since_previous",
            "int64",
            _(
                "days since the end of this person's previous stay at this host in "
                "this mode (derived; empty for the first)"
            ),
            unit=_("days"),
        ),
        Column(
            "circular",
            "bool",
            _("the person made two or more physical stays at this host (derived)"),
            codes=YES_NO,
            nullable=False,
        ),
        Column(
            "safeguard_flag",
            "bool",
            _(
                "WHO Global Code flag: physical stay from a Safeguards-List or UK-red-list "
                "country to a high-income host (derived)"
            ),
            codes=YES_NO,
            nullable=False,
        ),
        Column(
            "outside_partnership_dates",
            "bool",
            _("the stay falls outside the partnership's dates (derived)"),
            codes=YES_NO,
            nullable=False,
        ),
        SYNTHETIC,
    ),
    build_stays,
    ("stay_id",),
)

STAY_SESSIONS = Table(
    "stay_sessions",
    _("one recorded session of a virtual engagement"),
    (
        _ref_id("stay_id", "stays.stay_id", _("virtual engagement")),
        Column("date", "date", _("date of the session"), unit=_("ISO 8601 date"), nullable=False),
        Column("hours", "float64", _("length of the session"), unit=_("hours"), nullable=False),
    ),
    build_stay_sessions,
)

TIES = Table(
    "ties",
    _("one recorded tie between two people (both consented); co-presence ties are not stored and not exported"),
    (
        Column(
            "person_a_id", "string", _("first person (the mentor of a mentor_mentee tie)"), codes=PERSON, nullable=False
        ),
        Column(
            "person_b_id",
            "string",
            _("second person (the mentee of a mentor_mentee tie)"),
            codes=PERSON,
            nullable=False,
        ),
        Column("kind", "string", _("kind of tie"), codes=choices(net.TieKind), nullable=False),
        Column(
            "directed",
            "bool",
            _("true for mentor_mentee (a to b); the other kinds are undirected"),
            codes=YES_NO,
            nullable=False,
        ),
        Column("start_date", "date", _("date the tie started"), unit=_("ISO 8601 date")),
        Column("end_date", "date", _("date the tie ended"), unit=_("ISO 8601 date")),
    ),
    build_ties,
    ("person_a_id", "person_b_id", "kind"),
)

ACTIVITIES = Table(
    "activities",
    _("one activity of a partnership (course, workshop, mentoring programme, …)"),
    (
        _id("activity_id", _("Healthlinks id of the activity (stable within this database)")),
        _ref_id("partnership_id", "partnerships.partnership_id", _("partnership")),
        Column("title", "string", _("title of the activity"), nullable=False),
        Column("kind", "string", _("type of activity"), codes=choices(act.ActivityType), nullable=False),
        Column("mode", "string", _("how it was delivered"), codes=choices(act.ActivityMode), nullable=False),
        Column("start_date", "date", _("first day"), unit=_("ISO 8601 date"), nullable=False),
        Column("end_date", "date", _("last day"), unit=_("ISO 8601 date"), nullable=False),
        _ref_id("venue_institution_id", "institutions.institution_id", _("venue institution"), nullable=True),
        Column("purpose_code", "string", _("OECD DAC CRS purpose code"), codes=_("see the purpose_codes table")),
        Column("training_of_trainers", "bool", _("a training-of-trainers activity"), codes=YES_NO, nullable=False),
        Column("hours", "float64", _("teaching or contact hours"), unit=_("hours")),
        SYNTHETIC,
    ),
    build_activities,
    ("activity_id",),
)

ACTIVITY_FACILITATORS = Table(
    "activity_facilitators",
    _("one facilitator (who consented) of an activity"),
    (
        _ref_id("activity_id", "activities.activity_id", _("activity")),
        Column("person_id", "string", _("the facilitator"), codes=PERSON, nullable=False),
    ),
    build_activity_facilitators,
    ("activity_id", "person_id"),
)

ACTIVITY_STAYS = Table(
    "activity_stays",
    _("an activity delivered during a stay (links mobility to outcomes)"),
    (
        _ref_id("activity_id", "activities.activity_id", _("activity")),
        _ref_id("stay_id", "stays.stay_id", _("stay")),
    ),
    build_activity_stays,
    ("activity_id", "stay_id"),
)

TRAINEES = Table(
    "trainees",
    _("one named trainee's (who consented) attendance of an activity"),
    (
        _ref_id("activity_id", "activities.activity_id", _("activity")),
        Column("person_id", "string", _("the trainee"), codes=PERSON, nullable=False),
        Column(
            "facility_level",
            "string",
            _("level of the trainee's facility"),
            codes=choices(act.FacilityLevel),
            nullable=False,
        ),
        Column("completed", "bool", _("completed the training"), codes=YES_NO, nullable=False),
    ),
    build_trainees,
    ("activity_id", "person_id"),
)

TRAINEE_COUNTS = Table(
    "trainee_counts",
    _("trainees counted but not named: one cell (cadre × sex × facility level) of an activity"),
    (
        _ref_id("activity_id", "activities.activity_id", _("activity")),
        Column("cadre", "string", _("occupation (empty: not recorded)"), codes=CADRE),
        Column("sex", "string", _("sex"), codes=choices(net.Sex), nullable=False),
        Column("facility_level", "string", _("facility level"), codes=choices(act.FacilityLevel), nullable=False),
        Column(
            "count",
            "int64",
            _("everyone trained in the cell, named trainees of the same cell included"),
            unit=_("persons"),
            nullable=False,
        ),
    ),
    build_trainee_counts,
    ("activity_id", "cadre", "sex", "facility_level"),
)

ASSESSMENTS = Table(
    "assessments",
    _("one trainee's pre- and post-test (Kirkpatrick level 2)"),
    (
        _ref_id("activity_id", "activities.activity_id", _("activity")),
        Column("person_id", "string", _("the trainee"), codes=PERSON, nullable=False),
        Column("pre_score", "float64", _("pre-test score"), unit=_("points"), nullable=False),
        Column("post_score", "float64", _("post-test score"), unit=_("points"), nullable=False),
        Column("max_score", "float64", _("maximum possible score"), unit=_("points"), nullable=False),
        Column("gain", "float64", _("post_score - pre_score (derived)"), unit=_("points"), nullable=False),
        Column(
            "normalised_gain",
            "float64",
            _("(post - pre) / (max - pre), Hake; empty when pre_score = max_score (derived)"),
            unit=_("ratio"),
        ),
    ),
    build_assessments,
    ("activity_id", "person_id"),
)

OUTCOMES = Table(
    "outcomes",
    _("one Kirkpatrick outcome measure (L1 reaction, L3 behaviour, L4 results) of an activity"),
    (
        _id("outcome_id", _("Healthlinks id of the outcome (stable within this database)")),
        _ref_id("activity_id", "activities.activity_id", _("activity")),
        Column("person_id", "string", _("the person measured (empty: not about a named person)"), codes=PERSON),
        Column("level", "int64", _("Kirkpatrick level"), codes=choices(act.Level), nullable=False),
        Column("dimension", "string", _("what was measured"), codes=choices(act.Dimension), nullable=False),
        Column("rating", "int64", _("L1 rating"), unit=_("1 (lowest) to 5 (highest)")),
        Column("practice_changed", "bool", _("L3: practice changed at follow-up"), codes=YES_NO),
        Column("follow_up_months", "int64", _("L3: months after the activity"), unit=_("months"), codes="3; 6; 12"),
        Column("indicator", "string", _("L4: facility indicator measured")),
        Column("value", "float64", _("L4: indicator value (unit in the unit column)")),
        Column("unit", "string", _("L4: unit of value")),
        Column("method", "string", _("how it was measured"), codes=choices(act.Method)),
        Column("recorded_on", "date", _("date recorded"), unit=_("ISO 8601 date"), nullable=False),
    ),
    build_outcomes,
    ("outcome_id",),
)

CASCADES = Table(
    "cascades",
    _("one report of a trainee (who consented) training others"),
    (
        Column("person_id", "string", _("the trainee who went on to train others"), codes=PERSON, nullable=False),
        _ref_id("activity_id", "activities.activity_id", _("activity where they were trained")),
        Column("people_trained", "int64", _("people they trained"), unit=_("persons"), nullable=False),
        Column("reported_on", "date", _("date of the report"), unit=_("ISO 8601 date"), nullable=False),
    ),
    build_cascades,
)

KNOWLEDGE_ITEMS = Table(
    "knowledge_items",
    _("one guideline, protocol, skill or practice moving through a partnership (transfer → translation → effect)"),
    (
        _id("knowledge_item_id", _("Healthlinks id of the knowledge item (stable within this database)")),
        _ref_id("activity_id", "activities.activity_id", _("activity")),
        Column("title", "string", _("title of the guideline, protocol, skill or practice"), nullable=False),
        Column("kind", "string", _("kind"), codes=choices(act.KnowledgeKind), nullable=False),
        Column("direction", "string", _("direction of the flow"), codes=choices(act.Direction), nullable=False),
        Column("stage", "int64", _("furthest stage reached"), codes=choices(act.Stage), nullable=False),
        Column("sustained_at_follow_up", "bool", _("still in use at follow-up"), codes=YES_NO),
        Column("transferred_on", "date", _("date transferred"), unit=_("ISO 8601 date")),
        Column("translated_on", "date", _("date adapted to the local context"), unit=_("ISO 8601 date")),
        Column("effective_on", "date", _("date used in practice"), unit=_("ISO 8601 date")),
    ),
    build_knowledge_items,
    ("knowledge_item_id",),
)

RESULTS = Table(
    "results",
    _("one result of a partnership's results framework (IATI result)"),
    (
        _id("result_id", _("Healthlinks id of the result (stable within this database)")),
        _ref_id("partnership_id", "partnerships.partnership_id", _("partnership")),
        Column("level", "int64", _("IATI ResultType"), codes=choices(res.ResultLevel), nullable=False),
        Column("title", "string", _("title of the result"), nullable=False),
    ),
    build_results,
    ("result_id",),
)

INDICATORS = Table(
    "indicators",
    _("one indicator of a result"),
    (
        _id("indicator_id", _("Healthlinks id of the indicator (stable within this database)")),
        _ref_id("result_id", "results.result_id", _("result")),
        Column(
            "library_code",
            "string",
            _("shared library indicator (actual computed from the records); empty: the partnership's own"),
            codes=lambda: choices_of_library(),
        ),
        Column("title", "string", _("title of the indicator"), nullable=False),
        Column("measure", "int64", _("IATI IndicatorMeasure"), codes=choices(res.Measure), nullable=False),
        Column("unit", "string", _("unit of the indicator's values")),
        Column("baseline", "float64", _("baseline value (in the indicator's unit)")),
        Column("baseline_year", "int64", _("year of the baseline"), unit=_("year")),
        Column(
            "disaggregated", "bool", _("targets and actuals are split by sex and cadre"), codes=YES_NO, nullable=False
        ),
    ),
    build_indicators,
    ("indicator_id",),
)

INDICATOR_PERIODS = Table(
    "indicator_periods",
    _("one reporting period of an indicator, with its target and actual"),
    (
        _id("period_id", _("Healthlinks id of the period (stable within this database)")),
        _ref_id("indicator_id", "indicators.indicator_id", _("indicator")),
        Column("start_date", "date", _("first day of the period"), unit=_("ISO 8601 date"), nullable=False),
        Column("end_date", "date", _("last day of the period"), unit=_("ISO 8601 date"), nullable=False),
        Column("target", "float64", _("target (in the indicator's unit; percent for percentages)")),
        Column("actual", "float64", _("actual (in the indicator's unit); computed when actual_computed")),
        Column("numerator", "float64", _("percentages: numerator of the actual")),
        Column("denominator", "float64", _("percentages: denominator of the actual")),
        Column(
            "actual_computed",
            "bool",
            _(
                "the actual was computed from all the partnership's records (as on its "
                "results page, people who did not consent included, as an aggregate), not typed"
            ),
            codes=YES_NO,
            nullable=False,
        ),
    ),
    build_indicator_periods,
    ("period_id",),
)

INDICATOR_DISAGGREGATIONS = Table(
    "indicator_disaggregations",
    _("one period's target and actual for one sex or cadre (IATI dimension)"),
    (
        _ref_id("period_id", "indicator_periods.period_id", _("period")),
        Column("dimension", "string", _("split by"), codes=choices(res.Dimension), nullable=False),
        Column(
            "category",
            "string",
            _("a sex code (see people.sex) or an ISCO-08 code (see cadres), or not_recorded"),
            nullable=False,
        ),
        Column("target", "float64", _("target for the category")),
        Column("actual", "float64", _("actual for the category (for percentages: the numerator)")),
    ),
    build_indicator_disaggregations,
    ("period_id", "dimension", "category"),
)

COSTS = Table(
    "costs",
    _("one cash cost of a partnership"),
    (
        _id("cost_id", _("Healthlinks id of the cost (stable within this database)")),
        _ref_id("partnership_id", "partnerships.partnership_id", _("partnership")),
        _ref_id("activity_id", "activities.activity_id", _("activity it was spent on"), nullable=True),
        Column("category", "string", _("cost category"), codes=choices(res.CostCategory), nullable=False),
        Column(
            "amount",
            "float64",
            _("amount in the currency of the currency column"),
            unit=_("currency units"),
            nullable=False,
        ),
        Column("currency", "string", _("ISO 4217 currency code; convert with currency_rates"), nullable=False),
        Column("spent_on", "date", _("date of the cost"), unit=_("ISO 8601 date"), nullable=False),
    ),
    build_costs,
    ("cost_id",),
)

IN_KIND = Table(
    "in_kind",
    _("one in-kind contribution other than volunteer time (volunteer time derives from stays and day_rates)"),
    (
        _id("in_kind_id", _("Healthlinks id of the contribution (stable within this database)")),
        _ref_id("partnership_id", "partnerships.partnership_id", _("partnership")),
        Column("kind", "string", _("kind of contribution"), codes=choices(res.InKindKind), nullable=False),
        Column(
            "value",
            "float64",
            _("value in the currency of the currency column"),
            unit=_("currency units"),
            nullable=False,
        ),
        Column("currency", "string", _("ISO 4217 currency code"), nullable=False),
        Column("received_on", "date", _("date received"), unit=_("ISO 8601 date"), nullable=False),
    ),
    build_in_kind,
    ("in_kind_id",),
)

CURRENCY_RATES = Table(
    "currency_rates",
    _("units of the reporting currency per unit of a currency, for a year (use the latest year not after the date)"),
    (
        Column("currency", "string", _("ISO 4217 currency code"), nullable=False),
        Column("year", "int64", _("year the rate applies from"), unit=_("year"), nullable=False),
        Column("rate", "float64", _("reporting-currency units per currency unit"), unit=_("ratio"), nullable=False),
    ),
    build_currency_rates,
    ("currency", "year"),
)

DAY_RATES = Table(
    "day_rates",
    _("what a day of a volunteer's time is worth, by grade or else by cadre, from a year"),
    (
        Column("grade", "string", _("grade or pay band (matches people.grade, case-insensitive); empty: by cadre")),
        Column("cadre", "string", _("occupation, when not by grade"), codes=CADRE),
        Column("year", "int64", _("year the rate applies from"), unit=_("year"), nullable=False),
        Column("currency", "string", _("ISO 4217 currency code"), nullable=False),
        Column("day_rate", "float64", _("value of one day"), unit=_("currency units per day"), nullable=False),
        Column("method", "string", _("valuation method"), codes=choices(res.ValuationMethod), nullable=False),
    ),
    build_day_rates,
)


# Built in this order: institutions and countries last, from the ids the other tables refer to.
TABLES: tuple[Table, ...] = (
    PARTNERSHIPS,
    PARTNERSHIP_MEMBERS,
    PARTNERSHIP_TAGS,
    PEOPLE,
    PERSON_ROLES,
    STAYS,
    STAY_SESSIONS,
    TIES,
    ACTIVITIES,
    ACTIVITY_FACILITATORS,
    ACTIVITY_STAYS,
    TRAINEES,
    TRAINEE_COUNTS,
    ASSESSMENTS,
    OUTCOMES,
    CASCADES,
    KNOWLEDGE_ITEMS,
    RESULTS,
    INDICATORS,
    INDICATOR_PERIODS,
    INDICATOR_DISAGGREGATIONS,
    COSTS,
    IN_KIND,
    CURRENCY_RATES,
    DAY_RATES,
    CADRES,
    PURPOSE_CODES,
    INSTITUTIONS,
    COUNTRIES,
)
BY_NAME = {t.name: t for t in TABLES}


def _open_reader() -> Any | None:
    try:
        return arrow.connect()
    except Exception as exc:  # no driver, database not reachable that way: Django's cursor reads everything
        logger.info("research export: no ADBC reader (%s)", exc)
        return None


def build_all(scope: Scope, *, direct: bool = True) -> dict[str, pa.Table]:
    """Every table, typed as the dictionary says, in TABLES order; then ``enforce_joins``. ``direct``: read through
    ADBC when the database allows it."""
    reader = _open_reader() if direct else None
    token = _READER.set(reader)
    try:
        collect_people(scope)
        built: dict[str, pa.Table] = {}
        for table in TABLES:
            if table.derive is not None:
                columns = table.derive(scope, built)
            else:
                assert table.build is not None, table.name
                columns = table.build(scope)
            built[table.name] = arrow_table(table, columns)
    finally:
        _READER.reset(token)
        if reader is not None:
            arrow.release(reader)
    return enforce_joins(built)


def enforce_joins(built: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Drop any row whose person is not in people, or whose stay is not in stays. The queries already agree (same
    consent and scope filters); this makes it hold even if a record changed between two of them."""
    people = built["people"]["person_id"].combine_chunks()
    stays = built["stays"]["stay_id"].combine_chunks()
    for table in TABLES:
        checks = [(c.name, people) for c in table.columns if c.codes is PERSON and table.name != "people"]
        checks += [(c.name, stays) for c in table.columns if c.name == "stay_id" and table.name != "stays"]
        data = built[table.name]
        for column, allowed in checks:
            keep = pc.or_kleene(pc.is_null(data[column]), pc.is_in(data[column], value_set=allowed))
            data = data.filter(keep)
        built[table.name] = data
    return built


def person_cells(scope: Scope) -> list[tuple[str, str, str, int]]:
    """(country of the home institution, cadre, sex, people) of the exported people ("" where not recorded)."""
    if scope.cells is None or scope.cells.num_rows == 0:
        return []
    columns = ["home_institution__country_id", "cadre_id", "sex"]
    cells = scope.cells.group_by(columns, use_threads=False).aggregate([([], "count_all")])
    return [
        (country or "", cadre or "", sex or "", n)
        for country, cadre, sex, n in zip(*(cells[c].to_pylist() for c in [*columns, "count_all"]), strict=True)
    ]
