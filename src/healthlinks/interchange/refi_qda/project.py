"""Import and export REFI-QDA projects (.qdpx) and codebooks (.qdc), validated against the shipped XSDs.

Mapping:
  Code (nested, guid, name, color, Description)      <-> interviews.Code
  TextSource (plainTextPath in sources/, or inline)   <-> interviews.Source (title = name)
  PlainTextSelection + Coding(CodeRef)                <-> interviews.Segment (one per Coding; the selection's
                                                          guid is kept so codings of one span stay together)
  Note (PlainTextContent) + NoteRef on a source,      <-> interviews.Memo
  selection or code
  User (name)                                          -> the segment's coder when a user of that name exists

Not imported (reported as warnings): picture, PDF, audio and video sources; text sources whose text is not in
the archive; notes not attached to a source, selection or code; sets, cases, variables, links and graphs.
Speakers and their roles are Healthlinks' own and are not exchanged."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from lxml import etree

from healthlinks.accounts.models import User
from healthlinks.interchange.refi_qda.safe import QdaError, QdaRejected, parse_xml, read_zip, validate
from healthlinks.interviews import services
from healthlinks.interviews.models import Code, Memo, Segment, Source
from healthlinks.registry.models import Partnership

NS = "urn:QDA-XML:project:1.0"
CB_NS = "urn:QDA-XML:codebook:1.0"
USER_NS = uuid.UUID("2d3c0a4e-8c8e-4f0b-9a57-3f1e6b7d5c21")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class QdaResult:
    name: str
    counts: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = ", ".join(f"{n} {k}" for k, n in self.counts.items() if n) or "nothing new"
        return f"{self.name}: {parts}"


def _q(tag: str, ns: str = NS) -> str:
    return f"{{{ns}}}{tag}"


def _guid(value: str | None) -> uuid.UUID:
    return uuid.UUID((value or "").strip("{}"))


def _xml_text(value: str) -> str:
    return _XML_BAD.sub("", value)


# --- reading --------------------------------------------------------------------------------------------------


@dataclass
class _Code:
    guid: uuid.UUID
    parent: uuid.UUID | None
    name: str
    description: str
    colour: str
    codable: bool
    line: int


def _codes(parent_el: Any, ns: str, parent: uuid.UUID | None = None) -> list[_Code]:
    out = []
    for el in parent_el.findall(_q("Code", ns)):
        colour = el.get("color", "")
        if len(colour) == 4:  # #RGB -> #RRGGBB
            colour = "#" + "".join(c * 2 for c in colour[1:])
        desc = el.find(_q("Description", ns))
        code = _Code(
            guid=_guid(el.get("guid")),
            parent=parent,
            name=el.get("name", "").strip() or "(unnamed)",
            description=(desc.text or "") if desc is not None else "",
            colour=colour.upper() if colour else "",
            codable=el.get("isCodable", "true") in ("true", "1"),
            line=el.sourceline or 0,
        )
        out.append(code)
        out.extend(_codes(el, ns, code.guid))
    return out


def _write_codes(codes: list[_Code], by: User | None, result: QdaResult, name: str) -> dict[uuid.UUID, Code]:
    """Upsert codes by guid, parents first (the list is in document order, parents before children)."""
    saved: dict[uuid.UUID, Code] = {}
    for c in codes:
        existing = Code.objects.filter(guid=c.guid).first()
        parent = saved.get(c.parent) if c.parent else None
        fields = {
            "parent": parent,
            "name": c.name,
            "description": c.description,
            "colour": c.colour,
            "is_codable": c.codable,
        }
        if existing and all(getattr(existing, k) == v for k, v in fields.items()):
            saved[c.guid] = existing
            result.counts["codes unchanged"] += 1
            continue
        name_taken = Code.objects.filter(parent=parent, name=c.name)
        if existing:
            name_taken = name_taken.exclude(pk=existing.pk)
        if name_taken.exists():  # same name under one parent from another tool: keep both, distinguishable
            fields["name"] = f"{c.name} ({str(c.guid)[:8]})"
        try:
            saved[c.guid] = services.code_save(by=by, code=existing, guid=c.guid, **fields)
        except ValidationError as exc:
            raise QdaRejected([QdaError(name, c.line, f"Code {c.name}", "; ".join(exc.messages))]) from None
        result.counts["codes updated" if existing else "codes created"] += 1
    return saved


def _resolve_path(path: str, members: dict[str, bytes]) -> bytes | None:
    """plainTextPath: internal://X (in sources/), or a path relative to sources/ (as some tools write)."""
    if not path:
        return None
    if path.startswith("internal://"):
        path = path[len("internal://") :]
    elif "://" in path:
        return None  # relative:// and absolute URLs point outside the archive
    lowered = {k.lower(): v for k, v in members.items()}
    for candidate in (f"sources/{path}", path):
        if candidate.lower() in lowered:
            return lowered[candidate.lower()]
    return None


