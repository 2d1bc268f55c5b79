"""RIS and BibTeX files from Zotero, EndNote and the parsers' own test data import, de-duplicate and export."""

from __future__ import annotations

import re

import pytest

from healthlinks.evidence.models import Reference, normalise_doi, normalise_title
from healthlinks.interchange.bibliography import (
    BibliographyRejected,
    export_bibtex,
    export_ris,
    import_references,
)
from tests.evidence.conftest import FIXTURES

RIS = FIXTURES / "ris"
BIB = FIXTURES / "bibtex"


def _count(path, pattern):
    return len(re.findall(pattern, path.read_text(encoding="utf-8-sig"), flags=re.MULTILINE))


@pytest.mark.parametrize(
    "name", ["asreview_baseline_zotero.ris", "asreview_baseline_endnote.ris", "rispy_example_full.ris"]
)
def test_real_ris_exports_import_every_record(db, name):
    path = RIS / name
    expected = _count(path, r"^TY  - ")
    result = import_references(path.read_bytes(), name, fmt="ris", user=None)
    assert sum(result.counts.values()) == expected
    assert Reference.objects.count() == result.counts["created"] > 0


def test_zotero_and_endnote_exports_of_one_library_are_one_set_of_references(db):
    zotero, endnote = RIS / "asreview_baseline_zotero.ris", RIS / "asreview_baseline_endnote.ris"
    import_references(zotero.read_bytes(), zotero.name, fmt="ris", user=None)
    n = Reference.objects.count()
    assert n == _count(zotero, r"^TY  - ")
    second = import_references(endnote.read_bytes(), endnote.name, fmt="ris", user=None)
    assert Reference.objects.count() == n
    assert second.counts["created"] == 0


def test_ris_fields_are_read(db):
    path = RIS / "asreview_baseline_zotero.ris"
    import_references(path.read_bytes(), path.name, fmt="ris", user=None)
    ref = Reference.objects.get(doi="10.1038/s41467-024-48400-3")
    assert ref.year == 2024 and ref.journal == "Nature Communications"
    assert ref.authors[0] == "Yang, Z." and "dinosaur" in ref.keywords and ref.abstract.startswith("Fossil feathers")


def test_bibtex_file_with_comments_imports_its_entries(db):
    path = BIB / "bibtexparser_multiple_entries_and_comments.bib"
    expected = _count(path, r"^@(?!Comment)\w+\{")
    result = import_references(path.read_bytes(), path.name, fmt="bibtex", user=None)
    assert result.counts["created"] == expected == 3
    wigner = Reference.objects.get(citation_key="Wigner1938")
    assert wigner.doi == "10.1039/tf9383400029" and wigner.pages == "29–41" and wigner.year == 1938
    assert wigner.authors == ["Wigner, E."]


def test_importing_again_is_idempotent(db):
    path = RIS / "rispy_example_full.ris"
    import_references(path.read_bytes(), path.name, fmt="ris", user=None)
    again = import_references(path.read_bytes(), path.name, fmt="ris", user=None)
    assert again.counts["unchanged"] == 2 and Reference.objects.count() == 2


RIS_TEMPLATE = "TY  - JOUR\nTI  - {title}\nPY  - {year}\n{doi}ER  - \n\n"


def _ris(*records):
    return "".join(RIS_TEMPLATE.format(title=t, year=y, doi=f"DO  - {d}\n" if d else "") for t, y, d in records)


def test_same_doi_in_another_case_or_url_form_is_one_reference(db):
    data = _ris(
        ("Twinning in Rwanda", 2016, "10.1186/S12992-016-0141-4"),
        ("Twinning in Rwanda (preprint title)", 2015, "https://doi.org/10.1186/s12992-016-0141-4"),
        ("Another title", 2016, "doi:10.1186/s12992-016-0141-4"),
    )
    result = import_references(data.encode(), "dup.ris", fmt="ris", user=None)
    assert Reference.objects.count() == 1
    assert result.counts["created"] == 1


def test_a_doi_followed_by_a_link_or_a_tag_is_read_as_the_doi(db):
    """Rayyan writes `DO  - 10.x/y http://dx.doi.org/10.x/y`, PubMed `10.x/y [doi]`: the DOI is what counts."""
    data = _ris(
        ("Twinning in Rwanda", 2016, "10.1186/s12992-016-0141-4 http://dx.doi.org/10.1186/s12992-016-0141-4"),
        ("Twinning in Rwanda, again", 2016, "10.1186/S12992-016-0141-4 [doi]"),
        ("Twinning in Rwanda", 2016, "10.1186/s12992-016-0141-4"),
    )
    import_references(data.encode(), "rayyan.ris", fmt="ris", user=None)
    assert list(Reference.objects.values_list("doi", flat=True)) == ["10.1186/s12992-016-0141-4"]
    assert normalise_doi("(10.1371/journal.pone.0123456).") == "10.1371/journal.pone.0123456"
    sici = "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-O"
    assert normalise_doi(sici) == sici.lower()  # its own brackets are kept


