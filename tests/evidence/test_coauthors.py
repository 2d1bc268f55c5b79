"""Co-authorship ties from the evidence library (issue 26, item 6): the authors of a reference who are people of
the registry are tied as co-authors. By ORCID (a person's external id) at import, with no confirmation and once
however often the reference is imported; by name only when a coordinator confirms, on a page that proposes only
people whose partnership the user may edit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from healthlinks.accounts.models import Role
from healthlinks.evidence.models import Reference
from healthlinks.evidence.selectors import author_name, coauthor_candidates
from healthlinks.evidence.services import coauthors_confirm, reference_upsert
from healthlinks.interchange.bibliography import import_references
from healthlinks.network.models import Tie, TieKind
from healthlinks.network.selectors import normalise_orcid, people_visible_to, ties_visible_to
from healthlinks.network.services import RoleSpec, person_save

pytestmark = pytest.mark.django_db

GRACE, PETER, OUTSIDER = "0000-0002-1825-0097", "0000-0001-5109-3700", "0000-0002-1694-233X"
MEDLINE = f"""PMID- 31000001
TI  - Nurse mentoring across a health partnership: a mixed-methods evaluation.
DP  - 2019 Mar
FAU - Okello, Grace A
AU  - Okello GA
AUID- ORCID: {GRACE}
AD  - Gulu University, Uganda.
FAU - Smith, Peter
AU  - Smith P
AUID- ORCID: https://orcid.org/{PETER}
FAU - Stranger, Olive
AU  - Stranger O
AUID- ORCID: {OUTSIDER}
FAU - Nobody, Ann
AU  - Nobody A
JT  - Globalization and health
"""


@pytest.fixture
def registry(make_partnership, make_user):
    """Two partnerships, each with its coordinator; Grace and Peter in the first (Peter's external id his ORCID
    written as a URL), Olive in the second; a second Okello in the first, and a Smith in the second."""
    coordinator, other = make_user("cacoord", Role.COORDINATOR), make_user("caother", Role.COORDINATOR)
    mine = make_partnership(name="Leeds Gulu", coordinator=coordinator)
    theirs = make_partnership(name="Other Link", coordinator=other)

    def person(given: str, family: str, partnership, external_id: str | None = None):
        return person_save(
            by=None,
            external_id=external_id,
            given_name=given,
            family_name=family,
            roles=[RoleSpec(partnership.pk, "volunteer")],
        )

    return {
        "coordinator": coordinator,
        "other": other,
        "mine": mine,
        "grace": person("Grace", "Okéllo", mine, GRACE),
        "peter": person("Peter", "Smith", mine, f"https://orcid.org/{PETER}"),
        "george": person("George", "Okello", mine),
        "olive": person("Olive", "Stranger", theirs, OUTSIDER),
        "psmith": person("Paula", "Smith", theirs),
    }


def _co_author_pairs():
    return {frozenset((t.person_a_id, t.person_b_id)) for t in Tie.objects.filter(kind=TieKind.CO_AUTHORS)}


def test_orcid_iDs_are_read_and_checked():
    assert normalise_orcid(f"https://orcid.org/{PETER}") == PETER
    assert normalise_orcid("000000021694233x") == OUTSIDER
    assert normalise_orcid("0000-0002-1825-0098") == ""  # wrong check digit
    assert author_name("Okello, Grace A") == ("Okello", "Grace A") and author_name("Grace Okello") == (
        "Okello",
        "Grace",
    )


def test_an_orcid_match_ties_the_authors_once_however_often_the_reference_is_imported(registry):
    coordinator = registry["coordinator"]
    first = import_references(MEDLINE.encode(), "pubmed.nbib", fmt="medline", user=coordinator)
    assert first.counts["co-author ties"] == 1
    tie = Tie.objects.get(kind=TieKind.CO_AUTHORS)
    assert {tie.person_a, tie.person_b} == {registry["grace"], registry["peter"]}
    assert str(tie.start_date) == "2019-01-01" and "Nurse mentoring" in tie.source
    assert tie.history.get().history_user == coordinator  # the importing coordinator in the history
    # Olive's ORCID is in the file, but she belongs to a partnership the coordinator may not edit: no tie to her
    again = import_references(MEDLINE.encode(), "pubmed.nbib", fmt="medline", user=coordinator)
    assert again.counts["unchanged"] == 1 and "co-author ties" not in again.counts
    assert Tie.objects.count() == 1 and tie.history.count() == 1
    assert Reference.objects.count() == 1


def test_an_older_shared_reference_moves_the_start_of_the_tie_back(registry):
    import_references(MEDLINE.encode(), "pubmed.nbib", fmt="medline", user=None)  # the console: everyone
    assert _co_author_pairs() == {
        frozenset(p.pk for p in pair)
        for pair in [
            (registry["grace"], registry["peter"]),
            (registry["grace"], registry["olive"]),
            (registry["peter"], registry["olive"]),
        ]
    }
    older = MEDLINE.replace("31000001", "31000002").replace("2019 Mar", "2012").replace("Nurse", "Midwife")
    import_references(older.encode(), "older.nbib", fmt="medline", user=None)
    assert Tie.objects.count() == 3
    assert {str(t.start_date) for t in Tie.objects.all()} == {"2012-01-01"}


def test_a_name_match_needs_confirmation_and_proposes_only_people_one_may_edit(registry, client_for):
    reference, _status = reference_upsert(
        by=None,
        fields={"title": "Partnership ethics", "authors": ["Okello, G.", "Smith, P", "Stranger, Olive"], "year": 2020},
    )
    assert not Tie.objects.exists()  # a reference with matching names ties nobody by itself
    matches = coauthor_candidates(registry["coordinator"], reference)
    assert [set(m.candidates) for m in matches] == [
        {registry["grace"], registry["george"]},  # accents aside, both Okellos whose name starts with G
        {registry["peter"]},  # Paula Smith is in a partnership the coordinator may not edit: never proposed
        set(),  # nor Olive
    ]
    visible = set(people_visible_to(registry["coordinator"]))
    assert all(p in visible for m in matches for p in m.candidates)
    client = client_for(registry["coordinator"])
    url = f"/evidence/{reference.pk}/coauthors/"
    page = client.get(url).content.decode()
    assert "Grace Okéllo" in page and "George Okello" in page
    assert registry["psmith"].pseudo_id not in page and registry["olive"].pseudo_id not in page
    assert 'type="radio"' in page and "<legend>Okello, G.</legend>" in page
    grace, peter = registry["grace"], registry["peter"]
    refused = client.post(url, {"author-0": registry["olive"].pseudo_id, "author-1": peter.pseudo_id})
    assert refused.status_code == 400 and not Tie.objects.exists()  # someone else's person, even posted by hand
    alone = client.post(url, {"author-0": grace.pseudo_id})
    assert alone.status_code == 400 and "at least two" in alone.content.decode()
    saved = client.post(url, {"author-0": grace.pseudo_id, "author-1": peter.pseudo_id, "author-2": ""})
    assert saved.status_code == 302
    assert _co_author_pairs() == {frozenset((grace.pk, peter.pk))}
    assert Tie.objects.get().history.get().history_user == registry["coordinator"]
    client.post(url, {"author-0": grace.pseudo_id, "author-1": peter.pseudo_id})  # confirmed twice: one tie
    assert Tie.objects.count() == 1
    # the tie is one of the network's ties, seen where the partnership's other ties are
    assert Tie.objects.get() in ties_visible_to(registry["coordinator"])
    network = client.get(f"/partnerships/{registry['mine'].slug}/network/")
    assert network.status_code == 200 and "Co-authors" in network.content.decode()


def test_only_those_who_may_edit_the_people_confirm(registry, make_user, client_for):
    reference, _status = reference_upsert(
        by=None, fields={"title": "Twinning", "authors": ["Okello, Grace", "Smith, Peter"], "year": 2021}
    )
    url = f"/evidence/{reference.pk}/coauthors/"
    body = {"author-0": registry["grace"].pseudo_id, "author-1": registry["peter"].pseudo_id}
    for role in (Role.MEMBER, Role.RESEARCHER):
        client = client_for(make_user(f"ca-{role}", role))
        assert client.get(url).status_code == 403 and client.post(url, body).status_code == 403
    assert client_for(None).get(url).status_code == 302
    other = client_for(registry["other"])  # coordinates people, but not these
    assert registry["grace"].pseudo_id not in other.get(url).content.decode()
    assert other.post(url, body).status_code == 400 and not Tie.objects.exists()
    with pytest.raises(ValidationError):
        coauthors_confirm(
            by=registry["other"], reference=reference, chosen={0: registry["grace"], 1: registry["peter"]}
        )
    detail = client_for(registry["coordinator"]).get(f"/evidence/{reference.pk}/").content.decode()
    assert url in detail
    assert (
        url not in client_for(make_user("ca-member2", Role.MEMBER)).get(f"/evidence/{reference.pk}/").content.decode()
    )


def test_web_of_science_bibtex_orcid_numbers_tie_the_authors_too(registry):
    bib = (
        "@article{ WOS:1,\n Author = {Okello, Grace and Smith, Peter},\n Title = {Twinning and mentoring},\n"
        f" Year = {{2018}},\n ORCID-Numbers = {{Okello, Grace/{GRACE}\n Smith, Peter/{PETER}}},\n}}\n"
    )
    result = import_references(bib.encode(), "savedrecs.bib", fmt="bibtex", user=registry["coordinator"])
    assert result.counts["co-author ties"] == 1
    assert _co_author_pairs() == {frozenset((registry["grace"].pk, registry["peter"].pk))}
