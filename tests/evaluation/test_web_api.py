"""Analysis counts against a hand count, permissions on pages, exports and API, the web form server checks."""

from __future__ import annotations

import pytest

from healthlinks.accounts.models import Role
from healthlinks.evaluation.demo import census_demo, load_instruments
from healthlinks.evaluation.models import Response
from healthlinks.interchange.surveys.importer import import_responses
from healthlinks.interchange.tabular.reader import ImportRejected
from healthlinks.registry.models import Publication

pytestmark = pytest.mark.django_db

ROWS = (
    "partnership,org/org_type,org/respondent_role,topics,n,value,comment,_uuid,_submission_time\n"
    "{a},trust,lead,skills mentor,3,agree,Dr Secret said hi,r1,2026-03-01T10:00:00\n"
    "{a},trust,nurse,skills,5,strongly_agree,,r2,2026-03-05T10:00:00\n"
    "{b},uni,nurse,exchange,,disagree,,r3,2026-04-02T10:00:00\n"
)


@pytest.fixture
def world(instrument, make_partnership, make_user, write_csv):
    coord = make_user("coord", Role.COORDINATOR)
    member = make_user("memb", Role.MEMBER)
    other = make_user("othercoord", Role.COORDINATOR)
    a = make_partnership(name="Alpha", coordinator=coord, member=member)
    b = make_partnership(name="Beta", coordinator=other, publication=Publication.DRAFT)
    import_responses(write_csv("r.csv", ROWS.format(a=a.slug, b=b.slug)), instrument=instrument)
    return {"a": a, "b": b, "coord": coord, "member": member, "other": other, "i": instrument}


def test_analysis_counts_match_a_hand_count(world, admin_user):
    from healthlinks.evaluation.selectors import question_analysis, response_counts_by_month, responses_visible_to

    responses = responses_visible_to(admin_user).filter(instrument=world["i"])
    analysis = {a["q"].name: a for a in question_analysis(world["i"], admin_user, responses)}
    topics = {r["code"]: r["n"] for r in analysis["topics"]["rows"]}
    assert topics == {"skills": 2, "exchange": 1, "mentor": 1}
    assert analysis["topics"]["answered"] == 3
    assert analysis["value"]["kind"] == "likert" and analysis["org_type"]["kind"] == "choices"
    assert analysis["n"]["sum"] == 8 and analysis["n"]["mean"] == 4 and analysis["n"]["answered"] == 2
    assert response_counts_by_month(responses) == [{"month": "2026-03", "n": 2}, {"month": "2026-04", "n": 1}]


def test_crosstab_by_partnership_and_role(world, admin_user):
    from healthlinks.evaluation.selectors import crosstab, responses_visible_to

    responses = responses_visible_to(admin_user).filter(instrument=world["i"])
    q = world["i"].questions.get(name="org_type")
    table = crosstab(world["i"], admin_user, responses, q, "partnership")
    assert table["columns"] == ["NHS trust", "University"]
    assert [(r["group"], r["cells"]) for r in table["rows"]] == [("Alpha", [2, 0]), ("Beta", [0, 1])]
    by_role = crosstab(world["i"], admin_user, responses, q, "role")
    assert [(r["group"], r["cells"]) for r in by_role["rows"]] == [("Lead", [1, 0]), ("Nurse", [1, 1])]
    by_country = crosstab(world["i"], admin_user, responses, q, "country")
    assert {r["group"] for r in by_country["rows"]} == {
        "United Kingdom of Great Britain and Northern Ireland",
        "Uganda",
    } or by_country["rows"]


@pytest.mark.parametrize(
    "who, expected",
    [
        ("public", None),
        ("researcher", {"r1", "r2"}),
        ("memb", {"r1", "r2"}),
        ("coord", {"r1", "r2"}),
        ("othercoord", {"r3"}),
        ("admin", {"r1", "r2", "r3"}),
    ],
)
def test_who_sees_which_responses_in_the_api(world, who, expected, make_user, admin_user, client_for):
    users = {
        "researcher": make_user("res", Role.RESEARCHER),
        "admin": admin_user,
        "memb": world["member"],
        "coord": world["coord"],
        "othercoord": world["other"],
        "public": None,
    }
    response = client_for(users[who]).get("/api/v1/responses/?instrument=test-survey")
    if expected is None:
        assert response.status_code in (401, 403) or response.json()["count"] == 0
        return
    body = response.json()
    assert {r["uuid"] for r in body["results"]} == expected
    text = response.content.decode()
    if who == "researcher":
        assert "Dr Secret" not in text and '"comment"' not in text
    if who in ("coord", "admin"):
        assert "Dr Secret" in text