def test_same_title_and_year_with_other_punctuation_is_one_reference(db):
    data = _ris(
        ("Health partnerships: a review", 2020, ""),
        ("HEALTH PARTNERSHIPS - A REVIEW.", 2020, ""),
        ("Health   partnérships, a review?", 2020, ""),
    )
    import_references(data.encode(), "dup.ris", fmt="ris", user=None)
    assert Reference.objects.count() == 1


def test_same_title_in_another_year_or_with_another_doi_is_kept_apart(db):
    data = _ris(
        ("Health partnerships: a review", 2020, ""),
        ("Health partnerships: a review", 2021, ""),
        ("Annual report", 2020, "10.1/a"),
        ("Annual report", 2020, "10.1/b"),
    )
    import_references(data.encode(), "apart.ris", fmt="ris", user=None)
    assert Reference.objects.count() == 4


def test_normalisers():
    assert normalise_doi("https://dx.doi.org/10.1000/ABC.") == "10.1000/abc"
    assert normalise_doi("not a doi") == ""
    assert normalise_title("{Twinning}: the Rwanda Model!") == "twinning the rwanda model"


def test_errors_name_the_line_and_entry_and_nothing_is_written(db):
    data = _ris(("Good", 2020, "")) + "TY  - JOUR\nID  - bad1\nPY  - 2020\nER  - \n"
    with pytest.raises(BibliographyRejected) as info:
        import_references(data.encode(), "bad.ris", fmt="ris", user=None)
    assert "bad.ris, line 6 (bad1): no title" in str(info.value)
    assert Reference.objects.count() == 0


def test_unclosed_ris_record_is_refused(db):
    with pytest.raises(BibliographyRejected, match="line 1 .* no ER line"):
        import_references(b"TY  - JOUR\nTI  - x\n", "open.ris", fmt="ris", user=None)


def test_broken_bibtex_names_the_line(db):
    data = b"@article{ok, title={Fine}, year={2020}}\n\n@article{broken,\n title={No end}\n\n@book{b, title={Y}}\n"
    with pytest.raises(BibliographyRejected) as info:
        import_references(data, "bad.bib", fmt="bibtex", user=None)
    assert "bad.bib, line 3" in str(info.value)
    assert Reference.objects.count() == 0


def test_export_to_ris_and_bibtex_reimports_to_the_same_references(db):
    for path, fmt in (
        (RIS / "asreview_baseline_zotero.ris", "ris"),
        (BIB / "bibtexparser_multiple_entries_and_comments.bib", "bibtex"),
    ):
        import_references(path.read_bytes(), path.name, fmt=fmt, user=None)
    refs = list(Reference.objects.all())
    ris, bib = export_ris(refs), export_bibtex(refs)
    keys = sorted((normalise_doi(r.doi), normalise_title(r.title), r.year) for r in refs)
    for data, fmt in ((ris, "ris"), (bib, "bibtex")):
        Reference.objects.all().delete()
        result = import_references(data.encode(), f"export.{fmt}", fmt=fmt, user=None)
        assert result.counts["created"] == len(refs)
        assert sorted((r.doi_key, r.title_key, r.year) for r in Reference.objects.all()) == keys


def test_latex_accents_and_commands_become_unicode_text(db):
    bib = rb"""@article{cesar2020,
  author = {C\'esar\"u, Ana and M\"{u}ller, J{\"o}rg},
  title = {\textit{Twinning} in {\'E}cole de sant\'e: 50% of {HIV} clinics},
  journal = {Global Health},
  year = {2020},
  pages = {1--10}
}
"""
    import_references(bib, "latex.bib", fmt="bibtex", user=None)
    ref = Reference.objects.get()
    assert ref.title == "Twinning in École de santé: 50% of HIV clinics"
    assert ref.pages == "1–10"
    assert "Césarü" in str(ref.authors) and "Jörg" in str(ref.authors)


MEDLINE = """PMID- 27484051
OWN - NLM
TI  - Health partnerships and the transfer of knowledge: a review of twinning
      between hospitals in the UK and Uganda.
FAU - Okello, Grace
AU  - Okello G
FAU - Smith, John
DP  - 2016 Aug 2
JT  - Globalization and health
TA  - Global Health
VI  - 12
IP  - 1
PG  - 40-52
LID - 10.1186/s12992-016-0141-4 [doi]
AB  - Partnerships between health institutions are common.
MH  - International Cooperation
PT  - Journal Article

PMID- 30000000
TI  - A second record.
DP  - 2018
PT  - Review
"""


def test_pubmed_medline_files_import(db):
    result = import_references(MEDLINE.encode(), "pubmed.nbib", fmt="medline", user=None)
    assert result.counts["created"] == 2
    ref = Reference.objects.get(doi="10.1186/s12992-016-0141-4")
    assert ref.title.startswith("Health partnerships and the transfer") and ref.title.endswith("Uganda.")
    assert (ref.year, ref.journal, ref.volume, ref.issue, ref.pages) == (
        2016,
        "Globalization and health",
        "12",
        "1",
        "40–52",
    )
    assert list(ref.authors) == ["Okello, Grace", "Smith, John"]
    with pytest.raises(BibliographyRejected) as err:
        import_references(b"TI  - no PMID first\n", "bad.nbib", fmt="medline", user=None)
    assert "PMID" in str(err.value.errors[0])