def _decode(data: bytes) -> str:
    text = data.decode("utf-8")
    return text[1:] if text.startswith("\ufeff") else text


def _can_import(user: User | None, partnership: Partnership) -> bool:
    from healthlinks.registry.selectors import Access, partnership_access

    return user is None or partnership_access(user, partnership) >= Access.EDIT


@transaction.atomic
def import_qdpx(data: bytes, name: str, *, partnership: Partnership, user: User | None) -> QdaResult:
    """Import a project into one partnership. All or nothing; importing the same file again changes nothing."""
    if not _can_import(user, partnership):
        raise QdaRejected([QdaError(name, 0, "", f"you may not import interviews into {partnership.name}")])
    members = read_zip(data, name)
    qde_name = next((k for k in members if k.lower() == "project.qde"), None)
    if qde_name is None:
        raise QdaRejected([QdaError(name, 0, "", "no project.qde at the top of the archive: not a .qdpx project")])
    where = f"{name}/{qde_name}"
    tree = parse_xml(members[qde_name], where)
    validate(tree, "Project", where)
    root = tree.getroot()
    result = QdaResult(name)
    errors: list[QdaError] = []

    users = {u.get("guid", "").strip("{}").lower(): u.get("name", "") for u in root.iter(_q("User"))}
    known_users = {u.username: u for u in User.objects.filter(username__in=[n for n in users.values() if n])}

    codebook = root.find(_q("CodeBook"))
    codes = _codes(codebook.find(_q("Codes")), NS) if codebook is not None else []
    code_guids = {c.guid for c in codes}
    notes = {_guid(n.get("guid")): n for n in root.iter(_q("Note"))}
    used_notes: set[uuid.UUID] = set()

    # Read every text source and selection first: errors are collected before anything is written.
    planned: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    sources_el = root.find(_q("Sources"))
    for el in sources_el if sources_el is not None else []:
        if not isinstance(el.tag, str):
            continue
        tag = etree.QName(el).localname
        if tag != "TextSource":
            skipped[tag] += 1
            continue
        title = el.get("name") or el.get("plainTextPath", "") or str(el.get("guid"))
        inline = el.find(_q("PlainTextContent"))
        raw = _resolve_path(el.get("plainTextPath", ""), members)
        if inline is not None and inline.text is not None:
            content = inline.text
        elif raw is not None:
            try:
                content = _decode(raw)
            except UnicodeDecodeError as exc:
                errors.append(QdaError(where, el.sourceline or 0, f"TextSource {title}", f"text is not UTF-8 ({exc})"))
                continue
        else:
            result.warnings.append(
                f"{where}, line {el.sourceline}: text source {title!r} not imported: its text "
                f"({el.get('plainTextPath', 'no path')}) is not in the archive"
            )
            skipped["TextSource without text"] += 1
            continue
        selections = []
        for sel in el.findall(_q("PlainTextSelection")):
            start, end = int(sel.get("startPosition", "0")), int(sel.get("endPosition", "0"))
            label = f"PlainTextSelection {sel.get('guid')}"
            if not 0 <= start < end <= len(content):
                errors.append(
                    QdaError(
                        where,
                        sel.sourceline or 0,
                        label,
                        f"positions {start}–{end} are outside the text ({len(content)} characters)",
                    )
                )
                continue
            codings = []
            for coding in sel.findall(_q("Coding")):
                target = _guid(coding.find(_q("CodeRef")).get("targetGUID"))
                if target not in code_guids and not Code.objects.filter(guid=target).exists():
                    errors.append(QdaError(where, coding.sourceline or 0, label, f"coded with unknown code {target}"))
                    continue
                coder = users.get((coding.get("creatingUser") or "").strip("{}").lower(), "")
                codings.append((_guid(coding.get("guid")), target, known_users.get(coder)))
            desc = sel.find(_q("Description"))
            note_refs = [_guid(r.get("targetGUID")) for r in sel.findall(_q("NoteRef"))]
            selections.append(
                {
                    "guid": _guid(sel.get("guid")),
                    "start": start,
                    "end": end,
                    "codings": codings,
                    "description": (desc.text or "").strip() if desc is not None else "",
                    "notes": note_refs,
                }
            )
        existing = Source.objects.filter(guid=_guid(el.get("guid"))).first()
        if existing and existing.partnership_id != partnership.pk:
            errors.append(
                QdaError(
                    where,
                    el.sourceline or 0,
                    f"TextSource {title}",
                    "this source already belongs to another partnership",
                )
            )
        planned.append(
            {
                "guid": _guid(el.get("guid")),
                "title": title[:200],
                "content": content,
                "selections": selections,
                "notes": [_guid(r.get("targetGUID")) for r in el.findall(_q("NoteRef"))],
                "line": el.sourceline,
                "existing": existing,
            }
        )
    if errors:
        raise QdaRejected(errors)

    saved_codes = _write_codes(codes, user, result, where)
    code_notes = (
        {}
        if codebook is None
        else {
            _guid(c.get("guid")): [_guid(r.get("targetGUID")) for r in c.findall(_q("NoteRef"))]
            for c in codebook.iter(_q("Code"))
        }
    )

    def code_for(guid: uuid.UUID) -> Code:
        return saved_codes.get(guid) or Code.objects.get(guid=guid)

    def memo(note_guid: uuid.UUID, **target: Any) -> None:
        el = notes.get(note_guid)
        if el is None:
            result.warnings.append(f"{where}: note {note_guid} is referred to but missing")
            return
        used_notes.add(note_guid)
        if Memo.objects.filter(guid=note_guid).exists():
            result.counts["memos unchanged"] += 1
            return
        content_el = el.find(_q("PlainTextContent"))
        text = (content_el.text or "") if content_el is not None else ""
        text = text or el.get("name", "")
        if not text.strip():
            return
        services.memo_create(by=user, text=text, partnership=partnership, guid=note_guid, **target)
        result.counts["memos created"] += 1

    try:
        for src in planned:
            source = src["existing"]
            if source is None:
                source = services.source_save(
                    by=user, guid=src["guid"], partnership=partnership, title=src["title"], content=src["content"]
                )
                result.counts["sources created"] += 1
            else:
                if source.title != src["title"] or source.content != src["content"]:
                    source = services.source_save(by=user, source=source, title=src["title"], content=src["content"])
                    result.counts["sources updated"] += 1
                else:
                    result.counts["sources unchanged"] += 1
            for note in src["notes"]:
                memo(note, source=source)
            for sel in src["selections"]:
                first: Segment | None = None
                for coding_guid, code_guid, coder in sel["codings"]:
                    segment = Segment.objects.filter(guid=coding_guid).first()
                    if segment is None:
                        segment = services.segment_create(
                            by=coder or user,
                            source=source,
                            code=code_for(code_guid),
                            start=sel["start"],
                            end=sel["end"],
                            guid=coding_guid,
                            selection_guid=sel["guid"],
                        )
                        result.counts["segments created"] += 1
                    else:
                        result.counts["segments unchanged"] += 1
                    first = first or segment
                if first is None:
                    if sel["description"] or sel["notes"]:
                        result.warnings.append(f"{where}: selection {sel['guid']} has no coding; its memo is skipped")
                    continue
                for note in sel["notes"]:
                    memo(note, segment=first)
                if sel["description"]:
                    desc_guid = uuid.uuid5(sel["guid"], "description")
                    if not Memo.objects.filter(guid=desc_guid).exists():
                        services.memo_create(
                            by=user, text=sel["description"], partnership=partnership, segment=first, guid=desc_guid
                        )
                        result.counts["memos created"] += 1
        for code_guid, refs in code_notes.items():
            for note in refs:
                memo(note, code=code_for(code_guid))
    except ValidationError as exc:
        raise QdaRejected([QdaError(where, 0, "", "; ".join(exc.messages))]) from None

    for kind, n in skipped.items():
        result.warnings.append(f"{where}: {n} {kind} not imported (only text sources are)")
    unused = len(notes) - len(used_notes)
    if unused:
        result.warnings.append(f"{where}: {unused} notes not attached to a source, selection or code not imported")
    return result