def test_pages_and_exports_respect_scope(world, client_for, make_user, admin_user):
    researcher = make_user("res", Role.RESEARCHER)
    assert client_for(None).get("/surveys/").status_code == 302
    page = client_for(world["coord"]).get("/surveys/test-survey/")
    assert page.status_code == 200 and b'id="total-responses">2<' in page.content
    assert client_for(admin_user).get("/surveys/test-survey/?by=role&q=topics").status_code == 200
    analysis = client_for(researcher).get("/surveys/test-survey/").content.decode()
    assert "not shown to researchers" in analysis and "Dr Secret" not in analysis
    assert 'id="total-responses">2<' in analysis  # r3's partnership is a draft
    csv = client_for(researcher).get("/surveys/test-survey/responses.csv").content.decode()
    assert "Dr Secret" not in csv and "comment" not in csv.splitlines()[0] and "r1" in csv and "r3" not in csv
    labels = client_for(admin_user).get("/surveys/test-survey/responses.csv?values=labels").content.decode()
    assert "Skill sharing; Mentorship" in labels and "Dr Secret said hi" in labels
    assert client_for(admin_user).get("/surveys/test-survey/responses.xlsx").content[:2] == b"PK"


def test_upload_pages_are_for_coordinators_and_admins(world, client_for, make_user, form_bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    assert client_for(world["member"]).get("/surveys/upload/").status_code == 403
    assert client_for(make_user("r2", Role.RESEARCHER)).get("/surveys/import/").status_code == 403
    broken = client_for(world["coord"]).post("/surveys/upload/", {"file": SimpleUploadedFile("b.xlsx", b"nope")})
    assert b"not an Excel workbook" in broken.content
    ok = client_for(world["coord"]).post(
        "/surveys/upload/", {"file": SimpleUploadedFile("t.xlsx", form_bytes), "slug": "copy"}
    )
    assert b"Instrument copy saved" in ok.content
    csv = SimpleUploadedFile("r.csv", f"partnership,_uuid,_submission_time\n{world['b'].slug},x9,2026-01-01\n".encode())
    refused = client_for(world["coord"]).post("/surveys/import/", {"file": csv, "instrument": "test-survey"})
    assert b"you do not coordinate partnership" in refused.content


def test_web_form_checks_relevant_constraint_and_saves(world, client_for):
    client = client_for(world["coord"])
    assert client.get("/surveys/test-survey/form/").status_code == 200
    base = {"partnership": world["a"].slug, "org/org_type": "trust", "topics": ["skills", "mentor"], "_uuid": "w1"}
    bad = client.post("/surveys/test-survey/form/", {**base, "n": "11"})
    assert b"1 to 10" in bad.content and not Response.objects.filter(uuid="web-w1").exists()
    missing = client.post("/surveys/test-survey/form/", {"topics": "skills", "_uuid": "w1"})
    assert b"this question needs an answer" in missing.content
    ok = client.post("/surveys/test-survey/form/", {**base, "n": "4"})
    assert ok.status_code == 302
    saved = Response.objects.get(uuid="web-w1")
    assert saved.partnership == world["a"] and saved.source == "web"
    # n is irrelevant for a university: its answer is dropped, not refused
    client.post("/surveys/test-survey/form/", {**base, "org/org_type": "uni", "n": "99", "_uuid": "w2"})
    assert not Response.objects.get(uuid="web-w2").answers.filter(question__name="n").exists()
    other = client.post("/surveys/test-survey/form/", {**base, "partnership": world["b"].slug, "_uuid": "w3"})
    assert b"choose one of your partnerships" in other.content


def test_census_demo_page_answers_the_questions(client_for, admin_user, make_partnership):
    make_partnership(name="Some trust link")
    load_instruments()
    assert census_demo(seed=3, n=12) == 12
    assert census_demo(seed=3, n=12) == 12  # idempotent by uuid
    assert Response.objects.filter(instrument__slug="partnership-census").count() == 12
    page = client_for(admin_user).get("/surveys/partnership-census/").content.decode()
    for heading in ("Who is involved", "What benefits", "What challenges", "census-partnerships"):
        assert heading in page
    api = client_for(admin_user).get("/api/v1/instruments/partnership-census/").json()
    assert api["form_id"] == "partnership_census" and any(q["name"] == "benefits" for q in api["questions"])


def test_web_form_repeat_instances_are_checked_each_in_its_own_context(world, client_for):
    client = client_for(world["coord"])
    page = client.get("/surveys/test-survey/form/").content.decode()
    assert 'data-repeat="kids"' in page and 'name="kids/kid_name"' in page
    base = {"org/org_type": "uni", "_uuid": "rep"}
    # instance 2's age is checked against instance 2's name (empty name: age irrelevant, dropped)
    bad = client.post(
        "/surveys/test-survey/form/",
        {**base, "kids/kid_name": "Ann", "kids/kid_age": "4", "kids[2]/kid_name": "Ben", "kids[2]/kid_age": "40"},
    )
    assert b"A child" in bad.content and b"kids[2]/kid_age" in bad.content
    ok = client.post(
        "/surveys/test-survey/form/",
        {
            **base,
            "kids/kid_name": "Ann",
            "kids/kid_age": "4",
            "kids[2]/kid_name": "Ben",
            "kids[2]/kid_age": "7",
            "kids[3]/kid_age": "99",
        },
    )
    assert ok.status_code == 302
    saved = Response.objects.get(uuid="web-rep")
    got = sorted((a.question.name, a.repeat_index, a.value) for a in saved.answers.select_related("question"))
    assert ("kid_name", 2, "Ben") in got and ("kid_age", 2, "7") in got and ("kid_age", 1, "4") in got
    assert not any(i == 3 for _n, i, _v in got)
    csv = client.get("/surveys/test-survey/responses.csv").content.decode().splitlines()
    assert "kids[2]/kid_name" in csv[0]


def test_nobody_replaces_someone_elses_instrument_or_responses(world, client_for, make_user, form_bytes, write_csv):
    from django.core.exceptions import ValidationError

    from healthlinks.evaluation.services import instrument_save

    intruder = make_user("intruder", Role.COORDINATOR)
    with pytest.raises(ValidationError):
        instrument_save(by=intruder, raw=form_bytes, name="t.xlsx", slug="test-survey")
    mine = instrument_save(by=intruder, raw=form_bytes, name="t.xlsx", slug="intruder-copy")
    assert instrument_save(by=intruder, raw=form_bytes, name="t.xlsx", slug="intruder-copy").pk == mine.pk
    # r1 belongs to partnership Alpha: a coordinator of another partnership cannot overwrite it by uuid
    with pytest.raises(ImportRejected) as exc:
        import_responses(
            write_csv("o.csv", "_uuid,_submission_time\nr1,2026-01-01\n"), instrument=world["i"], user=intruder
        )
    assert [str(e) for e in exc.value.errors] == [
        "o.csv, row 2, column _uuid: this submission was filed by someone else; not replaced"
    ]
    import_responses(
        write_csv("p.csv", "_uuid,_submission_time\nr1,2026-01-01\n"), instrument=world["i"], user=world["coord"]
    )
    # a web-form uuid of another user's response makes a new response instead of replacing it
    client = client_for(world["member"])
    client.post("/surveys/test-survey/form/", {"org/org_type": "uni", "_uuid": "same"})
    client_for(intruder).post("/surveys/test-survey/form/", {"org/org_type": "trust", "_uuid": "same"})
    assert Response.objects.get(uuid="web-same").submitted_by == world["member"]
    assert Response.objects.filter(submitted_by=intruder, source="web").count() == 1


def test_demo_stage_is_deterministic(make_partnership):
    from types import SimpleNamespace

    from healthlinks.evaluation.demo import stage_evaluation

    make_partnership(name="Some link", countries=("GBR", "GHA"))
    world = SimpleNamespace(seed=5, stats={})
    stage_evaluation(world)
    first = sorted(Response.objects.values_list("uuid", "answers__question__name", "answers__value"))
    stage_evaluation(world)  # again: same uuids, same answers
    assert world.stats["census responses"] == 40 and Response.objects.count() == 40
    assert sorted(Response.objects.values_list("uuid", "answers__question__name", "answers__value")) == first
    assert Response.objects.filter(is_synthetic=True, institution__isnull=False).count() == 40


@pytest.mark.parametrize("hostile", ["Infinity", "-inf", "sNaN", "NaN", "1e999999999", "1e-999999999", "9" * 80])
def test_web_form_refuses_numbers_the_database_cannot_hold(world, client_for, hostile):
    """These reached int()/Decimal comparisons and the 20-digit number column: 500s and overflows before."""
    client = client_for(world["coord"])
    base = {"partnership": world["a"].slug, "org/org_type": "trust", "topics": ["skills"], "_uuid": "h1"}
    answer = client.post("/surveys/test-survey/form/", {**base, "n": hostile})
    assert answer.status_code == 200
    assert b"out of range" in answer.content or b"is not a whole number" in answer.content
    assert not Response.objects.filter(uuid="web-h1").exists()
