"""healthlinks.bulk: many records validated by the models' own rules (as `full_clean` validates one), written with
their history rows as a single save writes one."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from healthlinks import bulk
from healthlinks.activities.models import Activity, Outcome
from healthlinks.activities.services import activity_save
from healthlinks.bulk import references_resolved
from healthlinks.network.models import Person
from healthlinks.records import RowInvalid

pytestmark = pytest.mark.django_db


def _errors(record, **kwargs):
    try:
        record.full_clean(validate_unique=False, validate_constraints=False, **kwargs)
    except ValidationError as exc:
        return exc.message_dict
    return None


def test_many_records_are_refused_exactly_where_full_clean_refuses_one(network_world):
    """Random outcomes, good and bad in every field the rules look at: each refused by bulk.validate (alone) with
    the messages full_clean gives, and accepted where full_clean accepts it."""
    activity = activity_save(
        by=None, partnership=network_world["p"], title="Triage", kind="workshop", mode="in_person",
        start_date=date(2023, 1, 1), end_date=date(2023, 1, 2),
    )  # fmt: skip
    rng = random.Random(4)
    choices = {
        "level": [1, 2, 3, 4, 7, None],
        "dimension": ["satisfaction", "practice", "confidence", "indicator", "nonsense", ""],
        "rating": [None, 0, 1, 5, 6],
        "practice_changed": [None, True, False],
        "follow_up_months": [None, 3, 6, 5],
        "value": [None, Decimal("1.5"), Decimal("1.2345"), Decimal("123456789012")],
        "indicator": ["", "beds", "x" * 201],
        "method": ["", "survey", "telepathy"],
        "recorded_on": [date(2023, 3, 1), None],
        "person_id": [network_world["alice"].pk, None, 999_999],
    }
    valid = {
        "level": 3, "dimension": "practice", "rating": None, "practice_changed": True, "follow_up_months": 6,
        "value": None, "indicator": "", "method": "observed", "recorded_on": date(2023, 3, 1),
        "person_id": network_world["alice"].pk,
    }  # fmt: skip
    outcomes = []
    for _ in range(400):  # a valid outcome with none, one or two fields drawn at random
        fields = dict(valid)
        for name in rng.sample(sorted(choices), rng.choice([0, 1, 2])):
            fields[name] = rng.choice(choices[name])
        outcomes.append(Outcome(activity=activity, **fields))
    expected = [_errors(Outcome(**{f.attname: getattr(o, f.attname) for f in Outcome._meta.fields})) for o in outcomes]
    assert any(expected) and not all(expected)  # both kinds drawn
    for outcome, errors in zip(outcomes, expected, strict=True):
        if errors is None:
            bulk.validate([outcome])
        else:
            with pytest.raises(RowInvalid) as refused:
                bulk.validate([outcome])
            assert refused.value.message_dict == errors
    # and all at once, each field's clean shared among the records: the first refused one, with its own errors
    with pytest.raises(RowInvalid) as refused:
        bulk.validate(outcomes)
    first = next(i for i, errors in enumerate(expected) if errors)
    assert (refused.value.index, refused.value.message_dict) == (first, expected[first])
    bulk.validate([o for o, errors in zip(outcomes, expected, strict=True) if errors is None])


def test_the_first_refused_record_is_named_by_its_index_or_the_callers_row(network_world):
    good = Person(sex="female")
    bad = Person(sex="robot", research_consent=True)
    with pytest.raises(RowInvalid) as refused:
        bulk.validate([good, Person(sex="male"), bad, Person(sex="x")])
    assert refused.value.index == 2
    assert set(refused.value.message_dict) == {"sex", "consent_date"}  # field rules and the model's clean()
    with pytest.raises(RowInvalid) as refused:
        bulk.validate([bad], rows=[17])
    assert refused.value.index == 17


def test_a_reference_to_a_record_that_does_not_exist_is_refused_as_full_clean_refuses_it(network_world):
    activity = Activity(
        partnership=network_world["p"], title="T", kind="workshop", mode="in_person",
        start_date=date(2023, 1, 1), end_date=date(2023, 1, 1), venue_id=987_654,
    )  # fmt: skip
    with pytest.raises(RowInvalid) as refused:
        bulk.validate([activity])
    assert refused.value.message_dict == _errors(activity)


def test_a_related_record_saved_after_it_was_assigned_gives_its_id_and_an_unsaved_one_is_refused(network_world):
    person = Person(sex="male")
    outcome = Outcome(person=person)
    person.save()
    references_resolved([outcome])
    assert outcome.person_id == person.pk
    with pytest.raises(ValueError, match="unsaved related object"):
        references_resolved([Outcome(person=Person())])


def test_a_unique_value_given_twice_or_already_stored_is_refused(network_world):
    Person.objects.create(external_id="E1")
    with pytest.raises(RowInvalid) as refused:
        bulk.validate([Person(external_id="E2"), Person(external_id="E1")])
    assert refused.value.index == 1 and "already exists" in refused.value.messages[0]
    with pytest.raises(RowInvalid) as refused:
        bulk.validate([Person(external_id="E3"), Person(), Person(external_id="E3")])
    assert refused.value.index == 2
    bulk.validate([Person(), Person(), Person(external_id="E4")])  # empty values are never compared


def test_records_are_written_with_a_history_row_as_a_save_writes_one(network_world, admin_user):
    people = [Person(sex="female", grade=f"Band {n}") for n in range(5)]
    bulk.create(people, by=admin_user)
    assert all(p.pk for p in people) and not people[0]._state.adding
    single = Person(sex="male", grade="Band 9")
    single._history_user = admin_user
    single.save()
    bulk_row = people[0].history.get()
    single_row = single.history.get()
    skip = {"history_id", "history_date", "id", "pseudo_id", "grade", "sex", "created_at", "updated_at"}
    fields = [f.attname for f in bulk_row._meta.concrete_fields if f.attname not in skip]
    assert [getattr(bulk_row, f) for f in fields] == [getattr(single_row, f) for f in fields]
    assert (bulk_row.pseudo_id, bulk_row.grade, bulk_row.history_type) == (people[0].pseudo_id, "Band 0", "+")
    for person in people:
        person.grade = "Band 8a"
    bulk.update(people, ["grade"], by=None)
    assert set(Person.objects.filter(pk__in=[p.pk for p in people]).values_list("grade", flat=True)) == {"Band 8a"}
    changed = people[3].history.latest("history_id")
    assert (changed.history_type, changed.history_user, changed.grade) == ("~", None, "Band 8a")
    assert changed.updated_at > bulk_row.updated_at  # stamped as save() stamps it


def test_a_stored_unique_value_is_refused_at_the_record_that_gives_it_but_a_record_keeps_its_own(network_world):
    alice = network_world["alice"]  # external id A1
    with pytest.raises(RowInvalid) as refused:
        bulk.validate([Person(external_id="A1"), Person(external_id="Z2"), Person(external_id="Z3")])
    assert refused.value.index == 0 and set(refused.value.message_dict) == {"external_id"}
    bulk.validate([alice])  # its own value: not a clash
    alice.external_id = "B1"  # Bob's
    with pytest.raises(RowInvalid):
        bulk.validate([Person(external_id="Z4"), alice], rows=[7, 8])


def test_a_refused_batch_writes_nothing(network_world, admin_user):
    people = [Person(sex="female"), Person(sex="robot")]
    before = (Person.objects.count(), Person.history.count())
    with pytest.raises(RowInvalid):
        bulk.validate(people)
        bulk.create(people, by=admin_user)
    assert (Person.objects.count(), Person.history.count()) == before and people[0].pk is None


def test_links_are_written_before_the_history_rows_which_then_show_them(network_world, admin_user):
    """`links` runs between the rows and their history rows: each history row's snapshot of the many-to-many
    links is the links as written, on creation and on each update, as simple-history keeps them on `save`."""
    from healthlinks.reference.models import Specialty
    from healthlinks.registry.models import Partnership

    first, second = Specialty.objects.order_by("slug")[:2]
    partnership = Partnership(name="Bulk links", slug="bulk-links", start_date=date(2020, 1, 1))
    through = Partnership.specialties.through

    def link(*specialties):
        def run():
            through.objects.filter(partnership_id=partnership.pk).delete()
            bulk.create_rows(through, [{"partnership_id": partnership.pk, "specialty_id": s.pk} for s in specialties],
                             by=None)  # fmt: skip

        return run

    bulk.validate([partnership])
    bulk.create([partnership], by=admin_user, links=link(first))
    partnership.name = "Bulk links, renamed"
    bulk.update([partnership], ["name"], by=None, links=link(first, second))
    created, changed = partnership.history.order_by("history_id")
    assert (created.history_type, created.history_user, created.name) == ("+", admin_user, "Bulk links")
    assert [s.specialty_id for s in created.specialties.all()] == [first.pk]
    assert (changed.history_type, changed.name) == ("~", "Bulk links, renamed")
    assert sorted(s.specialty_id for s in changed.specialties.all()) == sorted([first.pk, second.pk])


def test_a_record_keyed_by_another_record_and_rows_by_value_are_written_as_records_are(network_world, admin_user):
    from healthlinks.network.models import PersonalData

    person = bulk.create([Person(sex="female")], by=admin_user)[0]
    personal = PersonalData(person=person, given_name="Grace")
    bulk.create([personal], by=admin_user)  # its key is its person's
    assert PersonalData.objects.get(pk=person.pk).given_name == "Grace"
    assert personal.history.get().history_user == admin_user
    personal.given_name = "Gracie"
    bulk.update([personal], ["given_name"], by=None)
    assert [h.given_name for h in personal.history.order_by("history_id")] == ["Grace", "Gracie"]
    # create_rows: the same rows and the same history rows as create writes for records
    [pk] = bulk.create_rows(Person, [{"sex": "male", "grade": "Band 5", "pseudo_id": "BULKROW1"}], by=admin_user)
    row, record = Person.objects.get(pk=pk), bulk.create([Person(sex="male", grade="Band 5")], by=admin_user)[0]
    skip = {"id", "pseudo_id", "created_at", "updated_at", "history_id", "history_date"}
    for a, b in ((row, Person.objects.get(pk=record.pk)), (row.history.get(), record.history.get())):
        names = [f.attname for f in a._meta.concrete_fields if f.attname not in skip]
        assert [getattr(a, n) for n in names] == [getattr(b, n) for n in names]


@pytest.mark.parametrize(
    "fields",
    [
        {},  # every text as its field keeps it
        {"name": "x" * 201},  # too long
        {"name": ""},  # required
        {"name": "a\x00b"},  # a NUL character
        {"city": "y" * 101},
        {"iati_org_id": "not an identifier"},  # its own validator
        {"iati_org_id": "GB-COH-" + "1" * 94},  # valid form, too long
        {"ror_id": "02jx3x896"},  # a wrong checksum
        {"name": "", "iati_org_id": "nope", "kind": "castle"},  # several fields at once
    ],
)
def test_texts_are_refused_exactly_where_full_clean_refuses_them(network_world, fields):
    """Texts are checked without their field's `clean` when they pass its validators (`bulk._text_check`): a text
    that does not is refused with full_clean's messages, and one that does is accepted as full_clean accepts it."""
    from healthlinks.registry.models import Institution

    values = {
        "name": "Makerere University", "country_id": "UGA", "kind": "university", "city": "Kampala",
        "iati_org_id": "UG-ROR-03dmz0111", "ror_id": "02jx3x895", **fields,
    }  # fmt: skip
    record, alone = bulk.new(Institution, values), Institution(**values)
    assert {k: v for k, v in vars(record).items() if k != "_state"} == {
        k: v for k, v in vars(alone).items() if k != "_state"
    }  # `new` makes the record the model makes
    expected = _errors(alone)
    if expected is None:
        bulk.validate([record])
    else:
        with pytest.raises(RowInvalid) as refused:
            bulk.validate([bulk.new(Institution, {"name": "Fine", "country_id": "UGA", "kind": "other"}), record])
        assert refused.value.index == 1 and refused.value.message_dict == expected


