"""RIS and BibTeX import and export of the evidence library.

Reading: every record is checked first and every error names the file, the line the record starts on and the
record; nothing is written unless the whole file is valid (one transaction). Records that duplicate a stored
reference (same DOI, else same title and year, both normalised) are merged into it, so importing a file again,
or the same library exported by another reference manager, adds nothing."""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from healthlinks.accounts.models import User
from healthlinks.evidence import services
from healthlinks.evidence.models import Reference, ReferenceType, normalise_doi
from healthlinks.registry.models import Partnership

MAX_BYTES = 20 * 1024 * 1024
MAX_RECORDS = 50_000  # per file: more is refused before the parsers run (500,000 empty RIS records took 10 s)
BIB_ENTRY = re.compile(r"^[ \t]*@[ \t]*\w+[ \t]*[{(]", re.MULTILINE)
RIS_TAG = re.compile(r"^\ufeff?([A-Z][A-Z0-9])  -")
YEAR = re.compile(r"(1[5-9]\d\d|20\d\d|2100)")

RIS_TYPES = {
    "JOUR": ReferenceType.ARTICLE,
    "JFULL": ReferenceType.ARTICLE,
    "EJOUR": ReferenceType.ARTICLE,
    "MGZN": ReferenceType.ARTICLE,
    "BOOK": ReferenceType.BOOK,
    "EBOOK": ReferenceType.BOOK,
    "CHAP": ReferenceType.CHAPTER,
    "ECHAP": ReferenceType.CHAPTER,
    "RPRT": ReferenceType.REPORT,
    "GOVDOC": ReferenceType.REPORT,
    "THES": ReferenceType.THESIS,
    "CONF": ReferenceType.CONFERENCE,
    "CPAPER": ReferenceType.CONFERENCE,
    "ELEC": ReferenceType.WEBPAGE,
    "WEB": ReferenceType.WEBPAGE,
    "BLOG": ReferenceType.WEBPAGE,
}
RIS_OUT = {
    ReferenceType.ARTICLE: "JOUR",
    ReferenceType.BOOK: "BOOK",
    ReferenceType.CHAPTER: "CHAP",
    ReferenceType.REPORT: "RPRT",
    ReferenceType.THESIS: "THES",
    ReferenceType.CONFERENCE: "CPAPER",
    ReferenceType.WEBPAGE: "ELEC",
    ReferenceType.OTHER: "GEN",
}
BIB_TYPES = {
    "article": ReferenceType.ARTICLE,
    "book": ReferenceType.BOOK,
    "inbook": ReferenceType.CHAPTER,
    "incollection": ReferenceType.CHAPTER,
    "techreport": ReferenceType.REPORT,
    "report": ReferenceType.REPORT,
    "phdthesis": ReferenceType.THESIS,
    "mastersthesis": ReferenceType.THESIS,
    "thesis": ReferenceType.THESIS,
    "inproceedings": ReferenceType.CONFERENCE,
    "conference": ReferenceType.CONFERENCE,
    "online": ReferenceType.WEBPAGE,
    "electronic": ReferenceType.WEBPAGE,
}
BIB_OUT = {
    ReferenceType.ARTICLE: "article",
    ReferenceType.BOOK: "book",
    ReferenceType.CHAPTER: "incollection",
    ReferenceType.REPORT: "techreport",
    ReferenceType.THESIS: "phdthesis",
    ReferenceType.CONFERENCE: "inproceedings",
    ReferenceType.WEBPAGE: "misc",
    ReferenceType.OTHER: "misc",
}


@dataclass(frozen=True)
class EntryError:
    file: str
    line: int
    entry: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, line {self.line} ({self.entry}): {self.reason}"