# Legacy encodings: decoded correctly or refused, never stored as mojibake ------------------------------------------

WESTERN = (
    "@article{m2019, author={Müller, José and Cortés, Ana}, title={Formação de médicos em Moçambique}, year={2019}}\n"
)
CHINESE = (
    "@article{li2020, author={李 明 and 王 芳}, title={中国农村卫生人员培训研究}, "
    "journal={中华医学杂志}, year={2020}}\n"
)


def test_a_windows_1252_file_is_read_as_such_and_says_so(db):
    result = import_references(WESTERN.encode("cp1252"), "legacy.bib", fmt="bibtex", user=None)
    reference = Reference.objects.get()
    assert reference.title == "Formação de médicos em Moçambique"
    assert reference.authors == ["Müller, José", "Cortés, Ana"]
    assert result.warnings == ["legacy.bib: not UTF-8; read as Windows-1252 (Western European)"]


def test_a_gbk_file_that_does_not_say_so_is_refused_not_stored_as_mojibake(db):
    with pytest.raises(BibliographyRejected) as refused:
        import_references(CHINESE.encode("gbk"), "chinese.bib", fmt="bibtex", user=None)
    message = str(refused.value)
    assert "not UTF-8, and not Windows-1252 text either" in message and "% Encoding: GBK" in message
    assert Reference.objects.count() == 0


def test_a_file_that_declares_its_encoding_as_jabref_does_is_decoded_in_it(db):
    data = ("% Encoding: GBK\n" + CHINESE).encode("gbk")
    result = import_references(data, "chinese.bib", fmt="bibtex", user=None)
    reference = Reference.objects.get()
    assert reference.title == "中国农村卫生人员培训研究" and reference.authors == ["李 明", "王 芳"]
    assert reference.journal == "中华医学杂志"
    assert result.warnings == ["chinese.bib: read as GBK, the encoding it declares"]
    with pytest.raises(BibliographyRejected, match="declares the encoding latin-9x"):
        import_references(b"% Encoding: latin-9x\n" + CHINESE.encode("gbk"), "x.bib", fmt="bibtex", user=None)


def test_no_field_is_cut_short_without_a_warning(db):
    long_volume, long_url = "v" * 60, "https://example.org/" + "p" * 1000
    data = f"@article{{k1, title={{Long fields}}, volume={{{long_volume}}}, url={{{long_url}}}, year={{2020}}}}\n"
    result = import_references(data.encode(), "long.bib", fmt="bibtex", user=None)
    reference = Reference.objects.get()
    assert reference.volume == "v" * 50 and reference.url == ""
    assert result.warnings == [
        "long.bib, line 1 (k1): volume cut to 50 characters (it had 60)",
        "long.bib, line 1 (k1): the URL is longer than 1000 characters and was left out",
    ]


def test_crossref_fields_are_inherited_as_bibtex_does(db):
    data = b"""@inproceedings{paper, title={Mentoring nurses at a distance}, author={Okot, Ann}, crossref={proc}}
@proceedings{proc, title={Proceedings of the Global Health Workforce Symposium}, year={2021},
  publisher={THET}}
@inproceedings{orphan, title={An orphan paper}, year={2020}, crossref={nowhere}}
"""
    result = import_references(data, "crossref.bib", fmt="bibtex", user=None)
    paper = Reference.objects.get(citation_key="paper")
    assert paper.year == 2021 and paper.journal == "Proceedings of the Global Health Workforce Symposium"
    assert paper.authors == ["Okot, Ann"]
    assert result.warnings == [
        "crossref.bib, line 4 (orphan): crossref nowhere names no entry of this file; nothing inherited"
    ]


def test_the_bibtex_export_lets_bibtex_read_each_author_separately(db):
    import bibtexparser
    from bibtexparser.middlewares.names import split_multiple_persons_names

    Reference.objects.all().delete()
    data = (
        "@article{k2, title={R\\&D in 50\\% of hospitals}, year={2022}, "
        "author={{World Health Organization} and Müller, José and {Bill and Melinda Gates Foundation}}}\n"
    )
    import_references(data.encode(), "corp.bib", fmt="bibtex", user=None)
    reference = Reference.objects.get()
    assert reference.authors == ["World Health Organization", "Müller, José", "Bill and Melinda Gates Foundation"]
    assert reference.title == "R&D in 50% of hospitals"
    written = export_bibtex([reference])
    entry = bibtexparser.parse_string(written).entries[0]
    assert split_multiple_persons_names(entry["author"]) == [
        "{World Health Organization}",
        "Müller, José",
        "{Bill and Melinda Gates Foundation}",
    ]
    assert "R\\&D in 50\\% of hospitals" in written
    Reference.objects.all().delete()
    import_references(written.encode(), "again.bib", fmt="bibtex", user=None)  # and back, the same
    again = Reference.objects.get()
    assert again.authors == reference.authors and again.title == reference.title