# Texts and JSON values that a COPY's text format must escape (tab, newline, carriage return, backslash, its null
# marker `\N`, a lone `\.`), quotes, non-ASCII and characters outside the BMP; each value is stored as given.
AWKWARD_TEXTS = ["tab\there", "line\nbreak\r\n", "back\\slash \\N \\. \\t", "'quoted' \"twice\"", "é ü ✓ 🙂", " ", ""]


def test_awkward_values_are_stored_and_read_back_as_given_with_their_history_rows(admin_user):
    """Rows written by `create` (PostgreSQL: COPY) and `create_rows` read back as a save stores them: texts with
    COPY's special characters, JSON (nested, with the same characters), decimals (negative, with four places),
    dates, datetimes with a time zone, booleans and nulls; their history rows hold the same values."""
    from datetime import datetime, timedelta, timezone

    from healthlinks.projects.models import Project, ProjectBudget, ProjectTransaction

    when = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=timezone(timedelta(hours=-5, minutes=-30)))
    nested = {"a\tb": ["x\ny", "\\N", {"deep": [1, 2.5, None, True, False]}], "é": "🙂", "": ""}
    projects = [
        Project(
            iati_identifier=f"XM-AWK-{n}", title=text, default_lang="", titles=[{"lang": "en", "text": text}],
            descriptions=[nested] if n % 2 else [], humanitarian=[True, False, None][n % 3],
            hierarchy=[None, 0, 1][n % 3],
            last_updated=when if n % 2 else None, planned_start=date(1900, 1, 1) if n else None,
            planned_end=date(2099, 12, 31), import_warnings=["a", "b\\c"] if n == 3 else [],
            reporting_org_names={"not": "a list", "n": n}, needs_review=bool(n % 2),
        )
        for n, text in enumerate(AWKWARD_TEXTS)
    ]  # fmt: skip
    bulk.create(projects, by=admin_user)
    values = [
        Decimal("-12345678901.2345"), Decimal("99999999999.9999"), Decimal("0.0001"), Decimal("0"), None,
    ]  # fmt: skip
    transactions = [
        ProjectTransaction(
            project=projects[n % len(projects)], position=n, ref=AWKWARD_TEXTS[n], value=value,
            humanitarian=[None, True, False][n % 3], date=date(2000, 2, 29), descriptions=[nested, AWKWARD_TEXTS],
        )
        for n, value in enumerate(values)
    ]  # fmt: skip
    bulk.create(transactions, by=admin_user)
    [budget_id] = bulk.create_rows(
        ProjectBudget,
        [{"project_id": projects[1].pk, "value": Decimal("12.5"), "period_start": date(2020, 1, 1), "currency": "\\"}],
        by=admin_user,
    )
    for model, written in ((Project, projects), (ProjectTransaction, transactions)):
        names = [f.attname for f in model._meta.concrete_fields]
        stored = {r.pk: r for r in model.objects.filter(pk__in=[w.pk for w in written])}
        for record in written:
            got = stored[record.pk]
            assert [getattr(got, n) for n in names] == [getattr(record, n) for n in names], record.pk
            history = record.history.get()
            assert [getattr(history, n) for n in names] == [getattr(record, n) for n in names]
            assert (history.history_type, history.history_user_id) == ("+", admin_user.pk)
    assert Project.objects.get(pk=projects[1].pk).last_updated == when
    assert Project.objects.filter(title="back\\slash \\N \\. \\t").count() == 1
    budget = ProjectBudget.objects.get(pk=budget_id)
    assert (budget.value, budget.period_start, budget.currency, budget.value_date) == (
        Decimal("12.5"), date(2020, 1, 1), "\\", None,
    )  # fmt: skip
    assert budget.history.get().currency == "\\"