@transaction.atomic
def import_qdc(data: bytes, name: str, *, user: User | None) -> QdaResult:
    """Import a codebook (.qdc). Codes are matched by guid; importing again changes nothing."""
    from healthlinks.interviews.selectors import can_edit_codebook

    if user is not None and not can_edit_codebook(user):
        raise QdaRejected([QdaError(name, 0, "", "you may not edit the codebook")])
    tree = parse_xml(data, name)
    validate(tree, "Codebook", name)
    result = QdaResult(name)
    codes = _codes(tree.getroot().find(_q("Codes", CB_NS)), CB_NS)
    _write_codes(codes, user, result, name)
    return result


# --- writing --------------------------------------------------------------------------------------------------


def _user_guid(username: str) -> str:
    return str(uuid.uuid5(USER_NS, username)).upper()


def _code_elements(
    parent: Any,
    codes: Iterable[Code],
    children: dict[int | None, list[Code]],
    ns: str,
    memos: dict[int, list[Memo]] | None = None,
) -> None:
    for code in codes:
        attrs = {
            "guid": str(code.guid).upper(),
            "name": _xml_text(code.name),
            "isCodable": "true" if code.is_codable else "false",
        }
        if code.colour:
            attrs["color"] = code.colour
        el = etree.SubElement(parent, _q("Code", ns), attrs)
        if code.description:
            etree.SubElement(el, _q("Description", ns)).text = _xml_text(code.description)
        for memo in (memos or {}).get(code.pk, []):
            etree.SubElement(el, _q("NoteRef", ns), {"targetGUID": str(memo.guid).upper()})
        _code_elements(el, children.get(code.pk, []), children, ns, memos)


