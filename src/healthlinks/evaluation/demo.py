"""Load the shipped instruments and file synthetic census responses (deterministic for a seed).

    from healthlinks.evaluation.demo import load_instruments, census_demo
    load_instruments()                      # the four XLSForms in evaluation/instruments/ (idempotent)
    census_demo(seed=1, n=40)               # n census responses from the registry's institutions

The demo world can call `stage_evaluation(world)` (World has .seed and .stats) as a stage."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction

from healthlinks.evaluation.models import Instrument, Source
from healthlinks.evaluation.services import AnswerIn, instrument_save, normalise, response_upsert

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"
SLUGS = {
    "partnership_census": "partnership-census",
    "volunteer_impact": "volunteer-impact",
    "twinning_survey": "twinning-survey",
    "trainee_followup": "trainee-followup",
}
CENSUS = "partnership-census"


def load_instruments() -> list[Instrument]:
    """Create or update the four shipped instruments (same slug: questions with answers are kept)."""
    out = []
    for stem, slug in SLUGS.items():
        path = INSTRUMENTS_DIR / f"{stem}.xlsx"
        out.append(instrument_save(by=None, raw=path.read_bytes(), name=path.name, slug=slug))
    return out


def _pick(rng: random.Random, codes: list[str], low: int, high: int, weights: list[float] | None = None) -> list[str]:
    k = rng.randint(low, min(high, len(codes)))
    chosen: list[str] = []
    pool = list(codes)
    w = list(weights) if weights else [1.0] * len(pool)
    while len(chosen) < k and pool:
        c = rng.choices(pool, weights=w)[0]
        i = pool.index(c)
        pool.pop(i)
        w.pop(i)
        chosen.append(c)
    return chosen


@transaction.atomic
def census_demo(*, seed: int = 1, n: int = 40) -> int:
    """File `n` synthetic census responses (uuids demo-census-<seed>-<i>: re-running updates them)."""
    from healthlinks.registry.models import Institution

    instrument = Instrument.objects.filter(slug=CENSUS).first() or load_instruments()[0]
    rng = random.Random(seed * 7919 + 11)
    questions = {q.name: q for q in instrument.questions.all()}
    codes: dict[str, list[str]] = {}
    for list_name, code in instrument.choices.values_list("list_name", "name"):
        codes.setdefault(list_name, []).append(code)
    institutions: list[Institution | None] = list(Institution.objects.filter(country_id="GBR").order_by("pk")[:n])
    institutions = institutions or [None]
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for i in range(n):
        institution = institutions[i % len(institutions)]
        values: dict[str, Any] = {
            "org_type": rng.choices(codes["org_type"], weights=[8, 1, 2, 1, 1, 0.5, 0.5])[0],
            "respondent_role": rng.choice(codes["role"]),
            "has_partnerships": "yes" if rng.random() < 0.8 else "no",
        }
        if institution is not None:
            values["institution"] = str(institution.pk)
        if values["has_partnerships"] == "yes":
            values.update(
                n_partnerships=str(rng.choices([1, 2, 3, 4, 6], weights=[5, 4, 2, 1, 1])[0]),
                countries=" ".join(_pick(rng, codes["country"], 1, 3, [6, 4, 4, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 1])),
                specialties=" ".join(_pick(rng, codes["specialty"], 1, 3)),
                partnership_types=" ".join(_pick(rng, codes["partnership_type"], 1, 3, [6, 3, 4, 4, 2, 2, 1, 1])),
                staff_involved=" ".join(_pick(rng, codes["staff"], 1, 4, [6, 3, 5, 2, 2, 3, 1])),
                staff_count=str(rng.randint(2, 60)),
                benefits=" ".join(_pick(rng, codes["benefit"], 1, 4, [6, 4, 5, 2, 3, 4, 2, 3])),
                challenges=" ".join(_pick(rng, codes["challenge"], 1, 4, [6, 6, 3, 2, 3, 1, 2, 2])),
                value_to_org=rng.choices(codes["agree5"], weights=[1, 2, 3, 7, 5])[0],
                evaluated=rng.choices(codes["yes_no_unsure"], weights=[3, 5, 2])[0],
            )
        values["support_needed"] = " ".join(_pick(rng, codes["support"], 1, 3, [6, 3, 5, 3, 2, 2]))
        answers = [
            AnswerIn(questions[name], 0, normalise(questions[name], value))
            for name, value in values.items()
            if name in questions
        ]
        submitted = start + timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 600))
        response_upsert(
            by=None,
            instrument=instrument,
            uuid=f"demo-census-{seed}-{i + 1}",
            submitted_at=submitted,
            source=Source.DEMO,
            answers=answers,
            links={"institution": institution},
            is_synthetic=True,
        )
    return n


def stage_evaluation(world: Any) -> None:
    """A demo-world stage: the instruments and 40 census responses."""
    load_instruments()
    world.stats["census responses"] = census_demo(seed=world.seed, n=40)