def test_a_nul_character_is_refused_where_a_save_refuses_it(admin_user):
    """A NUL character in a text or in a JSON value (which no model validator checks: `validate` accepts it as
    `full_clean` does) is refused by the bulk writer where a save refuses it (PostgreSQL: the caller's transaction
    then writes nothing) and stored where a save stores it (SQLite)."""
    from django.db import connection, transaction

    from healthlinks.projects.models import Project

    def outcome(write):
        try:
            with transaction.atomic():
                write()
        except Exception as exc:  # noqa: BLE001 - the kind of refusal is compared below
            return "refused", "NUL" in str(exc) or "\\u0000" in str(exc)
        return "stored", True

    expected = ("refused", True) if connection.vendor == "postgresql" else ("stored", True)
    for n, values in enumerate([{"title": "a\x00b"}, {"titles": [{"lang": "en", "text": "a\x00b"}]}]):
        alone, many = (
            Project(iati_identifier=f"XM-NUL-{n}", **values),
            Project(iati_identifier=f"XM-NUL-B{n}", **values),
        )
        assert _errors(alone) is None
        bulk.validate([many])
        assert outcome(alone.save) == expected
        assert outcome(lambda: bulk.create([many], by=admin_user)) == expected, values  # noqa: B023
    stored = Project.objects.filter(iati_identifier__startswith="XM-NUL").values_list("iati_identifier", flat=True)
    history = Project.history.filter(iati_identifier__startswith="XM-NUL")
    if connection.vendor == "postgresql":
        assert list(stored) == [] and not history.exists()
    else:
        assert sorted(stored) == ["XM-NUL-0", "XM-NUL-1", "XM-NUL-B0", "XM-NUL-B1"] and history.count() == 4
