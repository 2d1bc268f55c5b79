"""A small world in which every shipped import template (catalogue.EXAMPLES) imports cleanly, so that mutations of
a valid file reach the importers' deeper checks and writes, not only the header check."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from healthlinks.accounts.models import Role, User
from healthlinks.registry.models import AccessRole, PartnershipAccess, Publication


@pytest.fixture
def template_world(make_institution) -> dict[str, Any]:
    from healthlinks.network.services import person_save, stay_create
    from healthlinks.registry.services import MemberSpec, partnership_create

    coordinator = User.objects.create(username="fuzzcoord", role=Role.COORDINATOR)  # no password: hashing is slow
    leeds = make_institution("GBR", name="Leeds Teaching Hospitals NHS Trust")
    gulu = make_institution("UGA", name="Gulu Regional Referral Hospital")
    p = partnership_create(
        by=None,
        members=[MemberSpec(institution=leeds, role="lead"), MemberSpec(institution=gulu, role="partner")],
        name="Leeds Gulu Anaesthesia Partnership",
        publication=Publication.PUBLISHED,
        start_date=date(2015, 1, 1),
    )
    PartnershipAccess.objects.create(user=coordinator, partnership=p, role=AccessRole.COORDINATOR)
    people = {
        ext: person_save(by=None, external_id=ext, given_name=ext, family_name="Fuzz", research_consent=True)
        for ext in ("V-001", "V-002", "V-014")
    }
    stay_create(
        by=None,
        external_id="S-2025-001",
        person=people["V-001"],
        partnership=p,
        sending_institution=leeds,
        host_institution=gulu,
        mode="physical",
        start_date=date(2025, 2, 3),
        end_date=date(2025, 2, 21),
    )
    from healthlinks.activities.models import Activity

    Activity.objects.create(
        external_id="A-2025-01",
        partnership=p,
        title="Obstetric emergencies",
        kind="training_course",
        mode="in_person",
        start_date=date(2025, 2, 10),
        end_date=date(2025, 2, 12),
    )
    return {"p": p, "leeds": leeds, "gulu": gulu, "people": people, "coordinator": coordinator}


SURVEY = [
    ["type", "name", "label", "required", "relevant", "constraint"],
    ["text", "partnership", "Partnership", "", "", ""],
    ["begin group", "org", "Organisation", "", "", ""],
    ["select_one kind", "org_type", "Kind", "", "", ""],
    ["end group", "", "", "", "", ""],
    ["select_multiple topic", "topics", "Topics", "", "", ""],
    ["integer", "n", "How many", "", "", ". <= 10"],
    ["decimal", "cost", "Cost", "", "", ""],
    ["date", "when", "When", "", "", ""],
    ["begin repeat", "kids", "Children", "", "", ""],
    ["text", "kid_name", "Name", "", "", ""],
    ["integer", "kid_age", "Age", "", "${kid_name} != ''", ""],
    ["end repeat", "", "", "", "", ""],
]
CHOICES = [
    ["list_name", "name", "label"],
    ["kind", "trust", "NHS trust"],
    ["kind", "uni", "University"],
    ["topic", "skills", "Skills"],
    ["topic", "exchange", "Exchange"],
]
SETTINGS = [["form_title", "form_id", "version"], ["Fuzz survey", "fuzz_survey", "1"]]


@pytest.fixture
def form_bytes() -> bytes:
    from tests.fuzz.common import xlsx_bytes

    return xlsx_bytes({"survey": SURVEY, "choices": CHOICES, "settings": SETTINGS})


@pytest.fixture
def survey_world(template_world, form_bytes):
    from healthlinks.evaluation.services import instrument_save

    instrument = instrument_save(by=None, raw=form_bytes, name="fuzz_survey.xlsx", slug="fuzz-survey")
    return {**template_world, "instrument": instrument}
