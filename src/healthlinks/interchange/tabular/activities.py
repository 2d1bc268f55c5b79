"""Import of activities, trainees (named or counted), assessments, outcomes and costs (CSV/XLSX).

Same rules as the people and stays import: all errors at once with file, row and column; nothing written
unless the whole file is valid; re-importing updates (activities and costs by external id, trainees and
assessments by activity and person, counted trainees by their cell, outcomes by activity, person, level,
dimension and follow-up)."""

from __future__ import annotations

from collections.abc import Callable, Container
from functools import partial
from itertools import chain
from pathlib import Path
from typing import IO, Any

from healthlinks.accounts.models import User
from healthlinks.activities import services
from healthlinks.activities.models import (
    Activity,
    ActivityMode,
    ActivityType,
    AggregateTrainees,
    Assessment,
    CascadeReport,
    Dimension,
    Direction,
    FacilityLevel,
    KnowledgeItem,
    KnowledgeKind,
    Method,
    Outcome,
    Trainee,
)
from healthlinks.activities.services import activity_save
from healthlinks.interchange.tabular import fields as f
from healthlinks.interchange.tabular.common import (
    ImportResult,
    Institutions,
    Rows,
    editable_partnership_ids,
    partnerships_by_reference,
    people_by_external_id,
    write_rows,
)
from healthlinks.interchange.tabular.reader import read_table
from healthlinks.network import selectors as network_selectors
from healthlinks.network.models import Sex, Stay
from healthlinks.reference.models import Occupation, PurposeCode
from healthlinks.results import services as results_services
from healthlinks.results.models import CashCost, CostCategory

COLUMNS = {
    "activities": [
        "external_id",
        "partnership",
        "title",
        "type",
        "mode",
        "start_date",
        "end_date",
        "venue",
        "purpose_code",
        "training_of_trainers",
        "hours",
        "stays",
    ],
    "trainees": ["activity", "person", "cadre_isco", "sex", "facility_level", "completed", "count"],
    "assessments": ["activity", "person", "pre_score", "post_score", "max_score"],
    "outcomes": [
        "activity",
        "person",
        "level",
        "dimension",
        "rating",
        "practice_changed",
        "follow_up_months",
        "indicator",
        "value",
        "unit",
        "method",
        "recorded_on",
    ],
    "costs": ["external_id", "partnership", "activity", "category", "amount", "currency", "date", "description"],
    "cascades": ["activity", "person", "people_trained", "reported_on"],
    "knowledge": [
        "activity",
        "title",
        "kind",
        "direction",
        "stage",
        "adaptation",
        "sustained_at_follow_up",
        "transferred_on",
        "translated_on",
        "effective_on",
    ],
}
REQUIRED = {
    "activities": ["external_id", "partnership", "title", "type", "mode", "start_date", "end_date"],
    "trainees": ["activity", "facility_level"],
    "assessments": ["activity", "person", "pre_score", "post_score"],
    "outcomes": ["activity", "level", "dimension", "recorded_on"],
    "costs": ["external_id", "partnership", "category", "amount", "currency", "date"],
    "cascades": ["activity", "person", "people_trained", "reported_on"],
    "knowledge": ["activity", "title", "kind", "direction", "stage"],
}
EXAMPLES = {
    "activities": [
        [
            "A-2025-01",
            "leeds-gulu-anaesthesia-partnership",
            "Obstetric emergencies",
            "training_course",
            "in_person",
            "2025-02-10",
            "2025-02-12",
            "Gulu Regional Referral Hospital",
            "12281",
            "no",
            "16",
            "S-2025-001",
        ]
    ],
    "trainees": [
        ["A-2025-01", "V-014", "", "", "district", "yes", ""],
        ["A-2025-01", "", "2222", "female", "primary", "", "12"],
    ],
    "assessments": [["A-2025-01", "V-014", "45", "80", "100"]],
    "outcomes": [["A-2025-01", "V-014", "3", "practice", "", "yes", "6", "", "", "", "observed", "2025-08-12"]],
    "costs": [
        [
            "C-2025-01",
            "leeds-gulu-anaesthesia-partnership",
            "A-2025-01",
            "travel",
            "1240.50",
            "GBP",
            "2025-02-01",
            "Return flight",
        ]
    ],
    "cascades": [["A-2025-01", "V-014", "18", "2025-11-30"]],
    "knowledge": [
        [
            "A-2025-01",
            "PPH protocol",
            "protocol",
            "north_south",
            "translated",
            "Misoprostol where no cold chain",
            "",
            "2025-02-12",
            "2025-05-01",
            "",
        ]
    ],
}
TYPES = {t.value: t.value for t in ActivityType}
MODES = {m.value: m.value for m in ActivityMode} | {"in person": "in_person"}
LEVELS = {lv.value: lv.value for lv in FacilityLevel} | {"national referral": "national_referral", "": "not_recorded"}
SEX = {s.value: s.value for s in Sex} | {"f": "female", "m": "male", "": "not_recorded"}
DIMENSIONS = {d.value: d.value for d in Dimension}
METHODS = {m.value: m.value for m in Method} | {"self-reported": "self_reported"}
CATEGORIES = {c.value: c.value for c in CostCategory} | {"training materials": "training_materials"}
YES_NO = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}


