"""The world every role is tried against: two partnerships, one user per role, and a person whose personal data
are sentinels that must never reach a role not allowed to see them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from healthlinks.accounts.models import Role, User
from healthlinks.activities.models import (
    Activity,
    AggregateTrainees,
    Assessment,
    CascadeReport,
    KnowledgeItem,
    Outcome,
    Trainee,
)
from healthlinks.evaluation import services as evaluation_services
from healthlinks.evidence.models import Reference
from healthlinks.interviews import services as interview_services
from healthlinks.network.models import PersonRole
from healthlinks.network.services import person_save, stay_create, tie_save
from healthlinks.programmes.services import partnership_add, programme_save
from healthlinks.projects.models import Project
from healthlinks.registry.models import AccessRole, PartnershipAccess, Publication
from healthlinks.registry.services import MemberSpec, institution_create, partnership_create
from healthlinks.results.models import CashCost, ComparatorProgramme, DayRate, InKindContribution, Result
from healthlinks.results.services import indicator_add
from tests.evaluation.conftest import CHOICES, SETTINGS, SURVEY, workbook

ROLES = (
    "public",
    "researcher",
    "member",
    "other_coordinator",
    "coordinator",
    "hub_admin",
    # Mixed memberships: what a user may do follows from their role in the record's partnership, never from the
    # account's role alone.
    "coord_b_member_a",  # account role coordinator; coordinates B, only a member of A
    "no_role_coord_a",  # no account role at all; coordinates A
    "admin_member_a",  # hub administrator who is also a member of A
)
# Roles that may see the sentinel person's personal data and partnership A's private fields.
PERSONAL_ROLES = frozenset(
    {"member", "coordinator", "hub_admin", "coord_b_member_a", "no_role_coord_a", "admin_member_a"}
)
SENTINELS = (
    "Sentinel-Name",
    "Sentinel-Family",
    "sentinel@example.org",
    "+44 7700 900461",
    "SENTINEL-EXT-1",
    "Sentinel private stay note",
    "Dr Sentinel Contact",
    "sentinel-contact@example.org",
    "Sentinel internal note",
)
PASSWORD = "Correct-Horse-9"


def _user(username: str, role: str, **extra: Any) -> User:
    user = User.objects.create(username=username, role=role, is_staff=role == Role.HUB_ADMIN, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def build_world() -> dict[str, Any]:
    users = {
        "researcher": _user("m_researcher", Role.RESEARCHER),
        "member": _user("m_member", Role.MEMBER),
        "other_coordinator": _user("m_other", Role.COORDINATOR),
        "coordinator": _user("m_coord", Role.COORDINATOR),
        "hub_admin": _user("m_admin", Role.HUB_ADMIN),
        "coord_b_member_a": _user("m_mixed", Role.COORDINATOR),
        "no_role_coord_a": _user("m_norole", ""),
        "admin_member_a": _user("m_admin_member", Role.HUB_ADMIN),
    }
    victim = _user("m_victim", Role.MEMBER)
    uk = institution_create(by=None, country_id="GBR", name="Matrix Teaching Hospital", kind="hospital")
    ug = institution_create(by=None, country_id="UGA", name="Matrix Regional Referral Hospital", kind="hospital")
    ke = institution_create(by=None, country_id="KEN", name="Matrix County Hospital", kind="hospital")
    a = partnership_create(
        by=None,
        members=[MemberSpec(institution=uk, role="lead"), MemberSpec(institution=ug, role="partner")],
        name="Matrix Partnership A",
        publication=Publication.PUBLISHED,
        start_date=date(2015, 1, 1),
        contact_name="Dr Sentinel Contact",
        contact_email="sentinel-contact@example.org",
        internal_notes="Sentinel internal note",
    )
    b = partnership_create(
        by=None,
        members=[MemberSpec(institution=uk, role="lead"), MemberSpec(institution=ke, role="partner")],
        name="Matrix Partnership B",
        publication=Publication.PUBLISHED,
        start_date=date(2015, 1, 1),
    )
    draft = partnership_create(
        by=None,
        members=[MemberSpec(institution=ke, role="lead"), MemberSpec(institution=ug, role="partner")],
        name="Matrix Draft C",
        publication=Publication.DRAFT,
        start_date=date(2015, 1, 1),
    )
    PartnershipAccess.objects.create(user=users["coordinator"], partnership=a, role=AccessRole.COORDINATOR)
    PartnershipAccess.objects.create(user=users["member"], partnership=a, role=AccessRole.MEMBER)
    PartnershipAccess.objects.create(user=users["other_coordinator"], partnership=b, role=AccessRole.COORDINATOR)
    PartnershipAccess.objects.create(user=users["coord_b_member_a"], partnership=b, role=AccessRole.COORDINATOR)
    PartnershipAccess.objects.create(user=users["coord_b_member_a"], partnership=a, role=AccessRole.MEMBER)
    PartnershipAccess.objects.create(user=users["no_role_coord_a"], partnership=a, role=AccessRole.COORDINATOR)
    PartnershipAccess.objects.create(user=users["admin_member_a"], partnership=a, role=AccessRole.MEMBER)
    sentinel = person_save(
        by=None,
        external_id="SENTINEL-EXT-1",
        given_name="Sentinel-Name",
        family_name="Sentinel-Family",
        email="sentinel@example.org",
        phone="+44 7700 900461",
        research_consent=True,
        cadre_id="2221",
        sex="female",
    )
    mentor = person_save(by=None, external_id="MENTOR-1", given_name="Mentor", research_consent=True)
    for person in (sentinel, mentor):
        PersonRole.objects.create(person=person, partnership=a, role="trainee")
    # A consenting person whose only partnership is a draft: no researcher may see them.
    drafted = person_save(by=None, external_id="DRAFT-ONLY-1", research_consent=True, cadre_id="2221")
    PersonRole.objects.create(person=drafted, partnership=draft, role="trainee")
    stay = stay_create(
        by=None,
        person=sentinel,
        partnership=a,
        sending_institution=uk,
        host_institution=ug,
        mode="physical",
        start_date=date(2016, 1, 1),
        end_date=date(2016, 2, 1),
        notes="Sentinel private stay note",
    )
    tie = tie_save(by=None, person_a=mentor, person_b=sentinel, kind="mentor_mentee")
    activity = Activity.objects.create(
        partnership=a,
        title="Matrix neonatal course",
        kind="training_course",
        mode="in_person",
        start_date=date(2016, 1, 10),
        end_date=date(2016, 1, 12),
    )
    activity.stays.add(stay)
    trainee = Trainee.objects.create(activity=activity, person=sentinel, facility_level="district")
    aggregate = AggregateTrainees.objects.create(activity=activity, sex="female", facility_level="district", count=3)
    assessment = Assessment.objects.create(
        activity=activity, person=sentinel, pre_score=Decimal(40), post_score=Decimal(80)
    )
    outcome = Outcome.objects.create(
        activity=activity, person=sentinel, level=1, dimension="satisfaction", rating=5, recorded_on=date(2016, 2, 1)
    )
    knowledge = KnowledgeItem.objects.create(
        activity=activity, title="Matrix protocol", kind="protocol", direction="north_south"
    )
    cost = CashCost.objects.create(
        partnership=a, category="travel", amount=Decimal(500), currency="GBP", spent_on=date(2016, 1, 1)
    )
    result = Result.objects.create(partnership=a, level=1, title="Matrix skilled staff")
    indicator = indicator_add(
        by=None, partnership=a, result_level=1, result_title="Matrix skilled staff", start=date(2016, 1, 1),
        end=date(2016, 12, 31), title="Matrix own indicator", actual=Decimal(3),
    ).indicator  # fmt: skip
    cascade = CascadeReport.objects.create(
        source_activity=activity, person=sentinel, people_trained=4, reported_on=date(2016, 6, 1)
    )
    gift = InKindContribution.objects.create(
        partnership=a,
        kind="donated_equipment",
        value=Decimal(250),
        currency="GBP",
        received_on=date(2016, 3, 1),
        valuation_method="invoice",
        description="Matrix oximeters",
    )
    day_rate = DayRate.objects.create(
        cadre_id="2221", year=2015, currency="GBP", day_rate=Decimal(240), method="custom"
    )
    comparator = ComparatorProgramme.objects.create(
        name="Matrix in-service course", kind="national_inservice", year=2015, currency="GBP",
        cash_cost=Decimal(1000), trainees=10, followed_up=5, practice_changed=2,
    )  # fmt: skip
    # Interviews: a transcript of A whose speaker description and memo are sentinels (A's members and hub admins
    # only; researchers see the coded passage without them); a reference linked to A.
    code = interview_services.code_save(by=None, name="Matrix funding")
    source = interview_services.source_save(
        by=None, partnership=a, title="Matrix interview", content="Speaker A: funding was short.\n"
    )
    interview_services.speaker_save(
        by=None, source=source, label="Speaker A", role="volunteer", description="Dr Sentinel Contact"
    )
    segment = interview_services.segment_create(by=None, source=source, code=code, start=11, end=29)
    interview_services.memo_create(by=None, text="Sentinel internal note", partnership=a, source=source)
    reference = Reference.objects.create(title="Matrix evidence", year=2016)
    reference.partnerships.add(a)
    project = Project.objects.create(
        partnership=a, iati_identifier="GB-MATRIX-A-1", title="Matrix project", reporting_org=uk
    )
    # A survey response of A by the sentinel, with a free-text answer that only A's readers may see.
    instrument = evaluation_services.instrument_save(
        by=None, raw=workbook(SURVEY, CHOICES, SETTINGS), name="matrix.xlsx", slug="matrix-survey"
    )
    comment = instrument.questions.get(name="comment")
    response, _ = evaluation_services.response_upsert(
        by=None,
        instrument=instrument,
        uuid="matrix-1",
        submitted_at=datetime(2016, 3, 1, tzinfo=UTC),
        source="kobo",
        answers=[
            evaluation_services.AnswerIn(
                comment, 0, evaluation_services.normalise(comment, "Sentinel private stay note")
            )
        ],
        links={"partnership": a, "person": sentinel},
    )
    invitation = evaluation_services.invitations_create(by=None, instrument=instrument, partnership=a, open_link=True)[
        0
    ]
    from healthlinks.planning.services import plan_save

    plan = plan_save(by=None, partnership=a, name="Matrix plan", years=1, lines=[{"mode": "virtual", "per_year": 4}])
    # a programme of A and the draft C: seen by all (A is published), edited by A's coordinators and hub admins
    programme = programme_save(
        by=None,
        name="Matrix Programme",
        slug="matrix-programme",
        period_start=date(2015, 1, 1),
        period_end=date(2016, 12, 31),
    )
    partnership_add(by=None, programme=programme, partnership=a)
    partnership_add(by=None, programme=programme, partnership=draft)
    from django.core.files.base import ContentFile

    from healthlinks.readiness.services import check_save, item_save

    readiness_item = item_save(by=None, name="Matrix indemnity", evidence_needed=True)
    readiness_check = check_save(
        by=None,
        stay=stay,
        item=readiness_item,
        done_on=date(2016, 1, 1),
        evidence=ContentFile(b"Sentinel-Name policy", name="policy.txt"),  # type: ignore[arg-type]
    )
    from healthlinks.careers.services import career_record_save

    # A career record of the sentinel: researchers see it (consenting person), its free-text note only A's readers.
    career_record = career_record_save(
        by=None, person=sentinel, recorded_on=date(2017, 3, 1), status="in_post", note="Sentinel private stay note"
    )
    return {
        "users": users,
        "ids": {
            "plan": plan.pk,
            "career_record": career_record.pk,
            "readiness_item": readiness_item.pk,
            "readiness_check": readiness_check.pk,
            "token": invitation.token,
            "a": a.slug,
            "b": b.slug,
            "person": sentinel.pseudo_id,
            "institution": ug.pk,
            "activity": activity.pk,
            "stay": stay.pk,
            "tie": tie.pk,
            "trainee": trainee.pk,
            "aggregate": aggregate.pk,
            "assessment": assessment.pk,
            "outcome": outcome.pk,
            "knowledge": knowledge.pk,
            "cost": cost.pk,
            "cascade": cascade.pk,
            "indicator": indicator.pk,
            "period": indicator.periods.get().pk,
            "in_kind": gift.pk,
            "mentor": mentor.pseudo_id,
            "result": result.pk,
            "code": code.pk,
            "source": source.pk,
            "segment": segment.pk,
            "reference": reference.pk,
            "victim": victim.username,
            "project": project.pk,
            "instrument": instrument.slug,
            "response": response.pk,
            "b_institution": ke.pk,
            "draft_person": drafted.pseudo_id,
            "draft": draft.slug,
            "day_rate": day_rate.pk,
            "comparator": comparator.pk,
            "programme": programme.slug,
        },
    }