class BibliographyRejected(Exception):
    def __init__(self, errors: list[EntryError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class BibliographyResult:
    name: str
    counts: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.name}: " + ", ".join(f"{n} {k}" for k, n in self.counts.items())


DECLARED_ENCODING = re.compile(rb"^%\s*Encoding:\s*([A-Za-z0-9_.:\-]+)", re.MULTILINE)  # JabRef's first line


def _decode(data: bytes, name: str, warnings: list[str] | None = None) -> str:
    """The file's text: UTF-8; else the encoding it declares (JabRef's `% Encoding: GBK`); else Windows-1252, the
    encoding of Western reference managers on Windows, when the text reads as such (charset-normalizer finds no
    mojibake in it). Any other file is refused: never stored as mojibake."""
    if len(data) > MAX_BYTES:
        raise BibliographyRejected([EntryError(name, 0, "file", f"larger than {MAX_BYTES // 1024 // 1024} MB")])
    declared = DECLARED_ENCODING.search(data[:4096])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _legacy(data, name, declared.group(1).decode() if declared else "", warnings)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise BibliographyRejected([EntryError(name, line, "file", "holds a NUL character (binary data?)")])
    return text


def _legacy(data: bytes, name: str, declared: str, warnings: list[str] | None) -> str:
    import codecs

    import charset_normalizer

    if declared:
        codec = declared.lower().replace("iso8859_", "iso8859-")
        try:
            text = data.decode(codecs.lookup(codec).name)
        except (LookupError, UnicodeDecodeError) as error:
            reason = f"declares the encoding {declared}, but cannot be read in it ({error})"
            raise BibliographyRejected([EntryError(name, 1, "file", reason)]) from None
        if warnings is not None and codecs.lookup(codec).name != "utf-8":
            warnings.append(f"{name}: read as {declared}, the encoding it declares")
        return text
    western = charset_normalizer.from_bytes(data, cp_isolation=["cp1252"]).best()
    if western is None:
        guess = charset_normalizer.from_bytes(data).best()
        looks = (
            f" (it looks like {guess.encoding}" + (f", {guess.language}" if guess.language != "Unknown" else "") + ")"
            if guess
            else ""
        )
        reason = (
            f"not UTF-8, and not Windows-1252 text either{looks}: save it as UTF-8, or name its encoding on the "
            "first line as JabRef does (% Encoding: GBK)"
        )
        raise BibliographyRejected([EntryError(name, 0, "file", reason)])
    if warnings is not None:
        warnings.append(f"{name}: not UTF-8; read as Windows-1252 (Western European)")
    return str(western)


def _year(*values: Any) -> int | None:
    for value in values:
        match = YEAR.search(str(value or ""))
        if match:
            return int(match.group(1))
    return None


URL_MAX = 1000
LIMITS = {"journal": 300, "volume": 50, "issue": 50, "pages": 50, "doi": 200, "citation_key": 200}


def _url(value: str) -> str:
    value = (value or "").strip()
    return value if value.lower().startswith(("http://", "https://")) else ""


def _clean(fields: dict[str, Any], where: str = "", warnings: list[str] | None = None) -> dict[str, Any]:
    """Fields trimmed to what the library keeps; each one cut short is named in `warnings`."""
    fields["doi"] = normalise_doi(str(fields.get("doi") or "")) or str(fields.get("doi") or "").strip()
    limits = {**LIMITS, "url": URL_MAX}
    for key, limit in limits.items():
        value = str(fields.get(key) or "").strip()
        if len(value) > limit:
            if key == "url":
                value = ""  # a link cut short leads nowhere
                told = f"the URL is longer than {limit} characters and was left out"
            else:
                value = value[:limit]
                told = f"{key} cut to {limit} characters (it had {len(str(fields.get(key)).strip())})"
            if warnings is not None:
                warnings.append(f"{where}: {told}")
        fields[key] = value
    return fields


# --- RIS ------------------------------------------------------------------------------------------------------


def _ris_records(text: str, name: str) -> tuple[list[int], list[EntryError]]:
    """Line numbers where records start, checking that every TY ... ER record is closed."""
    starts: list[int] = []
    errors: list[EntryError] = []
    open_at = 0
    for number, line in enumerate(text.splitlines(), start=1):
        match = RIS_TAG.match(line)
        tag = match.group(1) if match else ""
        if tag == "TY":
            if open_at:
                errors.append(EntryError(name, open_at, f"record {len(starts)}", "no ER line before the next TY"))
            starts.append(number)
            open_at = number
        elif tag == "ER":
            if not open_at:
                errors.append(EntryError(name, number, "ER", "ER without a TY line before it"))
            open_at = 0
    if open_at:
        errors.append(EntryError(name, open_at, f"record {len(starts)}", "the record has no ER line (end of record)"))
    if len(starts) > MAX_RECORDS:
        return starts, [EntryError(name, 0, "file", f"more than {MAX_RECORDS} records; split the file")]
    if not starts and not errors:
        errors.append(EntryError(name, 1, "file", "no RIS record (a record starts with a 'TY  - ' line)"))
    return starts, errors


def parse_ris(data: bytes, name: str, warnings: list[str] | None = None) -> list[tuple[int, str, dict[str, Any]]]:
    import rispy

    text = _decode(data, name, warnings)
    starts, errors = _ris_records(text, name)
    if errors:
        raise BibliographyRejected(errors)
    try:
        records = rispy.loads(text)
    except Exception as exc:  # rispy raises IOError/ValueError variants for malformed files
        raise BibliographyRejected([EntryError(name, 0, "file", f"not a readable RIS file ({exc})")]) from None
    if len(records) != len(starts):
        raise BibliographyRejected(
            [EntryError(name, 0, "file", f"{len(starts)} TY lines but {len(records)} readable records")]
        )
    out: list[tuple[int, str, dict[str, Any]]] = []
    for line, record in zip(starts, records, strict=True):
        label = str(record.get("id") or f"record {len(out) + 1}")
        title = record.get("title") or record.get("primary_title") or record.get("short_title") or ""
        pages = "–".join(p for p in (record.get("start_page"), record.get("end_page")) if p)
        fields = {
            "kind": RIS_TYPES.get(str(record.get("type_of_reference", "")).upper(), ReferenceType.OTHER),
            "title": " ".join(str(title).split()),
            "authors": list(record.get("authors") or record.get("first_authors") or []),
            "year": _year(record.get("year"), record.get("publication_year"), record.get("date")),
            "journal": record.get("secondary_title")
            or record.get("journal_name")
            or record.get("alternate_title3")
            or record.get("alternate_title2")
            or record.get("publisher")
            or "",
            "volume": record.get("volume", ""),
            "issue": record.get("number", ""),
            "pages": pages,
            "doi": record.get("doi", ""),
            "url": next((u for u in (_url(u) for u in record.get("urls", [])) if u), ""),
            "abstract": record.get("abstract") or record.get("notes_abstract") or "",
            "keywords": [k.strip() for k in record.get("keywords", []) if k.strip()],
            "citation_key": record.get("id", ""),
        }
        out.append((line, label, _clean(fields, f"{name}, line {line} ({label})", warnings)))
    return out


# --- BibTeX ---------------------------------------------------------------------------------------------------


LATEX_MAX = 20_000  # characters of one field read as LaTeX; a longer one keeps its characters, braces dropped


def _latex_plain(value: str) -> str:
    """A BibTeX field as the text it prints: accents (C\\'esar, M\\"{u}ller) and special characters as Unicode,
    commands (\\textit{...}) and protective braces removed, -- as an en dash. A bare % is text, not a comment."""
    from pylatexenc.latex2text import LatexNodes2Text

    text = value.replace("--", "–").replace("{", "").replace("}", "")  # no command: braces and dashes only
    if "\\" in value and len(value) <= LATEX_MAX:  # the LaTeX reader is slow on huge fields: bounded
        with contextlib.suppress(Exception):  # malformed LaTeX: the characters as they are, braces dropped
            text = LatexNodes2Text(math_mode="verbatim").latex_to_text(re.sub(r"(?<!\\)%", r"\\%", value))
    return " ".join(text.split())


def _inherited(
    fields: dict[str, str], by_key: dict[str, dict[str, str]], where: str, warnings: list[str] | None
) -> dict[str, str]:
    """An entry with `crossref` takes the fields it lacks from the entry named (a paper from its proceedings, a
    chapter from its book), the parent's title as its booktitle, as BibTeX and biber do."""
    key = fields.get("crossref", "").strip()
    if not key:
        return fields
    parent = by_key.get(key.lower())
    if parent is None:
        if warnings is not None:
            warnings.append(f"{where}: crossref {key} names no entry of this file; nothing inherited")
        return fields
    inherited = {k: v for k, v in parent.items() if k not in ("crossref", "title")}
    if parent.get("title"):
        inherited["booktitle"] = parent["title"]
    return {**inherited, **{k: v for k, v in fields.items() if v}}


def _plain_unless_names(key: str, value: str) -> str:
    """A field as plain text; the names of people stay as written until they are split (a braced name is one)."""
    return value if key.lower() in ("author", "editor") else _latex_plain(value)


def parse_bibtex(data: bytes, name: str, warnings: list[str] | None = None) -> list[tuple[int, str, dict[str, Any]]]:
    import bibtexparser
    from bibtexparser.middlewares.names import split_multiple_persons_names

    text = _decode(data, name, warnings)
    if len(BIB_ENTRY.findall(text)) > MAX_RECORDS:
        raise BibliographyRejected([EntryError(name, 0, "file", f"more than {MAX_RECORDS} entries; split the file")])
    library = bibtexparser.parse_string(text)
    errors = [
        EntryError(
            name,
            (block.start_line or 0) + 1,
            getattr(block, "key", None) or "entry",
            f"not readable BibTeX ({type(block).__name__}: {getattr(block, 'error', '') or 'syntax error'})",
        )
        for block in library.failed_blocks
    ]
    if errors:
        raise BibliographyRejected(errors)
    out: list[tuple[int, str, dict[str, Any]]] = []
    read = {
        entry.key: {k.lower(): _plain_unless_names(k, str(v.value)) for k, v in entry.fields_dict.items()}
        for entry in library.entries
    }
    by_key = {key.lower(): fields for key, fields in read.items()}
    for entry in library.entries:
        f = _inherited(read[entry.key], by_key, f"{name}, line {(entry.start_line or 0) + 1} ({entry.key})", warnings)
        names = split_multiple_persons_names(f.get("author") or f.get("editor") or "")  # braced names kept whole
        authors = [a for a in (_latex_plain(n) for n in names) if a]
        fields = {
            "kind": BIB_TYPES.get(entry.entry_type.lower(), ReferenceType.OTHER),
            "title": f.get("title", ""),
            "authors": authors,
            "year": _year(f.get("year"), f.get("date")),
            "journal": f.get("journal")
            or f.get("journaltitle")
            or f.get("booktitle")
            or f.get("publisher")
            or f.get("institution")
            or f.get("school")
            or "",
            "volume": f.get("volume", ""),
            "issue": f.get("number", ""),
            "pages": f.get("pages", ""),
            "doi": f.get("doi", ""),
            "url": _url(f.get("url", "")),
            "abstract": f.get("abstract", ""),
            "keywords": [k.strip() for k in re.split(r"[;,]", f.get("keywords", "")) if k.strip()],
            "citation_key": entry.key,
            ORCIDS: ORCID_IDS.findall(f.get("orcid-numbers", "") + " " + f.get("orcid", "")),
        }
        line = (entry.start_line or 0) + 1
        out.append((line, entry.key, _clean(fields, f"{name}, line {line} ({entry.key})", warnings)))
    return out


# --- import ---------------------------------------------------------------------------------------------------

# --- PubMed MEDLINE (.nbib) ------------------------------------------------------------------------------------

ORCIDS = "orcids"  # the ORCID iDs of the authors (PubMed's `AUID- ORCID:`, Web of Science's BibTeX
# `ORCID-Numbers`): not stored with the reference, they tie the authors who are people of the registry
ORCID_IDS = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", re.IGNORECASE)
MEDLINE_TAG = re.compile(r"^([A-Z]{2,4})\s*- (.*)$")
MEDLINE_TYPES = {"journal article": ReferenceType.ARTICLE, "review": ReferenceType.ARTICLE, "book": ReferenceType.BOOK}


def parse_medline(data: bytes, name: str, warnings: list[str] | None = None) -> list[tuple[int, str, dict[str, Any]]]:
    """PubMed's own export (MEDLINE/.nbib): records start with `PMID- `, a tag is 2-4 capitals padded to four and
    followed by "- ", and a line indented by six spaces continues the tag before it."""
    text = _decode(data, name, warnings)
    records: list[tuple[int, dict[str, list[str]]]] = []
    current: dict[str, list[str]] | None = None
    last = ""
    errors: list[EntryError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = MEDLINE_TAG.match(line)
        if match:
            last = match.group(1)
            if last == "PMID":
                current = {}
                records.append((number, current))
            if current is None:
                errors.append(EntryError(name, number, last, "a MEDLINE record starts with a 'PMID- ' line"))
                continue
            current.setdefault(last, []).append(match.group(2).strip())
            if last == "AUID" and match.group(2).strip().upper().startswith("ORCID"):
                current.setdefault("ORCID", []).append(match.group(2).strip())  # the author above it
        elif line.startswith("      ") and current is not None and last:
            current[last][-1] += " " + line.strip()
        else:
            errors.append(EntryError(name, number, "line", "neither a 'TAG - value' line nor a continuation"))
    if not records and not errors:
        errors.append(EntryError(name, 1, "file", "no MEDLINE record (a record starts with a 'PMID- ' line)"))
    if len(records) > MAX_RECORDS:
        errors = [EntryError(name, 0, "file", f"more than {MAX_RECORDS} records; split the file")]
    if errors:
        raise BibliographyRejected(errors)
    out: list[tuple[int, str, dict[str, Any]]] = []
    for start, r in records:
        first = {tag: values[0] for tag, values in r.items()}
        ids = r.get("LID", []) + r.get("AID", [])
        doi = next((i for i in ids if i.endswith("[doi]")), "")
        kinds = [t.lower() for t in r.get("PT", [])]
        fields = {
            "kind": next((MEDLINE_TYPES[k] for k in kinds if k in MEDLINE_TYPES), ReferenceType.OTHER),
            "title": " ".join(first.get("TI", first.get("BTI", "")).split()),
            "authors": r.get("FAU") or r.get("AU") or [],
            "year": _year(first.get("DP", "")[:4] or None),
            "journal": first.get("JT") or first.get("TA") or "",
            "volume": first.get("VI", ""),
            "issue": first.get("IP", ""),
            "pages": first.get("PG", "").replace("-", "–"),
            "doi": doi,
            "url": f"https://pubmed.ncbi.nlm.nih.gov/{first['PMID']}/" if first.get("PMID") else "",
            "abstract": first.get("AB", ""),
            "keywords": [k for k in r.get("OT", []) + r.get("MH", []) if k],
            "citation_key": f"PMID:{first['PMID']}" if first.get("PMID") else "",
            ORCIDS: r.get("ORCID", []),
        }
        label = f"PMID {first.get('PMID', '?')}"
        out.append((start, label, _clean(fields, f"{name}, line {start} ({label})", warnings)))
    return out


PARSERS = {"ris": parse_ris, "bibtex": parse_bibtex, "medline": parse_medline}


def _can_link(user: User | None, partnership: Partnership) -> bool:
    from healthlinks.registry.selectors import Access, partnership_access

    return user is None or partnership_access(user, partnership) >= Access.MEMBER


@transaction.atomic
def import_references(
    data: bytes,
    name: str,
    *,
    fmt: str,
    user: User | None,
    partnership: Partnership | None = None,
    themes: Iterable[str] = (),
) -> BibliographyResult:
    from healthlinks.evidence.selectors import can_add_references

    if user is not None and not can_add_references(user):
        raise BibliographyRejected([EntryError(name, 0, "file", "you may not add references")])
    if partnership is not None and not _can_link(user, partnership):
        raise BibliographyRejected([EntryError(name, 0, "file", f"you may not link references to {partnership}")])
    themes = list(themes)
    if any("\x00" in theme for theme in themes):  # PostgreSQL cannot store it
        raise BibliographyRejected([EntryError(name, 0, "themes", "a theme holds a NUL character")])
    warnings: list[str] = []
    entries = PARSERS[fmt](data, name, warnings)
    errors = []
    for line, label, fields in entries:
        if not fields["title"]:
            errors.append(EntryError(name, line, label, "no title"))
        elif len(fields["title"]) > 2000:
            errors.append(EntryError(name, line, label, "the title is longer than 2000 characters"))
    if errors:
        raise BibliographyRejected(errors)
    result = BibliographyResult(name, warnings=warnings)
    links: dict[str, Iterable[Any]] = {"themes": services.themes_get_or_create(themes)}
    if partnership is not None:
        links["partnerships"] = [partnership]
    for line, label, fields in entries:
        orcids = fields.pop(ORCIDS, [])
        try:
            reference, status = services.reference_upsert(by=user, fields=fields, links=links)
        except ValidationError as exc:
            raise BibliographyRejected([EntryError(name, line, label, "; ".join(exc.messages))]) from None
        result.counts[status] += 1
        if orcids:
            ties = services.coauthors_by_orcid(by=user, reference=reference, orcids=orcids)
            if ties:
                result.counts["co-author ties"] += len(ties)
        result.references.append(reference)
    return result


# --- export ---------------------------------------------------------------------------------------------------


def _key(reference: Reference, used: set[str]) -> str:
    if reference.citation_key and re.fullmatch(r"[\w:.\-]+", reference.citation_key):
        key = reference.citation_key
    else:
        word = next((w for w in re.findall(r"[A-Za-z]+", reference.title) if len(w) > 3), "ref")
        family = re.sub(r"\W", "", reference.first_author) or "Anon"
        key = f"{family}{reference.year or ''}{word.capitalize()}"
    base, n = key, 1
    while key in used:
        n += 1
        key = f"{base}{chr(96 + n) if n < 27 else n}"
    used.add(key)
    return key


def export_ris(references: Iterable[Reference]) -> str:
    import rispy

    records = []
    for r in references:
        record: dict[str, Any] = {"type_of_reference": RIS_OUT.get(ReferenceType(r.kind), "GEN"), "title": r.title}
        optional = {
            "authors": r.authors,
            "year": str(r.year) if r.year else "",
            "secondary_title": r.journal,
            "volume": r.volume,
            "number": r.issue,
            "doi": r.doi,
            "urls": [r.url] if r.url else [],
            "abstract": r.abstract,
            "keywords": [*r.keywords, *(t.name for t in r.themes.all())],
            "id": r.citation_key,
        }
        if r.pages:
            first, _sep, last = r.pages.replace("–", "-").partition("-")
            optional["start_page"], optional["end_page"] = first, last
        record.update({k: v for k, v in optional.items() if v})
        records.append(record)
    return str(rispy.dumps(records))


CORPORATE = re.compile(
    r"\b(organi[sz]ation|ministry|ministerio|minist[èe]re|foundation|fund|institute|institut|university|"
    r"universit[éy]|college|council|association|department|agency|trust|hospital|group|collaboration|"
    r"consortium|network|partnership|programme|program|commission|society|office|centre|center|bank|"
    r"unicef|unaids|who|nhs|thet)\b",
    re.IGNORECASE,
)


def _tex(value: str) -> str:
    """A field's text as BibTeX reads it back: braces dropped, LaTeX's special characters escaped."""
    value = value.replace("{", "").replace("}", "").replace("\\", "")
    return re.sub(r"([&%$#_])", r"\\\1", value)


def bibtex_names(authors: Iterable[str]) -> str:
    """The author list as BibTeX and biber split it: names joined by " and "; a name that is an organisation, or
    holds the word "and", in braces so that it stays one name ("{World Health Organization}")."""
    names = []
    for author in authors:
        name = _tex(" ".join(author.split()))
        if not name:
            continue
        if re.search(r"\sand\s", name, re.IGNORECASE) or ("," not in name and CORPORATE.search(name)):
            name = "{" + name + "}"
        names.append(name)
    return " and ".join(names)


def export_bibtex(references: Iterable[Reference]) -> str:
    import bibtexparser
    from bibtexparser.model import Entry, Field

    library = bibtexparser.Library()
    used: set[str] = set()
    for r in references:
        values = {
            "title": r.title,
            "author": "",
            "year": str(r.year or ""),
            "journal" if r.kind == ReferenceType.ARTICLE else "publisher": r.journal,
            "volume": r.volume,
            "number": r.issue,
            "pages": r.pages.replace("–", "--"),
            "doi": r.doi,
            "url": r.url,
            "abstract": r.abstract,
            "keywords": ", ".join([*r.keywords, *(t.name for t in r.themes.all())]),
        }
        values["author"] = bibtex_names(r.authors)
        # bibtexparser encloses each value in braces: the author list must not be braced once more (BibTeX would
        # read the whole list as one corporate name)
        fields = [Field(k, v if k == "author" else _tex(v)) for k, v in values.items() if v]
        library.add(Entry(BIB_OUT.get(ReferenceType(r.kind), "misc"), _key(r, used), fields))
    return str(bibtexparser.write_string(library))
