"""A small world for the research export: personal data full of distinctive strings, people who did and did not
consent, a draft partnership, a soft-deleted person, and one of every record the export covers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from healthlinks.activities.models import (
    Activity,
    AggregateTrainees,
    Assessment,
    CascadeReport,
    KnowledgeItem,
    Outcome,
    Trainee,
)
from healthlinks.network.models import Person, PersonRole, StaySession
from healthlinks.network.services import person_save, stay_create, tie_save
from healthlinks.registry.models import Partnership, PrinciplesAssessment, Publication
from healthlinks.registry.services import institution_create
from healthlinks.results.models import (
    CashCost,
    CurrencyRate,
    DayRate,
    Indicator,
    IndicatorDisaggregation,
    IndicatorPeriod,
    InKindContribution,
    Result,
)

# Strings that must never appear in a research export.
PERSONAL = {
    "consenting": {
        "external_id": "XSECRET-EXT-ALPHA",
        "given_name": "Zebulonia",
        "family_name": "Quartermaine",
        "email": "zebulonia.q@private.example",
        "phone": "+44 7700 900123",
    },
    "refusing": {
        "external_id": "XSECRET-EXT-BRAVO",
        "given_name": "Thaddeus",
        "family_name": "Vexingham",
        "email": "t.vexingham@private.example",
        "phone": "+256 700 555111",
    },
    "peer": {
        "external_id": "XSECRET-EXT-CHARLIE",
        "given_name": "Ottoline",
        "family_name": "Brackenbury",
        "email": "ottoline@private.example",
        "phone": "+44 7700 900999",
    },
    "deleted": {
        "external_id": "XSECRET-EXT-DELTA",
        "given_name": "Peregrine",
        "family_name": "Smallwood",
        "email": "peregrine@private.example",
        "phone": "+44 7700 900555",
    },
}
NOTES = [
    "XSECRET stay note about Zebulonia's illness",
    "XSECRET tie source: told by Thaddeus",
    "XSECRET activity note",
    "XSECRET cost description: taxi for Zebulonia",
    "XSECRET valued by asking Ottoline",
    "XSECRET in-kind description",
    "XSECRET adaptation notes by Quartermaine",
    "XSECRET result description",
    "XSECRET period comment",
    "XSECRET partnership summary",
    "XSECRET Dr Contact Person",
    "xsecret-contact@private.example",
    "XSECRET internal note",
    "XSECRET grant GR-0042",
    "XSECRET principles note",
]
SENTINELS = [value for person in PERSONAL.values() for value in person.values()] + NOTES


def build(make_partnership: Callable[..., Partnership]) -> dict[str, Any]:
    a = make_partnership(
        name="Research Partnership A",
        summary=NOTES[9],
        contact_name=NOTES[10],
        contact_email=NOTES[11],
        internal_notes=NOTES[12],
        grant_reference=NOTES[13],
        start_date=date(2018, 1, 1),
        end_date=date(2022, 12, 31),
    )
    draft = make_partnership(name="Research Draft B", countries=("GBR", "KEN"), publication=Publication.DRAFT)
    PrinciplesAssessment.objects.create(partnership=a, assessed_on=date(2020, 1, 1), scores={"1": 4}, notes=NOTES[14])
    uk, ug = (m.institution for m in a.members.order_by("role"))
    ke = draft.members.get(role="partner").institution
    # Namibia's ISO alpha-2 code is "NA": the CSV must keep it a string, not a missing value.
    namibia = institution_create(by=None, country_id="NAM", name="Windhoek Central Hospital", kind="hospital")

    def person(key: str, consent: bool, **fields: Any) -> Person:
        return person_save(by=None, research_consent=consent, **PERSONAL[key], **fields)

    consenting = person("consenting", True, cadre_id="2221", sex="female", home_institution=ug, grade="Band 6")
    refusing = person("refusing", False, cadre_id="2221", sex="male", home_institution=ug)
    peer = person("peer", True, cadre_id="2211", sex="male", home_institution=uk)
    deleted = person("deleted", True, cadre_id="2221", sex="female", home_institution=ug)
    Person.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    only_draft = person_save(by=None, research_consent=True, cadre_id="3221", sex="female", home_institution=ke)
    for p in (consenting, refusing, peer, deleted):
        PersonRole.objects.create(person=p, partnership=a, role="trainee")
    PersonRole.objects.create(person=only_draft, partnership=draft, role="volunteer")

    stay = stay_create(
        by=None,
        person=consenting,
        partnership=a,
        sending_institution=uk,
        host_institution=ug,
        mode="physical",
        start_date=date(2017, 12, 20),  # before the partnership started
        end_date=date(2018, 3, 1),
        purposes=["teaching", "clinical_service"],
        funding="partnership",
        notes=NOTES[0],
    )
    virtual = stay_create(
        by=None,
        person=consenting,
        partnership=a,
        sending_institution=namibia,
        host_institution=ug,
        mode="virtual",
        start_date=date(2019, 5, 1),
        end_date=date(2019, 5, 1),
        virtual_hours=Decimal("2.5"),
        purposes=[],
    )
    StaySession.objects.create(stay=virtual, date=date(2019, 5, 1), hours=Decimal("2.5"))
    refused_stay = stay_create(
        by=None,
        person=refusing,
        partnership=a,
        sending_institution=ug,
        host_institution=uk,
        mode="physical",
        start_date=date(2019, 1, 1),
        end_date=date(2019, 6, 30),
        notes=NOTES[0],
    )
    stay_create(
        by=None,
        person=deleted,
        partnership=a,
        host_institution=uk,
        mode="physical",
        start_date=date(2019, 1, 1),
        end_date=date(2019, 1, 5),
    )
    draft_stay = stay_create(
        by=None,
        person=only_draft,
        partnership=draft,
        host_institution=ke,
        mode="physical",
        start_date=date(2021, 1, 1),
        end_date=date(2021, 1, 10),
    )
    tie_save(by=None, person_a=consenting, person_b=peer, kind="mentor_mentee", source=NOTES[1])
    tie_save(by=None, person_a=consenting, person_b=refusing, kind="counterparts", source=NOTES[1])
    tie_save(by=None, person_a=peer, person_b=deleted, kind="co_authors", source=NOTES[1])

    course = Activity.objects.create(
        partnership=a,
        title="Neonatal resuscitation course",
        kind="training_course",
        mode="in_person",
        start_date=date(2018, 2, 1),
        end_date=date(2018, 2, 3),
        venue=ug,
        purpose_code_id="12220",
        training_of_trainers=True,
        hours=Decimal("18.0"),
        notes=NOTES[2],
    )
    course.stays.add(stay, refused_stay)
    course.facilitators.add(consenting, refusing)
    for p in (consenting, refusing, peer):
        Trainee.objects.create(activity=course, person=p, facility_level="district")
    AggregateTrainees.objects.create(activity=course, cadre_id="3221", sex="female", facility_level="primary", count=7)
    Assessment.objects.create(activity=course, person=consenting, pre_score=Decimal(40), post_score=Decimal(70))
    Assessment.objects.create(
        activity=course, person=peer, pre_score=Decimal(20), post_score=Decimal(20), max_score=Decimal(20)
    )
    Assessment.objects.create(activity=course, person=refusing, pre_score=Decimal(10), post_score=Decimal(90))
    Outcome.objects.create(
        activity=course, person=consenting, level=1, dimension="satisfaction", rating=5, recorded_on=date(2018, 2, 3)
    )
    Outcome.objects.create(
        activity=course, person=refusing, level=1, dimension="satisfaction", rating=1, recorded_on=date(2018, 2, 3)
    )
    Outcome.objects.create(
        activity=course,
        person=consenting,
        level=3,
        dimension="practice",
        practice_changed=True,
        follow_up_months=6,
        method="observed",
        recorded_on=date(2018, 8, 3),
    )
    Outcome.objects.create(
        activity=course,
        level=4,
        dimension="indicator",
        indicator="Neonatal mortality",
        value=Decimal("12.500"),
        unit="per 1000 live births",
        recorded_on=date(2019, 1, 1),
    )
    CascadeReport.objects.create(
        person=consenting, source_activity=course, people_trained=12, reported_on=date(2019, 1, 1)
    )
    CascadeReport.objects.create(
        person=refusing, source_activity=course, people_trained=3, reported_on=date(2019, 1, 1)
    )
    KnowledgeItem.objects.create(
        activity=course,
        title="Helping Babies Breathe",
        kind="protocol",
        direction="north_south",
        stage=2,
        adaptation=NOTES[6],
        transferred_on=date(2018, 2, 3),
        translated_on=date(2018, 6, 1),
    )
    CashCost.objects.create(
        partnership=a,
        activity=course,
        category="travel",
        amount=Decimal("1234.56"),
        currency="GBP",
        spent_on=date(2018, 1, 15),
        description=NOTES[3],
    )
    InKindContribution.objects.create(
        partnership=a,
        kind="donated_equipment",
        value=Decimal("500.00"),
        currency="UGX",
        received_on=date(2018, 3, 1),
        valuation_method=NOTES[4],
        description=NOTES[5],
    )
    CurrencyRate.objects.create(currency="UGX", year=2018, rate=Decimal("0.00021"))
    DayRate.objects.create(grade="Band 6", year=2018, currency="GBP", day_rate=Decimal("250.00"), method="custom")
    result = Result.objects.create(partnership=a, level=2, title="Better newborn care", description=NOTES[7])
    library = Indicator.objects.create(result=result, library_code="TRN-01", title="Health workers trained")
    own = Indicator.objects.create(result=result, title="Protocols adopted", unit="protocols", baseline=Decimal(1))
    computed = IndicatorPeriod.objects.create(
        indicator=library, start=date(2018, 1, 1), end=date(2018, 12, 31), target=Decimal(20), comment=NOTES[8]
    )
    IndicatorDisaggregation.objects.create(period=computed, dimension="sex", category="female", target=Decimal(10))
    IndicatorPeriod.objects.create(
        indicator=own, start=date(2018, 1, 1), end=date(2018, 12, 31), target=Decimal(3), actual=Decimal(2)
    )
    return {
        "a": a,
        "draft": draft,
        "consenting": consenting,
        "refusing": refusing,
        "peer": peer,
        "deleted": deleted,
        "only_draft": only_draft,
        "stay": stay,
        "virtual": virtual,
        "refused_stay": refused_stay,
        "draft_stay": draft_stay,
        "course": course,
        "namibia": namibia,
    }
