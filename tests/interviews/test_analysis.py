"""Code frequencies, co-occurrence (overlap and same source), grouping by role and country, speaker turns."""

from __future__ import annotations

import pytest

from healthlinks.interviews import selectors, services
from healthlinks.interviews.models import Code, Segment
from tests.interviews.conftest import TRANSCRIPT


def test_segments_belong_to_the_speaker_whose_turn_they_start_in(coded_world):
    s1, s2, s3 = coded_world["segments"]
    for s in (s1, s2, s3):
        s.refresh_from_db()
    assert s1.speaker.label == "Speaker A" and s3.speaker.label == "Speaker B"
    interviewer = services.segment_create(
        by=None, source=coded_world["source"], code=coded_world["time"], start=0, end=5
    )
    assert interviewer.speaker is None


def test_frequencies_by_role_and_country(coded_world):
    rows = selectors.code_frequencies(Segment.objects.all(), "role")
    assert {(r["code"], r["group"], r["segments"], r["sources"]) for r in rows} == {
        ("Funding", "Volunteer", 1, 1),
        ("Time", "Volunteer", 1, 1),
        ("Skills and knowledge", "Counterpart", 1, 1),
    }
    by_country = {(r["code"], r["group"]) for r in selectors.code_frequencies(Segment.objects.all(), "country")}
    assert ("Skills and knowledge", "UGA") in by_country and ("Funding", "GBR") in by_country
    filtered = selectors.filter_segments(Segment.objects.all(), role="counterpart")
    assert [r["code"] for r in selectors.code_frequencies(filtered)] == ["Skills and knowledge"]


def test_co_occurrence_counts_overlapping_spans_only(coded_world):
    result = selectors.co_occurrence(Segment.objects.all(), "overlap")
    names = [c["name"] for c in result["codes"]]
    cell = {(a, b): result["matrix"][i][j] for i, a in enumerate(names) for j, b in enumerate(names)}
    assert cell[("Funding", "Time")] == cell[("Time", "Funding")] == 1  # Time lies inside Funding's span
    assert cell[("Funding", "Skills and knowledge")] == 0  # other turn, no overlap
    assert cell[("Funding", "Funding")] == 1


def test_co_occurrence_in_the_same_source(coded_world):
    result = selectors.co_occurrence(Segment.objects.all(), "source")
    names = [c["name"] for c in result["codes"]]
    cell = {(a, b): result["matrix"][i][j] for i, a in enumerate(names) for j, b in enumerate(names)}
    assert cell[("Funding", "Skills and knowledge")] == 1
    # a second transcript with only Funding: Funding is in 2 sources, the pair still in 1
    other = services.source_save(by=None, partnership=coded_world["p"], title="Second", content="funding again")
    services.segment_create(by=None, source=other, code=coded_world["funding"], start=0, end=7)
    result = selectors.co_occurrence(Segment.objects.all(), "source")
    names = [c["name"] for c in result["codes"]]
    cell = {(a, b): result["matrix"][i][j] for i, a in enumerate(names) for j, b in enumerate(names)}
    assert cell[("Funding", "Funding")] == 2 and cell[("Funding", "Skills and knowledge")] == 1


def test_segment_text_is_the_passage_at_the_offsets(coded_world):
    s1 = coded_world["segments"][0]
    assert s1.text == TRANSCRIPT[s1.start : s1.end] == "We had no money for flights, so funding "


def test_starter_codebook_is_idempotent_and_keeps_edits(db):
    first = services.codebook_load_starter()
    assert first == {"created": 24, "kept": 0}
    funding = Code.objects.get(name="Funding")
    services.code_save(by=None, code=funding, name="Funding and money")
    assert services.codebook_load_starter() == {"created": 0, "kept": 24}
    assert Code.objects.filter(name="Funding and money").exists() and Code.objects.count() == 24
    benefits = Code.objects.get(name="Benefits", parent=None)
    assert benefits.children.count() == 4 and Code.objects.get(name="Challenges").children.count() == 6


def test_a_code_cannot_be_moved_inside_itself(db):
    from django.core.exceptions import ValidationError

    services.codebook_load_starter()
    benefits = Code.objects.get(name="Benefits")
    child = benefits.children.first()
    with pytest.raises(ValidationError, match="inside itself"):
        services.code_save(by=None, code=benefits, parent=child)


def test_coded_text_cannot_change(coded_world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="cannot change"):
        services.source_save(by=None, source=coded_world["source"], content="something else")