def _bool(value: str, *, default: bool | None = None) -> bool | None:
    lowered = value.strip().lower()
    if not lowered:
        return default
    if lowered not in YES_NO:
        raise ValueError(f"{value!r} is not yes or no")
    return YES_NO[lowered]


def _int(value: str, *, low: int = 0, high: int | None = None, required: bool = False) -> int | None:
    if not value.strip():
        if required:
            raise ValueError("a whole number is required")
        return None
    try:
        number = int(float(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None
    if number < low or (high is not None and number > high):
        raise ValueError(f"{number} is outside {low}–{high if high is not None else '…'}")
    return number


def _write_parsed(
    result: ImportResult,
    rows: Rows,
    parsed: dict[Any, tuple[int, Any]],
    known: Container[Any],
    call: Callable[[Any], Callable[[], Any]],
) -> None:
    """Write each parsed record (keyed; `known` keys exist already) through the service call `call` makes."""
    write_rows(result, rows, ((number, key in known, call(obj)) for key, (number, obj) in parsed.items()))


def _activity_for(user: User | None, rows: Rows, number: int, ref: str, cache: dict[str, Activity]) -> Activity | None:
    activity = cache.get(ref)
    if activity is None:
        rows.error(number, "activity", f"no activity with external id {ref!r} (import activities first)")
        return None
    editable = editable_partnership_ids(user)
    if editable is not None and activity.partnership_id not in editable:
        rows.error(number, "activity", f"{ref!r} belongs to a partnership you do not coordinate")
        return None
    return activity


def _activity_cache(table: Any) -> dict[str, Activity]:
    refs = {v.get("activity", "") for _n, v in table.rows}
    return {a.external_id: a for a in Activity.objects.filter(external_id__in=refs) if a.external_id}


def import_activities(
    source: str | Path | IO[bytes], *, user: User | None = None, name: str | None = None
) -> ImportResult:
    table = read_table(source, columns=COLUMNS["activities"], required=REQUIRED["activities"], name=name)
    rows = Rows(table)
    editable = editable_partnership_ids(user)
    partnerships = partnerships_by_reference(v["partnership"] for _n, v in table.rows)
    institutions = Institutions()
    codes = set(PurposeCode.objects.values_list("code", flat=True))
    existing = {
        a.external_id: a for a in Activity.objects.filter(external_id__in=[v["external_id"] for _n, v in table.rows])
    }
    stay_refs = {ref.strip() for _n, v in table.rows for ref in v["stays"].split(";") if ref.strip()}
    stays = {s.external_id: s for s in Stay.objects.filter(external_id__in=stay_refs)}
    seen: dict[str, int] = {}
    parsed: list[tuple[int, Activity, list[Stay]]] = []
    for number, v in table.rows:
        ext = v["external_id"]
        if ext in seen:
            rows.error(number, "external_id", f"{ext!r} already appears on row {seen[ext]}")
            continue
        seen[ext] = number
        partnership = partnerships.get(v["partnership"])
        if partnership is None:
            rows.error(number, "partnership", f"no partnership with slug or name {v['partnership']!r}")
        elif editable is not None and partnership.pk not in editable:
            rows.error(number, "partnership", f"you do not coordinate {partnership.name!r}")
        kind = rows.cell(number, v, "type", f.parse_choice, choices=TYPES)
        mode = rows.cell(number, v, "mode", f.parse_choice, choices=MODES)
        start = rows.cell(number, v, "start_date", f.parse_date)
        end = rows.cell(number, v, "end_date", f.parse_date)
        if start and end and end < start:
            rows.error(number, "end_date", f"{end} is before the start date {start}")
        venue = rows.cell(number, v, "venue", institutions.find) if v["venue"] else None
        if v["purpose_code"] and v["purpose_code"] not in codes:
            rows.error(number, "purpose_code", f"{v['purpose_code']!r} is not a DAC purpose code (e.g. 12281)")
        tot = rows.cell(number, v, "training_of_trainers", _bool, default=False)
        hours = rows.cell(number, v, "hours", f.parse_decimal)
        linked = []
        for ref in filter(None, (r.strip() for r in v["stays"].split(";"))):
            stay = stays.get(ref)
            if stay is None:
                rows.error(number, "stays", f"no stay with external id {ref!r}")
            elif partnership is not None and stay.partnership_id != partnership.pk:
                rows.error(number, "stays", f"stay {ref!r} belongs to another partnership")
            else:
                linked.append(stay)
        if not v["title"]:
            rows.error(number, "title", "a title is required")
        if partnership is None or None in (kind, mode, start, end):
            continue
        activity = existing.get(ext) or Activity(external_id=ext)
        activity.partnership, activity.title, activity.kind, activity.mode = partnership, v["title"], kind, mode
        activity.start_date, activity.end_date, activity.venue = start, end, venue
        activity.purpose_code_id = v["purpose_code"] or None
        activity.training_of_trainers, activity.hours = bool(tot), hours
        parsed.append((number, activity, linked))
    rows.raise_if_any()
    result = ImportResult("activities", table.name)
    write_rows(
        result,
        rows,
        (
            (number, activity.pk is not None, partial(activity_save, by=user, activity=activity, stays=linked))
            for number, activity, linked in parsed
        ),
    )
    return result


def import_trainees(
    source: str | Path | IO[bytes], *, user: User | None = None, name: str | None = None
) -> ImportResult:
    """Rows with a person are named trainees; rows without one are counts for a cadre x sex x level cell."""
    table = read_table(source, columns=COLUMNS["trainees"], required=REQUIRED["trainees"], name=name)
    rows = Rows(table)
    activities = _activity_cache(table)
    people = people_by_external_id((v["person"] for _n, v in table.rows if v["person"]), user)
    cadres = set(Occupation.objects.values_list("code", flat=True))
    named: dict[tuple[int, int], tuple[int, Trainee]] = {}
    counted: dict[tuple[int, str | None, str, str], tuple[int, AggregateTrainees]] = {}
    for number, v in table.rows:
        activity = _activity_for(user, rows, number, v["activity"], activities)
        level = rows.cell(number, v, "facility_level", f.parse_choice, choices=LEVELS, required=False)
        if v["person"]:
            person = people.get(v["person"])
            if person is None:
                rows.error(number, "person", network_selectors.not_yours_message(v["person"]))
            completed = rows.cell(number, v, "completed", _bool, default=True)
            if v["count"]:
                rows.error(number, "count", "a named trainee row has no count; leave person empty to count")
            if activity is None or person is None:
                continue
            key = (activity.pk, person.pk)
            if key in named:
                rows.error(number, "person", f"already listed for this activity on row {named[key][0]}")
                continue
            named[key] = (
                number,
                Trainee(
                    activity=activity,
                    person=person,
                    facility_level=level or "not_recorded",
                    completed=completed is not False,
                ),
            )
        else:
            count = rows.cell(number, v, "count", _int, required=True)
            cadre = v["cadre_isco"] or None
            if cadre and cadre not in cadres:
                rows.error(number, "cadre_isco", f"{cadre!r} is not an ISCO-08 health occupation code")
            sex = rows.cell(number, v, "sex", f.parse_choice, choices=SEX, required=False)
            if activity is None or count is None:
                continue
            cell = (activity.pk, cadre, sex or "not_recorded", level or "not_recorded")
            if cell in counted:
                rows.error(number, "count", f"the same cell is counted on row {counted[cell][0]}")
                continue
            counted[cell] = (
                number,
                AggregateTrainees(activity=activity, cadre_id=cadre, sex=cell[2], facility_level=cell[3], count=count),
            )
    rows.raise_if_any()
    result = ImportResult("trainees", table.name)
    activity_ids = {key[0] for key in named} | {cell[0] for cell in counted}
    known_named = set(Trainee.objects.filter(activity_id__in=activity_ids).values_list("activity_id", "person_id"))
    known_cells = set(
        AggregateTrainees.objects.filter(activity_id__in=activity_ids).values_list(
            "activity_id", "cadre_id", "sex", "facility_level"
        )
    )
    named_writes = (
        (
            number,
            key in known_named,
            partial(
                services.trainee_add,
                by=user,
                activity=t.activity,
                person=t.person,
                facility_level=t.facility_level,
                completed=t.completed,
            ),
        )
        for key, (number, t) in named.items()
    )
    counted_writes = (
        (
            number,
            cell in known_cells,
            partial(
                services.aggregate_set,
                by=user,
                activity=a.activity,
                cadre_id=a.cadre_id,
                sex=a.sex,
                facility_level=a.facility_level,
                count=a.count,
            ),
        )
        for cell, (number, a) in counted.items()
    )
    write_rows(result, rows, chain(named_writes, counted_writes))
    return result


def import_assessments(
    source: str | Path | IO[bytes], *, user: User | None = None, name: str | None = None
) -> ImportResult:
    table = read_table(source, columns=COLUMNS["assessments"], required=REQUIRED["assessments"], name=name)
    rows = Rows(table)
    activities = _activity_cache(table)
    people = people_by_external_id((v["person"] for _n, v in table.rows), user)
    parsed: dict[tuple[int, int], tuple[int, Assessment]] = {}
    for number, v in table.rows:
        activity = _activity_for(user, rows, number, v["activity"], activities)
        person = people.get(v["person"])
        if person is None:
            rows.error(number, "person", network_selectors.not_yours_message(v["person"]))
        pre = rows.cell(number, v, "pre_score", f.parse_decimal)
        post = rows.cell(number, v, "post_score", f.parse_decimal)
        top = rows.cell(number, v, "max_score", f.parse_decimal) or 100
        for column, score in (("pre_score", pre), ("post_score", post)):
            if score is not None and score > top:
                rows.error(number, column, f"{score} is above the maximum score {top}")
        if top == 0:
            rows.error(number, "max_score", "the maximum score must be more than zero")
        if activity is None or person is None or pre is None or post is None:
            continue
        key = (activity.pk, person.pk)
        if key in parsed:
            rows.error(number, "person", f"already assessed for this activity on row {parsed[key][0]}")
            continue
        parsed[key] = (
            number,
            Assessment(activity=activity, person=person, pre_score=pre, post_score=post, max_score=top),
        )
    rows.raise_if_any()
    result = ImportResult("assessments", table.name)
    known = set(
        Assessment.objects.filter(activity_id__in={k[0] for k in parsed}).values_list("activity_id", "person_id")
    )
    _write_parsed(
        result,
        rows,
        parsed,
        known,
        lambda a: partial(
            services.assessment_save,
            by=user,
            activity=a.activity,
            person=a.person,
            pre_score=a.pre_score,
            post_score=a.post_score,
            max_score=a.max_score,
        ),  # fmt: skip
    )
    return result


def import_outcomes(
    source: str | Path | IO[bytes], *, user: User | None = None, name: str | None = None
) -> ImportResult:
    from django.core.exceptions import ValidationError

    table = read_table(source, columns=COLUMNS["outcomes"], required=REQUIRED["outcomes"], name=name)
    rows = Rows(table)
    activities = _activity_cache(table)
    people = people_by_external_id((v["person"] for _n, v in table.rows if v["person"]), user)
    parsed: list[tuple[int, Outcome]] = []
    for number, v in table.rows:
        activity = _activity_for(user, rows, number, v["activity"], activities)
        person = people.get(v["person"]) if v["person"] else None
        if v["person"] and person is None:
            rows.error(number, "person", network_selectors.not_yours_message(v["person"]))
        level = rows.cell(number, v, "level", _int, low=1, high=4, required=True)
        dimension = rows.cell(number, v, "dimension", f.parse_choice, choices=DIMENSIONS)
        rating = rows.cell(number, v, "rating", _int, low=1, high=5)
        changed = rows.cell(number, v, "practice_changed", _bool)
        months = rows.cell(number, v, "follow_up_months", _int)
        if months is not None and months not in (3, 6, 12):
            rows.error(number, "follow_up_months", f"{months} is not 3, 6 or 12")
        value = rows.cell(number, v, "value", f.parse_decimal)
        method = rows.cell(number, v, "method", f.parse_choice, choices=METHODS, required=False)
        recorded = rows.cell(number, v, "recorded_on", f.parse_date)
        if activity is None or level is None or dimension is None or recorded is None:
            continue
        outcome = Outcome(
            activity=activity,
            person=person,
            level=level,
            dimension=dimension,
            rating=rating,
            practice_changed=changed,
            follow_up_months=months,
            indicator=v["indicator"],
            value=value,
            unit=v["unit"],
            method=method or "",
            recorded_on=recorded,
        )
        try:
            outcome.full_clean(exclude=["activity", "person"])
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                rows.error(number, column, " ".join(messages))
            continue
        parsed.append((number, outcome))
    rows.raise_if_any()
    result = ImportResult("outcomes", table.name)
    key = ("activity_id", "person_id", "level", "dimension", "follow_up_months")
    known = {
        tuple(getattr(o, k) for k in key): o
        for o in Outcome.objects.filter(activity_id__in={o.activity_id for _n, o in parsed})
    }
    values = ("rating", "practice_changed", "indicator", "value", "unit", "method", "recorded_on")

    def write(outcome: Outcome) -> Outcome:
        fields = {k: getattr(outcome, k) for k in values}
        stored = known.get(tuple(getattr(outcome, k) for k in key))
        if stored is None:
            return services.outcome_create(by=user, activity=outcome.activity, person=outcome.person,
                                           level=outcome.level, dimension=outcome.dimension,
                                           follow_up_months=outcome.follow_up_months, **fields)  # fmt: skip
        return services.outcome_update(by=user, outcome=stored, **fields)

    write_rows(
        result,
        rows,
        ((n, tuple(getattr(o, k) for k in key) in known, partial(write, o)) for n, o in parsed),
    )
    return result


def import_costs(source: str | Path | IO[bytes], *, user: User | None = None, name: str | None = None) -> ImportResult:
    table = read_table(source, columns=COLUMNS["costs"], required=REQUIRED["costs"], name=name)
    rows = Rows(table)
    editable = editable_partnership_ids(user)
    partnerships = partnerships_by_reference(v["partnership"] for _n, v in table.rows)
    activities = _activity_cache(table)
    existing = {
        c.external_id: c for c in CashCost.objects.filter(external_id__in=[v["external_id"] for _n, v in table.rows])
    }
    seen: dict[str, int] = {}
    parsed: list[tuple[int, CashCost]] = []
    for number, v in table.rows:
        ext = v["external_id"]
        if ext in seen:
            rows.error(number, "external_id", f"{ext!r} already appears on row {seen[ext]}")
            continue
        seen[ext] = number
        partnership = partnerships.get(v["partnership"])
        if partnership is None:
            rows.error(number, "partnership", f"no partnership with slug or name {v['partnership']!r}")
        elif editable is not None and partnership.pk not in editable:
            rows.error(number, "partnership", f"you do not coordinate {partnership.name!r}")
        activity = activities.get(v["activity"]) if v["activity"] else None
        if v["activity"] and activity is None:
            rows.error(number, "activity", f"no activity with external id {v['activity']!r}")
        category = rows.cell(number, v, "category", f.parse_choice, choices=CATEGORIES)
        amount = rows.cell(number, v, "amount", f.parse_decimal)
        currency = v["currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            rows.error(number, "currency", f"{v['currency']!r} is not an ISO 4217 code such as GBP or UGX")
        spent = rows.cell(number, v, "date", f.parse_date)
        if partnership is None or category is None or amount is None or spent is None:
            continue
        cost = existing.get(ext) or CashCost(external_id=ext)
        cost.partnership, cost.activity, cost.category = partnership, activity, category
        cost.amount, cost.currency, cost.spent_on, cost.description = amount, currency, spent, v["description"]
        parsed.append((number, cost))
    rows.raise_if_any()
    result = ImportResult("costs", table.name)
    write_rows(
        result,
        rows,
        (
            (number, cost.pk is not None, partial(results_services.cost_save, by=user, cost=cost))
            for number, cost in parsed
        ),
    )
    return result


STAGES = {"1": 1, "2": 2, "3": 3, "transferred": 1, "translated": 2, "effective": 3}
KINDS = {k.value: k.value for k in KnowledgeKind} | {
    "clinical skill": "clinical_skill",
    "management practice": "management_practice",
}
DIRECTIONS = {d.value: d.value for d in Direction} | {
    "north-south": "north_south",
    "south-north": "south_north",
    "south-south": "south_south",
}


def import_cascades(
    source: str | Path | IO[bytes], *, user: User | None = None, name: str | None = None
) -> ImportResult:
    """Trainees who went on to train others: one row per trainee and activity (updated on re-import)."""
    table = read_table(source, columns=COLUMNS["cascades"], required=REQUIRED["cascades"], name=name)
    rows = Rows(table)
    activities = _activity_cache(table)
    people = people_by_external_id((v["person"] for _n, v in table.rows), user)
    parsed: dict[tuple[int, int], tuple[int, CascadeReport]] = {}
    for number, v in table.rows:
        activity = _activity_for(user, rows, number, v["activity"], activities)
        person = people.get(v["person"])
        if person is None:
            rows.error(number, "person", network_selectors.not_yours_message(v["person"]))
        trained = rows.cell(number, v, "people_trained", _int, required=True)
        reported = rows.cell(number, v, "reported_on", f.parse_date)
        if activity is None or person is None or trained is None or reported is None:
            continue
        key = (activity.pk, person.pk)
        if key in parsed:
            rows.error(number, "person", f"already reported for this activity on row {parsed[key][0]}")
            continue
        parsed[key] = (
            number,
            CascadeReport(source_activity=activity, person=person, people_trained=trained, reported_on=reported),
        )
    rows.raise_if_any()
    result = ImportResult("cascades", table.name)
    known = set(
        CascadeReport.objects.filter(source_activity_id__in={k[0] for k in parsed}).values_list(
            "source_activity_id", "person_id"
        )
    )
    _write_parsed(
        result,
        rows,
        parsed,
        known,
        lambda c: partial(
            services.cascade_save,
            by=user,
            activity=c.source_activity,
            person=c.person,
            people_trained=c.people_trained,
            reported_on=c.reported_on,
        ),  # fmt: skip
    )
    return result


def import_knowledge(
    source: str | Path | IO[bytes], *, user: User | None = None, name: str | None = None
) -> ImportResult:
    """Knowledge items and their stage; updated on re-import by activity and title."""
    from django.core.exceptions import ValidationError

    table = read_table(source, columns=COLUMNS["knowledge"], required=REQUIRED["knowledge"], name=name)
    rows = Rows(table)
    activities = _activity_cache(table)
    parsed: dict[tuple[int, str], tuple[int, KnowledgeItem]] = {}
    for number, v in table.rows:
        activity = _activity_for(user, rows, number, v["activity"], activities)
        kind = rows.cell(number, v, "kind", f.parse_choice, choices=KINDS)
        direction = rows.cell(number, v, "direction", f.parse_choice, choices=DIRECTIONS)
        stage = rows.cell(number, v, "stage", f.parse_choice, choices={k: str(n) for k, n in STAGES.items()})
        sustained = rows.cell(number, v, "sustained_at_follow_up", _bool)
        dates = {
            c: rows.cell(number, v, c, f.parse_date, required=False)
            for c in ("transferred_on", "translated_on", "effective_on")
        }
        if not v["title"]:
            rows.error(number, "title", "a title is required")
        if activity is None or None in (kind, direction, stage) or not v["title"]:
            continue
        item = KnowledgeItem(
            activity=activity,
            title=v["title"],
            kind=kind,
            direction=direction,
            stage=int(stage),
            adaptation=v["adaptation"],
            sustained_at_follow_up=sustained,
            **dates,
        )
        try:
            item.full_clean(exclude=["activity"])
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                rows.error(number, column, " ".join(messages))
            continue
        key = (activity.pk, v["title"])
        if key in parsed:
            rows.error(number, "title", f"the same item already appears on row {parsed[key][0]}")
            continue
        parsed[key] = (number, item)
    rows.raise_if_any()
    result = ImportResult("knowledge items", table.name)
    fields = [
        "kind",
        "direction",
        "stage",
        "adaptation",
        "sustained_at_follow_up",
        "transferred_on",
        "translated_on",
        "effective_on",
    ]
    known = {
        (k.activity_id, k.title): k for k in KnowledgeItem.objects.filter(activity_id__in={key[0] for key in parsed})
    }
    _write_parsed(
        result,
        rows,
        parsed,
        set(known),
        lambda item: partial(
            services.knowledge_item_save,
            by=user,
            item=known.get((item.activity_id, item.title)),
            activity=item.activity,
            title=item.title,
            **{name: getattr(item, name) for name in fields},
        ),  # fmt: skip
    )
    return result


IMPORTERS = {
    "activities": import_activities,
    "trainees": import_trainees,
    "assessments": import_assessments,
    "outcomes": import_outcomes,
    "costs": import_costs,
    "cascades": import_cascades,
    "knowledge": import_knowledge,
}
