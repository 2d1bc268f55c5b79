"""Export of activities, trainees, assessments, outcomes, costs, cascades and knowledge items (CSV/XLSX).

The same columns as their import (interchange/tabular/activities.py), scoped as on the API: activities of the
partnerships the user may see; person-level rows only for people the user may see, named by their external id
when the user may see that person's personal data and by their pseudonymous id otherwise; costs for hub
admins, the partnership's members and coordinators, and researchers (non-draft partnerships)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from healthlinks.accounts.models import Role, User
from healthlinks.activities import selectors as activity_selectors
from healthlinks.activities.models import (
    Activity,
    AggregateTrainees,
    Assessment,
    CascadeReport,
    KnowledgeItem,
    Outcome,
    Stage,
    Trainee,
)
from healthlinks.interchange.tabular.activities import COLUMNS
from healthlinks.interchange.tabular.registry import Countries, InstitutionIndex
from healthlinks.network import selectors as network_selectors
from healthlinks.network.models import Person, Stay
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import Partnership, Publication
from healthlinks.results.models import CashCost

Table = tuple[list[str], list[list[Any]]]
STAGE_NAMES: dict[int, str] = {
    Stage.TRANSFERRED: "transferred",
    Stage.TRANSLATED: "translated",
    Stage.EFFECTIVE: "effective",
}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


class People:
    """Which people the user may see, and whose external id (personal data) they may see."""

    def __init__(self, user: User | None) -> None:
        self.everyone = user is None or network_selectors.sees_all_personal_data(user)
        self.visible = Person.objects.filter(deleted_at__isnull=True)
        self.personal: set[int] = set()
        if not self.everyone:
            assert user is not None
            self.visible = network_selectors.people_visible_to(user)
            self.personal = set(network_selectors.people_with_personal_access(user).values_list("pk", flat=True))

    def filter(self, qs: QuerySet[Any], *, optional: bool = False) -> QuerySet[Any]:
        """Rows of visible people (and, if optional, rows without a person)."""
        visible = qs.filter(person__in=self.visible.values("pk"))
        return (visible | qs.filter(person__isnull=True)) if optional else visible

    def ident(self, person: Person | None) -> str:
        if person is None:
            return ""
        if self.everyone or person.pk in self.personal:
            return person.external_id or person.pseudo_id
        return person.pseudo_id


def _activities(user: User | None, partnership: Partnership | None) -> QuerySet[Activity]:
    qs = (
        Activity.objects.filter(partnership__deleted_at__isnull=True)
        if user is None
        else activity_selectors.activities_visible_to(user)
    )
    return qs.filter(partnership=partnership) if partnership is not None else qs


def export_activities(user: User | None, partnership: Partnership | None = None) -> Table:
    activities = _activities(user, partnership).select_related("partnership", "venue").order_by("start_date", "pk")
    stays = (
        Stay.objects.filter(person__deleted_at__isnull=True)
        if user is None
        else network_selectors.stays_visible_to(user)
    )
    stays_of: dict[int, list[str]] = {}
    for activity_id, external_id in (
        Activity.stays.through.objects.filter(activity__in=activities, stay__in=stays)
        .exclude(stay__external_id=None)
        .values_list("activity_id", "stay__external_id")
        .order_by("stay__external_id")
    ):
        stays_of.setdefault(activity_id, []).append(external_id or "")
    index = InstitutionIndex(Countries())
    out = [
        [
            a.external_id or "",
            a.partnership.slug,
            a.title,
            a.kind,
            a.mode,
            _cell(a.start_date),
            _cell(a.end_date),
            index.plain_ref(a.venue) if a.venue else "",
            a.purpose_code_id or "",
            _cell(a.training_of_trainers),
            _cell(a.hours),
            ";".join(stays_of.get(a.pk, [])),
        ]
        for a in activities
    ]
    return COLUMNS["activities"], out


def export_trainees(user: User | None, partnership: Partnership | None = None) -> Table:
    """Named trainees first, then the counted cells (cadre x sex x facility level)."""
    activities = _activities(user, partnership)
    people = People(user)
    named = (
        people.filter(Trainee.objects.filter(activity__in=activities))
        .select_related("activity", "person")
        .order_by("activity__start_date", "activity_id", "pk")
    )
    counted = (
        AggregateTrainees.objects.filter(activity__in=activities)
        .select_related("activity")
        .order_by("activity__start_date", "activity_id", "pk")
    )
    out = [
        [t.activity.external_id or "", people.ident(t.person), "", "", t.facility_level, _cell(t.completed), ""]
        for t in named
    ]
    out += [[a.activity.external_id or "", "", a.cadre_id or "", a.sex, a.facility_level, "", a.count] for a in counted]
    return COLUMNS["trainees"], out


def export_assessments(user: User | None, partnership: Partnership | None = None) -> Table:
    people = People(user)
    qs = (
        people.filter(Assessment.objects.filter(activity__in=_activities(user, partnership)))
        .select_related("activity", "person")
        .order_by("activity__start_date", "activity_id", "pk")
    )
    out = [
        [
            a.activity.external_id or "",
            people.ident(a.person),
            _cell(a.pre_score),
            _cell(a.post_score),
            _cell(a.max_score),
        ]
        for a in qs
    ]
    return COLUMNS["assessments"], out


def export_outcomes(user: User | None, partnership: Partnership | None = None) -> Table:
    """Facility (L4) outcomes carry no person; person-level outcomes only of people the user may see."""
    people = People(user)
    qs = (
        people.filter(Outcome.objects.filter(activity__in=_activities(user, partnership)), optional=True)
        .select_related("activity", "person")
        .order_by("activity__start_date", "activity_id", "pk")
    )
    out = [
        [
            o.activity.external_id or "",
            people.ident(o.person),
            o.level,
            o.dimension,
            _cell(o.rating),
            _cell(o.practice_changed),
            _cell(o.follow_up_months),
            o.indicator,
            _cell(o.value),
            o.unit,
            o.method,
            _cell(o.recorded_on),
        ]
        for o in qs
    ]
    return COLUMNS["outcomes"], out


def _cost_partnerships(user: User | None) -> QuerySet[Partnership] | None:
    """As the costs API: hub admins everything; members and coordinators their partnerships; researchers the
    partnerships that are not drafts."""
    if user is None or registry_selectors.is_hub_admin(user):
        return None
    visible = registry_selectors.partnerships_visible_to(user)
    if getattr(user, "role", None) == Role.RESEARCHER:
        return visible.exclude(publication=Publication.DRAFT)
    return visible.filter(pk__in=network_selectors.personal_partnership_ids(user))


def export_costs(user: User | None, partnership: Partnership | None = None) -> Table:
    qs = CashCost.objects.filter(partnership__deleted_at__isnull=True)
    allowed = _cost_partnerships(user)
    if allowed is not None:
        qs = qs.filter(partnership__in=allowed)
    if partnership is not None:
        qs = qs.filter(partnership=partnership)
    out = [
        [
            c.external_id or "",
            c.partnership.slug,
            (c.activity.external_id or "") if c.activity else "",
            c.category,
            _cell(c.amount),
            c.currency,
            _cell(c.spent_on),
            c.description,
        ]
        for c in qs.select_related("partnership", "activity").order_by("spent_on", "pk")
    ]
    return COLUMNS["costs"], out


def export_cascades(user: User | None, partnership: Partnership | None = None) -> Table:
    people = People(user)
    qs = (
        people.filter(CascadeReport.objects.filter(source_activity__in=_activities(user, partnership)))
        .select_related("source_activity", "person")
        .order_by("source_activity__start_date", "source_activity_id", "pk")
    )
    out = [
        [c.source_activity.external_id or "", people.ident(c.person), c.people_trained, _cell(c.reported_on)]
        for c in qs
    ]
    return COLUMNS["cascades"], out


def export_knowledge(user: User | None, partnership: Partnership | None = None) -> Table:
    qs = (
        KnowledgeItem.objects.filter(activity__in=_activities(user, partnership))
        .select_related("activity")
        .order_by("activity__start_date", "activity_id", "pk")
    )
    out = [
        [
            k.activity.external_id or "",
            k.title,
            k.kind,
            k.direction,
            STAGE_NAMES.get(k.stage, str(k.stage)),
            k.adaptation,
            _cell(k.sustained_at_follow_up),
            _cell(k.transferred_on),
            _cell(k.translated_on),
            _cell(k.effective_on),
        ]
        for k in qs
    ]
    return COLUMNS["knowledge"], out


EXPORTERS: dict[str, Callable[[User | None, Partnership | None], Table]] = {
    "activities": export_activities,
    "trainees": export_trainees,
    "assessments": export_assessments,
    "outcomes": export_outcomes,
    "costs": export_costs,
    "cascades": export_cascades,
    "knowledge": export_knowledge,
}
