"""The permission-matrix world (tests/security/world.py) with at least one record behind every API resource, so that
each list and detail is read with real rows: results with computed and typed periods, in-kind gifts, rates,
a cascade, a virtual stay recorded as sessions, themes, survey responses and an IATI-shaped project."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.test import override_settings
from rest_framework.authtoken.models import Token

from healthlinks.evaluation.demo import CENSUS, INSTRUMENTS_DIR, census_demo
from healthlinks.evaluation.models import Response
from healthlinks.evaluation.services import AnswerIn, instrument_save, normalise, response_upsert
from healthlinks.evidence.models import Reference, Theme
from healthlinks.network.models import Person
from healthlinks.network.services import stay_create, stay_sessions_set
from healthlinks.projects.services import ProjectParts, project_save
from healthlinks.registry.models import Institution, Partnership
from healthlinks.results.models import CurrencyRate, DayRate
from healthlinks.results.services import indicator_add
from tests.security.world import build_world


def build_api_world() -> dict[str, Any]:
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):  # fast log-ins
        world = build_world()
    ids = world["ids"]
    a = Partnership.objects.get(slug=ids["a"])
    sentinel = Person.objects.get(pseudo_id=ids["person"])
    ug = Institution.objects.get(pk=ids["institution"])
    uk = a.members.get(role="lead").institution

    indicator_add(
        by=None, partnership=a, result_level=1, result_title="Matrix skilled staff", start=date(2016, 1, 1),
        end=date(2016, 12, 31), library_code="TRN-01", target=Decimal(10), disaggregate=True,
        targets_by={("sex", "female"): Decimal(6)},
    )  # fmt: skip
    indicator_add(
        by=None, partnership=a, result_level=2, result_title="Matrix safer surgery", start=date(2016, 1, 1),
        end=date(2016, 12, 31), title="Checklist use", measure=2, numerator=Decimal(3), denominator=Decimal(4),
    )  # fmt: skip
    CurrencyRate.objects.create(currency="UGX", year=2016, rate=Decimal("0.00021"), source="matrix")
    DayRate.objects.create(cadre_id="2221", year=2016, currency="GBP", day_rate=Decimal(250), method="custom")
    virtual = stay_create(
        by=None, person=sentinel, partnership=a, sending_institution=uk, host_institution=ug, mode="virtual",
        start_date=date(2016, 5, 1), end_date=date(2016, 5, 1), virtual_hours=Decimal(1),
    )  # fmt: skip
    stay_sessions_set(by=None, stay=virtual, sessions=[(date(2016, 5, 1), Decimal("1.5")), (date(2016, 5, 8), 2)])
    theme = Theme.objects.create(slug="mobility", name="Mobility")
    Reference.objects.get(pk=ids["reference"]).themes.add(theme)

    census = INSTRUMENTS_DIR / "partnership_census.xlsx"
    instrument = instrument_save(by=None, raw=census.read_bytes(), name=census.name, slug=CENSUS)
    census_demo(seed=3, n=2)
    free_text = instrument.questions.filter(type="text").first()
    response, _created = response_upsert(
        by=None, instrument=instrument, uuid="matrix-1", submitted_at=datetime(2016, 7, 1, tzinfo=UTC),
        source="web", answers=[AnswerIn(free_text, 0, normalise(free_text, "Matrix free text"))] if free_text else [],
        links={"partnership": a, "person": sentinel},
    )  # fmt: skip
    project = project_save(
        by=None,
        partnership=a,
        fields={"iati_identifier": "GB-CHC-000000-MATRIX", "title": "Matrix project", "reporting_org": uk,
                "titles": [{"lang": "en", "text": "Matrix project"}], "activity_status": "2",
                "recipient_countries": [{"code": "UG", "percentage": "100"}], "planned_start": date(2016, 1, 1)},
        parts=ProjectParts(
            participants=[{"role": "1", "org_type": "21", "ref": "GB-CHC-000000", "names": [{"text": "Matrix"}]}],
            budgets=[{"budget_type": "1", "status": "2", "period_start": date(2016, 1, 1),
                      "period_end": date(2016, 12, 31), "value": Decimal(1000), "currency": "GBP"}],
            transactions=[{"transaction_type": "3", "date": date(2016, 2, 1), "value": Decimal(500),
                           "currency": "GBP"}],
            results=[{"result_type": "1", "titles": [{"text": "Trained"}],
                      "indicators": [{"measure": "1", "titles": [{"text": "Staff trained"}],
                                      "periods": [{"period_start": date(2016, 1, 1), "period_end": date(2016, 12, 31),
                                                   "targets": [{"value": "10"}], "actuals": [{"value": "8"}]}]}]}],
        ),
    )  # fmt: skip
    ids.update(
        virtual_stay=virtual.pk,
        theme=theme.slug,
        instrument=instrument.slug,
        response=response.pk,
        any_response=Response.objects.exclude(pk=response.pk).values_list("pk", flat=True).first(),
        project=project.pk,
        currency_rate=CurrencyRate.objects.get(currency="UGX").pk,
        day_rate=DayRate.objects.get(year=2016).pk,
        person_role=a.person_roles.order_by("pk").values_list("pk", flat=True).first(),
        memo=a.interview_memos.values_list("pk", flat=True).first(),
        iso3="UGA",
    )
    world["tokens"] = {role: Token.objects.create(user=user).key for role, user in world["users"].items()}
    world["token"] = world["tokens"]["hub_admin"]
    return world
