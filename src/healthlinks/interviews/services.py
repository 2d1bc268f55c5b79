"""Writes of interview sources, speakers, codes, segments and memos: validated, atomic, with history."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from healthlinks.accounts.models import User
from healthlinks.interviews.models import Code, Memo, Segment, Source, Speaker
from healthlinks.registry.models import Partnership

STARTER_CODEBOOK = Path(__file__).parent / "data" / "starter_codebook.json"
MAX_DOCX_BYTES = 20 * 1024 * 1024  # uncompressed size of the parts of a .docx we accept
MAX_TEXT_CHARS = 2_000_000


def _by(obj: Any, by: User | None) -> None:
    obj._history_user = by


# --- codebook -------------------------------------------------------------------------------------------------


@transaction.atomic
def code_save(*, by: User | None, code: Code | None = None, **fields: Any) -> Code:
    code = code or Code()
    for name, value in fields.items():
        setattr(code, name, value)
    code.full_clean()
    _by(code, by)
    code.save()
    return code


@transaction.atomic
def codebook_load_starter(*, by: User | None = None) -> dict[str, int]:
    """Load (upsert by guid) the shipped starter codebook. Edits made on the codebook page to names,
    descriptions and colours are kept: only missing codes are created."""
    data = json.loads(STARTER_CODEBOOK.read_text(encoding="utf-8"))
    counts = {"created": 0, "kept": 0}

    def walk(items: list[dict[str, Any]], parent: Code | None) -> None:
        for item in items:
            code = Code.objects.filter(guid=item["guid"]).first()
            if code is None:
                code = code_save(
                    by=by,
                    guid=uuid.UUID(item["guid"]),
                    parent=parent,
                    name=item["name"],
                    description=item.get("description", ""),
                    colour=item.get("colour", ""),
                )
                counts["created"] += 1
            else:
                counts["kept"] += 1
            walk(item.get("children", []), code)

    walk(data["codes"], None)
    return counts


# --- sources --------------------------------------------------------------------------------------------------


def text_from_upload(name: str, data: bytes) -> str:
    """Plain text of an uploaded transcript: .txt (UTF-8, else Windows-1252) or .docx (paragraphs, one a line)."""
    lower = name.lower()
    if lower.endswith(".docx"):
        return _docx_text(name, data)
    if lower.endswith(".txt") or "." not in lower:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise ValidationError(_("%(name)s: the text is neither UTF-8 nor Windows-1252") % {"name": name})
    raise ValidationError(_("%(name)s: a transcript must be a .txt or .docx file") % {"name": name})


def _docx_text(name: str, data: bytes) -> str:
    import docx

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_DOCX_BYTES:
                raise ValidationError(_("%(name)s: the document is too large once unpacked") % {"name": name})
        document = docx.Document(io.BytesIO(data))
    except ValidationError:
        raise
    except Exception as exc:  # python-docx raises several kinds for a damaged file
        raise ValidationError(
            _("%(name)s: not a readable .docx file (%(error)s)") % {"name": name, "error": exc}
        ) from exc
    return "\n".join(p.text for p in document.paragraphs)


@transaction.atomic
def source_save(*, by: User | None, source: Source | None = None, **fields: Any) -> Source:
    source = source or Source(created_by=by)
    old_content = source.content if source.pk else None
    for name, value in fields.items():
        setattr(source, name, value)
    if source.content:
        source.content = source.content.replace("\x00", "")
    if len(source.content or "") > MAX_TEXT_CHARS:
        raise ValidationError({"content": _("the text is longer than %(n)s characters") % {"n": MAX_TEXT_CHARS}})
    source.full_clean()
    if old_content is not None and old_content != source.content and source.segments.exists():
        raise ValidationError({"content": _("the text of a coded source cannot change: the segments would move")})
    _by(source, by)
    source.save()
    return source


def _turns(source: Source, speakers: Iterable[Speaker]) -> list[tuple[int, Speaker]]:
    turns: list[tuple[int, Speaker]] = []
    for speaker in speakers:
        pattern = re.compile(rf"^[ \t]*{re.escape(speaker.label)}[ \t]*:", re.MULTILINE)
        turns.extend((m.start(), speaker) for m in pattern.finditer(source.content))
    return sorted(turns, key=lambda t: t[0])


def _speaker_at(turns: list[tuple[int, Speaker]], position: int) -> Speaker | None:
    found = None
    for start, speaker in turns:
        if start > position:
            break
        found = speaker
    return found


def segments_assign_speakers(*, source: Source) -> None:
    """Recompute which speaker each segment of the source belongs to (derived from the turns in the text)."""
    turns = _turns(source, source.speakers.all())
    for segment in source.segments.all():
        speaker = _speaker_at(turns, segment.start)
        if segment.speaker_id != (speaker.pk if speaker else None):
            Segment.objects.filter(pk=segment.pk).update(speaker=speaker)


@transaction.atomic
def speaker_save(*, by: User | None, source: Source, label: str, **fields: Any) -> Speaker:
    speaker = Speaker.objects.filter(source=source, label=label).first() or Speaker(source=source, label=label)
    for name, value in fields.items():
        setattr(speaker, name, value)
    speaker.full_clean(validate_unique=False)
    _by(speaker, by)
    speaker.save()
    segments_assign_speakers(source=source)
    return speaker


# --- coding ---------------------------------------------------------------------------------------------------


@transaction.atomic
def segment_create(*, by: User | None, source: Source, code: Code, start: int, end: int, **fields: Any) -> Segment:
    """Apply a code to content[start:end]. Applying the same code to the same span again returns the segment."""
    existing = Segment.objects.filter(source=source, code=code, start=start, end=end).first()
    if existing:
        return existing
    segment = Segment(source=source, code=code, start=start, end=end, coder=by, **fields)
    segment.full_clean()
    segment.speaker = _speaker_at(_turns(source, source.speakers.all()), start)
    _by(segment, by)
    segment.save()
    return segment


@transaction.atomic
def segment_delete(*, by: User | None, segment: Segment) -> None:
    _by(segment, by)
    segment.delete()


@transaction.atomic
def memo_create(
    *,
    by: User | None,
    text: str,
    partnership: Partnership,
    source: Source | None = None,
    code: Code | None = None,
    segment: Segment | None = None,
    **fields: Any,
) -> Memo:
    memo = Memo(text=text, partnership=partnership, source=source, code=code, segment=segment, author=by, **fields)
    memo.full_clean()
    _by(memo, by)
    memo.save()
    return memo