def _code_tree() -> tuple[list[Code], dict[int | None, list[Code]]]:
    children: dict[int | None, list[Code]] = defaultdict(list)
    for code in Code.objects.order_by("name", "pk"):
        children[code.parent_id].append(code)
    return children.get(None, []), children


def export_qdc() -> bytes:
    roots, children = _code_tree()
    root = etree.Element(_q("CodeBook", CB_NS), {"origin": "Healthlinks"}, nsmap={None: CB_NS})
    codes_el = etree.SubElement(root, _q("Codes", CB_NS))
    _code_elements(codes_el, roots, children, CB_NS)
    if not len(codes_el):
        root.remove(codes_el)
        etree.SubElement(root, _q("Codes", CB_NS))
    tree = etree.ElementTree(root)
    if roots:
        validate(tree, "Codebook", "export.qdc")
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8", pretty_print=True)


def export_qdpx(sources: Iterable[Source], *, memos: Iterable[Memo] = (), project_name: str = "Healthlinks") -> bytes:
    """The given sources (with all their segments), the whole codebook and the given memos, as a .qdpx."""
    sources = list(sources)
    source_ids = {s.pk for s in sources}
    segments = list(
        Segment.objects.filter(source_id__in=source_ids)
        .select_related("coder")
        .order_by("source_id", "start", "end", "pk")
    )
    segment_ids = {s.pk for s in segments}
    memos = [m for m in memos if m.source_id in source_ids or m.code_id or m.segment_id in segment_ids]
    by_code: dict[int, list[Memo]] = defaultdict(list)
    by_source: dict[int, list[Memo]] = defaultdict(list)
    by_segment: dict[int, list[Memo]] = defaultdict(list)
    for m in memos:
        if m.code_id:
            by_code[m.code_id].append(m)
        elif m.source_id:
            by_source[m.source_id].append(m)
        elif m.segment_id:
            by_segment[m.segment_id].append(m)

    root = etree.Element(_q("Project"), {"name": _xml_text(project_name), "origin": "Healthlinks"}, nsmap={None: NS})
    coders = sorted({s.coder.username for s in segments if s.coder} | {m.author.username for m in memos if m.author})
    if coders:
        users_el = etree.SubElement(root, _q("Users"))
        for username in coders:
            etree.SubElement(users_el, _q("User"), {"guid": _user_guid(username), "name": username})
    roots, children = _code_tree()
    if roots:
        codebook = etree.SubElement(root, _q("CodeBook"))
        _code_elements(etree.SubElement(codebook, _q("Codes")), roots, children, NS, by_code)
    files: dict[str, bytes] = {}
    if sources:
        sources_el = etree.SubElement(root, _q("Sources"))
        per_source: dict[int, list[Segment]] = defaultdict(list)
        for seg in segments:
            per_source[seg.source_id].append(seg)
        for source in sources:
            path = f"{str(source.guid).upper()}.txt"
            files[f"sources/{path}"] = source.content.encode("utf-8")
            src_el = etree.SubElement(
                sources_el,
                _q("TextSource"),
                {
                    "guid": str(source.guid).upper(),
                    "name": _xml_text(source.title),
                    "plainTextPath": f"internal://{path}",
                },
            )
            selections: dict[uuid.UUID, list[Segment]] = defaultdict(list)
            for seg in per_source.get(source.pk, []):
                selections[seg.selection_guid].append(seg)
            for sel_guid, segs in selections.items():
                first = segs[0]
                sel_el = etree.SubElement(
                    src_el,
                    _q("PlainTextSelection"),
                    {
                        "guid": str(sel_guid).upper(),
                        "name": _xml_text(first.text[:100]),
                        "startPosition": str(first.start),
                        "endPosition": str(first.end),
                    },
                )
                for seg in segs:
                    attrs = {"guid": str(seg.guid).upper()}
                    if seg.coder:
                        attrs["creatingUser"] = _user_guid(seg.coder.username)
                    coding = etree.SubElement(sel_el, _q("Coding"), attrs)
                    etree.SubElement(coding, _q("CodeRef"), {"targetGUID": str(seg.code.guid).upper()})
                for seg in segs:
                    for m in by_segment.get(seg.pk, []):
                        etree.SubElement(sel_el, _q("NoteRef"), {"targetGUID": str(m.guid).upper()})
            for m in by_source.get(source.pk, []):
                etree.SubElement(src_el, _q("NoteRef"), {"targetGUID": str(m.guid).upper()})
    if memos:
        notes_el = etree.SubElement(root, _q("Notes"))
        for m in memos:
            attrs = {"guid": str(m.guid).upper(), "name": _xml_text(m.text.splitlines()[0][:60] if m.text else "Memo")}
            if m.author:
                attrs["creatingUser"] = _user_guid(m.author.username)
            note = etree.SubElement(notes_el, _q("Note"), attrs)
            etree.SubElement(note, _q("PlainTextContent")).text = _xml_text(m.text)
    tree = etree.ElementTree(root)
    validate(tree, "Project", "project.qde")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", etree.tostring(tree, xml_declaration=True, encoding="utf-8", pretty_print=True))
        for path, content in files.items():
            archive.writestr(path, content)
    return buffer.getvalue()
