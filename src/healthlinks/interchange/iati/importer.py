"""Import IATI activity files as projects: one transaction per file, re-import updates by iati-identifier.

For each activity: the reporting and participating organisations are matched to institutions (IATI
organisation identifier, ROR id, exact name; else created and flagged for review, in the country the organisation
itself states, never a guessed one: without one it is not filed and the project is flagged), the project goes to
the partnership whose members are exactly its participating institutions (else one is created as a draft and
flagged for review; with fewer than two institutions the project is held for review, without partnership), and
the project with its parts is saved with its warnings kept on it.

Large files are read as a stream and written in chunks of CHUNK_SIZE activities: the existing projects and
institutions of a chunk are looked up with a few IN queries, each activity is decided in memory (a savepoint
is taken only when it creates an institution or a partnership, so that a skipped activity leaves nothing
behind), and the chunk's projects, parts and history rows are written in bulk
(`projects.services.projects_bulk_save`). The data versions are bumped once per file."""

from __future__ import annotations

import gc
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, Any, cast

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from healthlinks import bulk, changes
from healthlinks.accounts.models import User
from healthlinks.interchange.iati.activity import IatiActivity, Narrative
from healthlinks.interchange.iati.background import BackgroundReader
from healthlinks.interchange.iati.reader import ActivityReader, FileRefused, Issue, ParsedActivity, data_digest
from healthlinks.projects.later import LaterWrites, later_writes
from healthlinks.projects.models import Project, first_text
from healthlinks.projects.services import (
    BudgetFields,
    ParticipantFields,
    ProjectFields,
    ProjectParts,
    ProjectWrite,
    ResultFields,
    TransactionFields,
    projects_bulk_save,
)
from healthlinks.records import RowInvalid
from healthlinks.reference.models import Country, OrganisationType
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import (
    IATI_ORG_RE,
    ROR_RE,
    Institution,
    Partnership,
    PartnershipAccess,
    PartnershipMember,
    ror_checksum_ok,
)
from healthlinks.registry.services import (
    MemberSpec,
    NewPartnership,
    institutions_create_many,
    partnerships_create_many,
)

MAX_WARNINGS_KEPT = 200  # per project; the rest are counted
MAX_WARNINGS_REPORTED = 1000  # per file report
CHUNK_SIZE = 500  # activities decided and written together (memory stays flat: one chunk at a time)
# the first chunks are smaller: while the first chunk is read the importer has nothing to do (with a second
# reading process, 500 activities took it a quarter of a second), and the last one is written after the reading
FIRST_CHUNKS = (50, 150, 300)
# files at least this large are read by a second process (background.py) while this one writes
BACKGROUND_MIN_BYTES = 16 * 1024 * 1024
LOOKUP_BATCH = 200  # values per IN / OR query (SQLite limits expression depth)
CACHE_LIMIT = 20_000  # organisations and partnerships kept in memory for a file (then looked up again)
FUNDING_ROLE = "1"
KIND_BY_ORG_TYPE = {
    "10": "government",
    "11": "government",
    "15": "government",
    "21": "ngo",
    "22": "ngo",
    "23": "ngo",
    "24": "ngo",
    "80": "university",
}


class ImportNotAllowed(Exception):
    pass


@dataclass
class Skipped:
    line: int
    identifier: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, activity {self.identifier or '?'}: skipped: {self.reason}"


@dataclass
class IatiImportReport:
    file: str
    version: str = ""
    refused: FileRefused | None = None
    activities: int = 0
    imported: int = 0
    imported_with_warnings: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[Issue] = field(default_factory=list)
    warnings_total: int = 0
    notes: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # identifiers of the activities kept without a partnership

    @property
    def status(self) -> int:
        """0 all imported without warnings, 3 some with warnings (or held for review), 4 some skipped, 1 refused
        (nothing written)."""
        if self.refused is not None:
            return 1
        if self.skipped:
            return 4
        return 3 if self.imported_with_warnings or self.held else 0

    def __str__(self) -> str:
        if self.refused is not None:
            return f"{self.file}: not imported, nothing written: {self.refused}"
        return (
            f"{self.file} (IATI {self.version}): {self.activities} activities: {self.imported} imported, "
            f"{self.imported_with_warnings} imported with warnings, {len(self.skipped)} skipped "
            f"({self.created} new, {self.updated} updated, {self.unchanged} unchanged; "
            f"{len(self.held)} held for review)"
        )

    def add_warning(self, issue: Issue) -> None:
        self.warnings_total += 1
        if len(self.warnings) < MAX_WARNINGS_REPORTED:
            self.warnings.append(issue)


class _Rollback(Exception):
    pass


def can_import(user: User | None) -> bool:
    """The command line without --user, hub admins and coordinators."""
    return user is None or registry_selectors.can_create_partnership(user)


Progress = Callable[[str, int, int], None]


def count_activities(path: str) -> int:
    """About how many activities a file holds (its `<iati-activity` tags, which `<iati-activities` is not), read
    in 1 MB blocks: the total that progress is reported against."""
    tag = b"<iati-activity"
    count, tail = 0, b""
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            data = tail + block
            count += data.count(tag)
            tail = data[-(len(tag) - 1) :]  # too short to hold a whole tag: none is counted twice
    return count


def import_iati(
    source: str | IO[bytes],
    *,
    user: User | None = None,
    strict: bool = False,
    name: str = "",
    progress: Progress | None = None,
    pause_collector: bool = False,
) -> IatiImportReport:
    """Import one file (a path or a binary file object). Never raises for bad content: see report.refused.
    `progress(stage, done, total)` is told the activities imported so far, after each chunk.

    `pause_collector`: only for a caller that runs the import in a process of its own, in its main thread (the
    command line; the task worker's own process): Python's cyclic garbage collector, which is process-wide, is
    paused while the file is imported (see `_collector_paused`). A web process never passes it."""
    if not can_import(user):
        raise ImportNotAllowed("only coordinators and hub admins may import IATI files")
    label = name or (source if isinstance(source, str) else getattr(source, "name", "upload"))
    report = IatiImportReport(file=str(label))
    reader: ActivityReader | BackgroundReader = ActivityReader(source, strict=strict)
    if isinstance(source, str) and os.path.isfile(source) and os.path.getsize(source) >= BACKGROUND_MIN_BYTES:
        reader = BackgroundReader(source, strict=strict)
    paused = _collector_paused() if pause_collector else nullcontext()
    try:
        with transaction.atomic(), paused, later_writes(_project_tables() + _registry_tables()) as later:
            total = count_activities(source) if progress is not None and isinstance(source, str) else 0
            _Importer(user, report, str(label), later, progress, total).run(reader)
    except (FileRefused, OSError) as exc:
        report.refused = exc if isinstance(exc, FileRefused) else FileRefused(None, f"cannot be read: {exc}")
        report.imported = report.imported_with_warnings = report.created = report.updated = report.unchanged = 0
        report.skipped, report.notes, report.warnings, report.warnings_total = [], [], [], 0
        report.held = []
    return report


def _project_tables() -> list[str]:
    """The tables an import writes in bulk: the projects' and their parts', with their history tables."""
    return [model._meta.db_table for model in Project._meta.app_config.get_models()]


def _registry_tables() -> list[str]:
    """The registry's tables the import writes in bulk (their keys are checked chunk by chunk with the
    projects')."""
    return [model._meta.db_table for model in (Institution, Partnership, PartnershipMember, PartnershipAccess)]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector is off while a file is imported, then as it was. An import allocates
    millions of small, short-lived objects (the activities as read, their rows), none in reference cycles, which
    reference counting frees as before; with the collector on, its collections went over them again and again: a
    third more of the importer's CPU time (docs/benchmarks.md). Peak memory is the same with it off (bench/iati.py
    measures it). The collector is process-wide: only a process that runs nothing else meanwhile pauses it
    (`import_iati(pause_collector=True)`)."""
    if threading.current_thread() is not threading.main_thread():  # a thread among others: left alone
        yield
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: str | None) -> str | None:
    """A date of a budget or transaction as the reader checked it (ISO text): written as it is, since the
    database adapter would turn a date object back into this same text."""
    return value or None


def _dec(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


@dataclass(eq=False)
class PlannedInstitution:
    """An institution a chunk creates (`registry.services.institutions_create_many`), decided before anything is
    written; `pk` is a negative stand-in for its id until it is (then the id)."""

    fields: dict[str, Any]
    ident: int
    keys: tuple[str, ...]
    country_id: str
    pk: int = 0
    institution: Institution | None = None

    def __post_init__(self) -> None:
        self.pk = self.ident

    def written(self, institution: Institution | None) -> None:
        """Written as `institution` (None: that write was undone)."""
        self.institution = institution
        self.pk = institution.pk if institution is not None else self.ident

    @property
    def saved(self) -> Institution:
        if self.institution is None:
            raise RuntimeError("the institution is not written yet")
        return self.institution


Org = Institution | PlannedInstitution


@dataclass(eq=False)
class PlannedPartnership:
    """A draft partnership a chunk creates (`registry.services.partnerships_create_many`) for the activity at
    `index` of the chunk."""

    index: int
    fields: dict[str, Any]
    lead: Org
    members: list[Org]
    partnership: Partnership | None = None

    @property
    def key(self) -> frozenset[int]:
        """Its key in the importer's partnerships while its institutions are not written."""
        return frozenset(m.ident if isinstance(m, PlannedInstitution) else m.pk for m in self.members)

    @property
    def saved(self) -> Partnership:
        if self.partnership is None:
            raise RuntimeError("the partnership is not written yet")
        return self.partnership


@dataclass
class _Existing:
    pk: int
    partnership_id: int | None  # None: held for review
    partnership_slug: str | None
    source_hash: str
    import_warnings: list[dict[str, Any]]
    reporting_org_id: int | None
    needs_review: bool
    created_at: Any
    imported_by_id: int | None


@dataclass
class _Decision:
    """What is done with one activity of a chunk, decided before anything of the chunk is written."""

    parsed: ParsedActivity
    skip: str = ""  # why it is skipped
    unchanged: bool = False
    notes: list[str | PlannedPartnership] = field(default_factory=list)  # a partnership: its note once it has a slug
    existing: _Existing | None = None
    fields: ProjectFields = field(default_factory=lambda: ProjectFields())
    reporting: Org | None = None
    participants: list[tuple[ParticipantFields, Org | None]] = field(default_factory=list)
    partnership: Partnership | PlannedPartnership | None = None  # None: the project is held for review
    warnings: list[Issue] = field(default_factory=list)  # the reader's and what the import flags


class _Refused(Exception):
    """A registry service refused what the chunk was to create (`RowInvalid`); the chunk is decided again."""

    def __init__(self, new: PlannedInstitution | PlannedPartnership, error: ValidationError) -> None:
        super().__init__(str(error))
        self.new = new
        self.messages = error.messages


class _Importer:
    def __init__(
        self,
        user: User | None,
        report: IatiImportReport,
        label: str,
        later: LaterWrites,
        progress: Progress | None = None,
        total: int = 0,
    ) -> None:
        self.user = user
        self.progress = progress
        self.total = total
        self.later = later  # the history copies and key checks of a chunk, run while the next one is read
        self.report = report
        self.label = label
        self.editable: set[int] | None = (
            None
            if user is None or registry_selectors.is_hub_admin(user)
            else set(registry_selectors.partnerships_editable_by(user).values_list("pk", flat=True))
        )
        self.matcher = InstitutionMatcher(user)
        # by the ids of the member institutions (negative: created by the chunk being decided)
        self.partnership_cache: dict[frozenset[int], Partnership | PlannedPartnership | None] = {}
        self.hinted_cache: dict[str, Partnership | None] = {}
        self.new_partnerships: list[PlannedPartnership] = []  # of the chunk being decided
        self.refused_partnerships: dict[int, list[str]] = {}  # of the chunk, by the activity's index
        self.written = False

    def run(self, reader: ActivityReader | BackgroundReader) -> None:
        chunk: list[ParsedActivity] = []
        identifiers: set[str] = set()
        sizes = iter(FIRST_CHUNKS)
        size = min(next(sizes, CHUNK_SIZE), CHUNK_SIZE)
        activities = iter(reader)
        try:
            for parsed in activities:
                self.report.version = reader.version
                self.report.activities += 1
                if parsed.identifier in identifiers:  # a later duplicate updates what the earlier one wrote
                    self._flush(chunk)
                    chunk, identifiers = [], set()
                chunk.append(parsed)
                if parsed.identifier:
                    identifiers.add(parsed.identifier)
                if len(chunk) >= size:
                    self._flush(chunk)
                    chunk, identifiers = [], set()
                    size = min(next(sizes, CHUNK_SIZE), CHUNK_SIZE)
                    if self.progress is not None:
                        done = self.report.activities
                        self.progress("activities", done, max(self.total, done))
        finally:  # stopped early (an error): the reading (a child process for large files) ends too
            close = getattr(activities, "close", None)
            if close is not None:
                close()
        self._flush(chunk)
        self.later.wait()
        if self.progress is not None:
            self.progress("activities", self.report.activities, self.report.activities)
        if self.written:  # bulk writes send no signals: the cached analyses and API pages must see the change
            # (the registry's bulk services bump the versions of the institutions and partnerships they write)
            changes.changed(_project_tables())

    def _flush(self, chunk: list[ParsedActivity]) -> None:
        """Decide every activity of the chunk, create the institutions and partnerships they need (two bulk
        services), then write their projects (one). A refusal of a registry service undoes what the chunk wrote and
        the chunk is decided again, without what was refused."""
        if not chunk:
            return
        to_import = [p for p in chunk if not p.skip_reason]
        existing = self._existing([p.identifier for p in to_import])
        orgs: list[tuple[str, list[Narrative], str]] = []  # (ref, names, ROR id)
        for p in to_import:
            if (rep := p.data["reporting_org"]) is not None:
                orgs.append((rep["ref"], rep["names"], ""))
            orgs.extend((o["ref"], o["names"], o["hl_ror"]) for o in p.data["participants"])
        self.matcher.prefetch(orgs)
        if len(self.partnership_cache) > CACHE_LIMIT:  # bounded: the partnerships are looked up again
            self.partnership_cache.clear()
            self.matcher.created.clear()  # (those of the institutions this import created too)
        self.refused_partnerships = {}
        for _attempt in range(len(chunk) * 20 + 2):  # each attempt refuses something more: it ends
            decisions = [self._decide(i, p, existing.get(p.identifier)) for i, p in enumerate(chunk)]
            try:
                self._create_registry_records()
            except _Refused as exc:
                self._undo_plans()
                if isinstance(exc.new, PlannedInstitution):
                    self.matcher.refuse(exc.new, exc.messages)
                else:
                    self.refused_partnerships[exc.new.index] = exc.messages
                continue
            break
        else:  # pragma: no cover - every attempt refuses one more record
            raise RuntimeError("the registry kept refusing the institutions and partnerships of a chunk")
        writes: list[ProjectWrite] = []
        for decision in decisions:
            if decision.skip:
                self._skip(decision.parsed, decision.skip)
                continue
            self._count(decision)
            if not decision.unchanged:
                writes.append(self._write(decision))
        if writes:
            projects_bulk_save(by=self.user, writes=writes, later=self.later)
            self.later.send()  # the history copies and key checks run while the next chunk is read
            self.written = True

    def _create_registry_records(self) -> None:
        """Create the institutions and partnerships the chunk's activities need, in one savepoint: a refusal
        (`_Refused`) leaves nothing of them."""
        institutions, partnerships = self.matcher.pending, self.new_partnerships
        if not institutions and not partnerships:
            return
        sent = len(self.later.statements)
        with transaction.atomic():
            if institutions:
                try:
                    created = institutions_create_many(
                        by=self.user, institutions=[i.fields for i in institutions], later=self.later
                    )
                except RowInvalid as exc:
                    raise _Refused(institutions[exc.index], exc) from None
                for new, institution in zip(institutions, created, strict=True):
                    new.written(institution)
            if partnerships:
                specs = [
                    NewPartnership(
                        fields=p.fields,
                        members=[MemberSpec(institution=_saved(p.lead), role="lead")]
                        + [MemberSpec(institution=_saved(m), role="partner") for m in p.members if m.pk != p.lead.pk],
                    )
                    for p in partnerships
                ]
                try:
                    made = partnerships_create_many(by=self.user, partnerships=specs, later=self.later)
                except RowInvalid as exc:
                    for new in institutions:
                        new.written(None)
                    del self.later.statements[sent:]  # the history copies of what was undone
                    raise _Refused(partnerships[exc.index], exc) from None
                for new_partnership, partnership in zip(partnerships, made, strict=True):
                    new_partnership.partnership = partnership
        self.written = True
        self.matcher.written()
        for planned in partnerships:  # found again by the ids of its members, now written
            del self.partnership_cache[planned.key]
            self.partnership_cache[frozenset(m.pk for m in planned.members)] = planned.saved
            if self.editable is not None:
                self.editable.add(planned.saved.pk)
        self.new_partnerships = []

    def _undo_plans(self) -> None:
        """Forget the institutions and partnerships the chunk was to create (none was written)."""
        self.matcher.undo_chunk()
        for planned in self.new_partnerships:
            del self.partnership_cache[planned.key]
        self.new_partnerships = []

    def _existing(self, identifiers: list[str]) -> dict[str, _Existing]:
        found: dict[str, _Existing] = {}
        for start in range(0, len(identifiers), LOOKUP_BATCH * 5):
            rows = Project.objects.filter(iati_identifier__in=identifiers[start : start + LOOKUP_BATCH * 5])
            for row in rows.values_list(
                "iati_identifier",
                "pk",
                "partnership_id",
                "partnership__slug",
                "source_hash",
                "import_warnings",
                "reporting_org_id",
                "needs_review",
                "created_at",
                "imported_by_id",
            ):
                found[row[0]] = _Existing(*row[1:])
        return found

    def _skip(self, parsed: ParsedActivity, reason: str) -> None:
        self.report.skipped.append(Skipped(parsed.line, parsed.identifier, reason))
        for issue in parsed.warnings:
            self.report.add_warning(issue)

    # -- one activity ---------------------------------------------------------------------------------------
    def _decide(self, index: int, parsed: ParsedActivity, existing: _Existing | None) -> _Decision:
        """Decide one activity without writing anything: skipped (with the reason), unchanged, or the project to
        write, with the institutions and the partnership to create first. What a skipped activity was to create is
        forgotten, as if it had never been read."""
        if parsed.skip_reason:
            return _Decision(parsed, skip=parsed.skip_reason)
        self.matcher.begin_activity()
        try:
            return self._decide_activity(index, parsed, existing)
        except (_Rollback, ValidationError) as exc:
            self.matcher.undo_activity()
            reason = str(exc) if isinstance(exc, _Rollback) else "; ".join(exc.messages)
            return _Decision(parsed, skip=reason)

    def _decide_activity(self, index: int, parsed: ParsedActivity, existing: _Existing | None) -> _Decision:
        data = parsed.data
        if existing is not None and self.editable is not None:
            if existing.partnership_id is not None and existing.partnership_id not in self.editable:
                raise _Rollback(
                    f"the project belongs to partnership {existing.partnership_slug}, which you do not coordinate"
                )
            if existing.partnership_id is None and existing.imported_by_id != getattr(self.user, "pk", None):
                raise _Rollback("the project is held for review and was imported by someone else")
        decision = _Decision(parsed, existing=existing)
        notes = decision.notes
        flags: list[Issue] = []  # what the file leaves unknown, kept on the project with its warnings
        rep = data["reporting_org"]
        reporting: Org | None = None
        if rep is not None:
            reporting, note = self.matcher.match(ref=rep["ref"], names=rep["names"], org_type=rep["type"])
            if note:
                notes.append(note)
            if reporting is None:
                flags.append(_unfiled(parsed, "reporting-org", rep["ref"], rep["names"]))
        member_roles: list[tuple[Org, str]] = []
        for p in data["participants"]:
            inst, note = self.matcher.match(
                ref=p["ref"],
                names=p["names"],
                org_type=p["type"],
                ror=p["hl_ror"],
                declared_country=p["hl_country"],
            )
            if note:
                notes.append(note)
            if inst is not None:
                member_roles.append((inst, p["role"]))
            elif p["ref"] or p["names"]:
                flags.append(_unfiled(parsed, "participating-org", p["ref"], p["names"]))
            participant: ParticipantFields = {
                "role": p["role"][:10],
                "org_type": p["type"][:10],
                "ref": p["ref"][:200],
                "activity_id": p["activity_id"][:200],
                "crs_channel_code": p["crs_channel_code"][:10],
                "names": p["names"],
            }
            decision.participants.append((participant, inst))
        new_partnership: PlannedPartnership | None = None
        partnership: Partnership | PlannedPartnership | None = None
        if existing is not None and existing.partnership_id is not None:
            pass  # an existing project keeps its partnership
        else:  # new, or held for review by an earlier import: placed when its partnership can be told now
            partnership = self._hinted_partnership(data["hl_partnership"])
            if partnership is None:
                members = _member_institutions(member_roles, reporting)
                if len({m.pk for m in members}) >= 2:
                    partnership = self._matching_partnership(members)
                    if partnership is None:
                        if index in self.refused_partnerships:
                            raise ValidationError(self.refused_partnerships[index])
                        partnership = new_partnership = self._new_partnership(index, members, reporting, data)
                        notes.append(new_partnership)
            if (
                self.editable is not None
                and isinstance(partnership, Partnership)
                and partnership.pk not in self.editable
            ):
                raise _Rollback(f"it belongs to partnership {partnership.slug}, which you do not coordinate")
            if partnership is None:
                flags.append(
                    Issue(
                        parsed.line,
                        parsed.identifier,
                        "held",
                        "held for review: no partnership can be told (it needs two institutions; the activity "
                        "names fewer that could be filed)",
                    )
                )
            decision.partnership = partnership
        all_warnings = decision.warnings = parsed.warnings + flags  # (the chunk may be decided again: parsed kept)
        warnings = [w.as_dict() for w in all_warnings[:MAX_WARNINGS_KEPT]]
        if len(all_warnings) > MAX_WARNINGS_KEPT:
            warnings.append(
                {"line": None, "rule": "more", "message": f"{len(all_warnings) - MAX_WARNINGS_KEPT} more warnings"}
            )
        digest = parsed.digest or data_digest(data, self.report.version)
        decision.reporting = reporting
        if (
            existing is not None
            and existing.source_hash == digest
            and existing.import_warnings == warnings
            and existing.reporting_org_id == (reporting.pk if reporting is not None else None)
            and (existing.partnership_id is not None or partnership is None)
        ):
            decision.unchanged = True
            return decision
        fields = _project_fields(data)
        fields["needs_review"] = bool(all_warnings or notes) or bool(existing is not None and existing.needs_review)
        fields["import_warnings"] = warnings
        fields["source_name"] = self.label[-500:]
        fields["source_version"] = self.report.version
        fields["source_hash"] = digest
        _check_lengths(fields)
        decision.fields = fields
        if new_partnership is not None:  # kept: a later activity with the same members goes to it
            self.new_partnerships.append(new_partnership)
            self.partnership_cache[new_partnership.key] = new_partnership
        return decision

    def _write(self, decision: _Decision) -> ProjectWrite:
        """The project of an activity, once the institutions and the partnership it needs are written."""
        fields = decision.fields
        fields["reporting_org_id"] = _saved(decision.reporting).pk if decision.reporting is not None else None
        participants: list[ParticipantFields] = []
        for participant, org in decision.participants:
            participant["institution_id"] = _saved(org).pk if org is not None else None
            participants.append(participant)
        existing = decision.existing
        partnership = decision.partnership
        partnership_id: int | None = None
        if existing is not None and existing.partnership_id is not None:
            partnership_id = existing.partnership_id
        elif partnership is not None:
            partnership_id = partnership.saved.pk if isinstance(partnership, PlannedPartnership) else partnership.pk
        return ProjectWrite(
            partnership_id=partnership_id,
            fields=fields,
            parts=_parts(decision.parsed.data, participants),
            pk=existing.pk if existing is not None else None,
            created_at=existing.created_at if existing is not None else None,
        )

    def _count(self, decision: _Decision) -> None:
        parsed = decision.parsed
        if decision.unchanged:
            self.report.unchanged += 1
        elif decision.existing is None:
            self.report.created += 1
        else:
            self.report.updated += 1
        for issue in decision.warnings:
            self.report.add_warning(issue)
        for note in decision.notes:
            if isinstance(note, PlannedPartnership):
                note = f"partnership {note.saved.slug} created as a draft, to review"
            self.report.notes.append(f"activity {parsed.identifier}: {note}")
        if decision.partnership is None and (decision.existing is None or decision.existing.partnership_id is None):
            self.report.held.append(parsed.identifier)
        if decision.warnings:
            self.report.imported_with_warnings += 1
        else:
            self.report.imported += 1

    def _hinted_partnership(self, slug: str) -> Partnership | None:
        if not slug:
            return None
        if slug not in self.hinted_cache:
            self.hinted_cache[slug] = Partnership.objects.filter(slug=slug).first()
        return self.hinted_cache[slug]

    def _matching_partnership(self, members: list[Org]) -> Partnership | PlannedPartnership | None:
        ids = frozenset(m.pk for m in members)
        if ids in self.partnership_cache:
            return self.partnership_cache[ids]
        if any(pk < 0 or pk in self.matcher.created for pk in ids):
            # an institution this import creates: only a partnership it creates can have it (and would be cached)
            return None
        found = (
            Partnership.objects.annotate(
                n_all=Count("members", distinct=True),
                n_in=Count("members", filter=Q(members__institution_id__in=ids), distinct=True),
            )
            .filter(n_all=len(ids), n_in=len(ids))
            .order_by("pk")
            .first()
        )
        self.partnership_cache[ids] = found
        return found

    def _new_partnership(
        self, index: int, members: list[Org], reporting: Org | None, data: IatiActivity
    ) -> PlannedPartnership:
        dates = data["dates"]
        start = _d(dates["actual_start"] or dates["planned_start"])
        if start is None:
            candidates = [_d(b["period_start"]) for b in data["budgets"] if b["period_start"]] + [
                _d(t["date"]) for t in data["transactions"] if t["date"]
            ]
            start = min((c for c in candidates if c), default=timezone.localdate())
        end = _d(dates["actual_end"] or dates["planned_end"])
        if end is not None and end < start:
            end = None
        lead = next((m for m in members if reporting is not None and m.pk == reporting.pk), members[0])
        identifier = data["iati_identifier"]
        title = _first_text(data["titles"], data["default_lang"] or "en") or identifier
        fields = {
            "name": title[:200],
            "summary": f"Created by the IATI import of activity {identifier} ({self.label}): check its members.",
            "start_date": start,
            "end_date": end,
            "publication": "draft",
            "needs_review": True,
        }
        return PlannedPartnership(index=index, fields=fields, lead=lead, members=members)


def _unfiled(parsed: ParsedActivity, tag: str, ref: str, names: list[Narrative]) -> Issue:
    """The flag of an organisation that was not filed as an institution: its country is not known (an institution
    is never filed under a country guessed from the activity's other organisations or its recipient countries)."""
    shown = _name_text(names) or ref
    return Issue(
        parsed.line,
        parsed.identifier,
        "country",
        f"<{tag}> {shown!r} not filed as an institution: its country is not known (neither a country code in its "
        "identifier nor healthlinks:country); kept on the project as published",
    )


def _name_text(names: list[Narrative]) -> str:
    """`projects.models.first_text(names)` for the reader's narratives, which always have a text: the English one,
    else the first (for every organisation of a file, twice)."""
    if len(names) == 1:
        return names[0]["text"]
    for item in names:
        if item["lang"] == "en":
            return item["text"]
    return names[0]["text"] if names else ""


def _first_text(narratives: list[Narrative], lang: str = "en") -> str:
    """`projects.models.first_text` of typed narratives."""
    return first_text(cast(list[dict[str, str]], narratives), lang)


def _saved(org: Org) -> Institution:
    return org.saved if isinstance(org, PlannedInstitution) else org


PROJECT_CHAR_FIELDS = [f for f in Project._meta.concrete_fields if isinstance(f, models.CharField) and f.max_length]


def _check_lengths(fields: ProjectFields) -> None:
    """What `full_clean` would refuse in the project's own fields (only texts can be too long: the rest is read
    into its type by the reader), with the same messages."""
    errors: dict[str, Any] = {}
    for f in PROJECT_CHAR_FIELDS:
        value = fields.get(f.name)
        if isinstance(value, str) and len(value) > (f.max_length or 0):
            try:
                f.run_validators(value)
            except ValidationError as exc:
                errors[f.name] = exc.error_list
    if errors:
        raise ValidationError(errors)


def _member_institutions(member_roles: list[tuple[Org, str]], reporting: Org | None) -> list[Org]:
    """Institutions that are not only funders; if fewer than two, every participant and the reporting org."""
    seen: dict[int, Org] = {}
    for inst, role in member_roles:
        if role != FUNDING_ROLE:
            seen.setdefault(inst.pk, inst)
    if len(seen) >= 2:
        return list(seen.values())
    for inst, _role in member_roles:
        seen.setdefault(inst.pk, inst)
    if reporting is not None:
        seen.setdefault(reporting.pk, reporting)
    return list(seen.values())


def _project_fields(data: IatiActivity) -> ProjectFields:
    """The project's own fields (`reporting_org_id` is set once its institution is written)."""
    rep = data["reporting_org"] or {"ref": "", "type": "", "names": [], "secondary_reporter": None}
    dates = data["dates"]
    try:
        last_updated = parse_datetime(data["last_updated"]) if data["last_updated"] else None
    except ValueError:  # well-formed but impossible (month 13): the schema warning reports it
        last_updated = None
    if last_updated is not None and timezone.is_naive(last_updated):
        last_updated = timezone.make_aware(last_updated, timezone.get_fixed_timezone(0))
    return {
        "iati_identifier": data["iati_identifier"],
        "title": _first_text(data["titles"], data["default_lang"] or "en")[:500],
        "titles": data["titles"],
        "descriptions": data["descriptions"],
        "default_lang": data["default_lang"][:10],
        "default_currency": data["default_currency"][:3],
        "hierarchy": data["hierarchy"],
        "humanitarian": data["humanitarian"],
        "last_updated": last_updated,
        "reporting_org_id": None,
        "reporting_org_ref": rep["ref"][:200],
        "reporting_org_type": rep["type"][:10],
        "reporting_org_names": rep["names"],
        "secondary_reporter": rep["secondary_reporter"],
        "activity_status": data["activity_status"][:10],
        "planned_start": _d(dates["planned_start"]),
        "actual_start": _d(dates["actual_start"]),
        "planned_end": _d(dates["planned_end"]),
        "actual_end": _d(dates["actual_end"]),
        "recipient_countries": data["recipient_countries"],
        "recipient_regions": data["recipient_regions"],
        "sectors": data["sectors"],
    }


def _parts(data: IatiActivity, participants: list[ParticipantFields]) -> ProjectParts:
    budgets: list[BudgetFields] = [
        {
            "budget_type": b["type"][:10],
            "status": b["status"][:10],
            "period_start": _iso(b["period_start"]),
            "period_end": _iso(b["period_end"]),
            "value": _dec(b["value"]),
            "currency": b["currency"],
            "value_date": _iso(b["value_date"]),
        }
        for b in data["budgets"]
    ]
    transactions: list[TransactionFields] = []
    for t in data["transactions"]:
        provider, receiver = t["provider"], t["receiver"]
        transactions.append(
            {
                "ref": t["ref"][:200],
                "humanitarian": t["humanitarian"],
                "transaction_type": t["type"][:10],
                "date": _iso(t["date"]),
                "value": _dec(t["value"]),
                "currency": t["currency"],
                "value_date": _iso(t["value_date"]),
                "descriptions": t["descriptions"],
                "provider_ref": provider["ref"][:200],
                "provider_type": provider["type"][:10],
                "provider_activity_id": provider["activity_id"][:200],
                "provider_names": provider["names"],
                "receiver_ref": receiver["ref"][:200],
                "receiver_type": receiver["type"][:10],
                "receiver_activity_id": receiver["activity_id"][:200],
                "receiver_names": receiver["names"],
            }
        )
    results: list[ResultFields] = [
        {
            "result_type": r["type"][:10],
            "aggregation_status": r["aggregation_status"],
            "titles": r["titles"],
            "descriptions": r["descriptions"],
            "indicators": [
                {
                    "measure": i["measure"][:10],
                    "ascending": i["ascending"],
                    "aggregation_status": i["aggregation_status"],
                    "titles": i["titles"],
                    "descriptions": i["descriptions"],
                    "baselines": i["baselines"],
                    "periods": [
                        {
                            "period_start": _d(p["period_start"]),
                            "period_end": _d(p["period_end"]),
                            "targets": p["targets"],
                            "actuals": p["actuals"],
                        }
                        for p in i["periods"]
                    ],
                }
                for i in r["indicators"]
            ],
        }
        for r in data["results"]
    ]
    return ProjectParts(participants=participants, budgets=budgets, transactions=transactions, results=results)


ROR_REF_RE = re.compile(r"^XI-ROR-(.+)$", re.IGNORECASE)


class InstitutionMatcher:
    """Institutions by IATI organisation identifier, ROR id or exact name (case-insensitive), cached for a
    file; planned (flagged for review) when none matches. `prefetch` looks up the organisations of a whole
    chunk of activities in a few queries; `match` then answers from memory. Nothing is written here: the
    institutions to create (`pending`) are created by the importer for the whole chunk at once."""

    def __init__(self, user: User | None) -> None:
        self.user = user
        self.cache: dict[str, Org] = {}
        self.keys_cache: dict[tuple[str, str, str], tuple[str, str, tuple[str, ...]]] = {}
        # looked up for the current chunk (None: looked up, not found)
        self.by_ref: dict[str, Institution | None] = {}
        self.by_ror: dict[str, Institution | None] = {}
        self.by_name: dict[str, list[Institution]] = {}
        self.pending: list[PlannedInstitution] = []  # to create for the chunk being decided
        self.introduced: list[PlannedInstitution] = []  # ... of them, by the activity being decided
        self.created: set[int] = set()  # ids of the institutions this import created
        self.without_ids: set[tuple[str, ...]] = set()  # refused with their IATI or ROR id: planned without
        self.refused: dict[tuple[str, ...], list[str]] = {}  # refused without them: the activity is skipped
        self.planned = 0
        self.names = NameFilter()
        self.org_types = set(OrganisationType.objects.values_list("code", flat=True))
        self.countries: dict[str, str] = {}
        for iso3, iso2 in Country.objects.values_list("iso3", "iso2"):
            self.countries[iso2.upper()] = iso3
            self.countries[iso3.upper()] = iso3

    # -- what the chunk plans -------------------------------------------------------------------------------
    def begin_activity(self) -> None:
        self.introduced = []

    def undo_activity(self) -> None:
        """The activity being decided is skipped: the institutions it planned are not created for it."""
        for new in self.introduced:
            self._drop(new)
        self.introduced = []

    def undo_chunk(self) -> None:
        """Nothing of the chunk was written: forget every institution it planned."""
        for new in list(self.pending):
            self._drop(new)
        self.introduced = []

    def _drop(self, new: PlannedInstitution) -> None:
        self.pending.remove(new)
        for key in new.keys:
            if self.cache.get(key) is new:
                del self.cache[key]

    def refuse(self, new: PlannedInstitution, messages: list[str]) -> None:
        """`institutions_create_many` refused `new`: plan it again without its IATI and ROR ids (as
        `institution_create` was retried), else refuse it (the activities naming it are skipped)."""
        if ("iati_org_id" in new.fields or "ror_id" in new.fields) and new.keys not in self.without_ids:
            self.without_ids.add(new.keys)
        else:
            self.refused[new.keys] = messages

    def written(self) -> None:
        """The pending institutions are written: the cache answers with them."""
        for new in self.pending:
            for key in new.keys:
                if self.cache.get(key) is new:
                    self.cache[key] = new.saved
        self.created.update(new.saved.pk for new in self.pending)
        if self.names.built:
            for new in self.pending:
                self.names.add(new.saved.name)
        self.pending, self.introduced = [], []

    # -- matching -------------------------------------------------------------------------------------------
    def _country(self, declared: str, ref: str) -> str | None:
        """The organisation's own country, never a guess: `healthlinks:country` (ISO 3166-1 alpha-3 or alpha-2, as our
        exports write it), else the country code that begins its IATI organisation identifier (the country of the
        registration agency: `GB-COH-…`, `US-EIN-…`, `AU-5`). Not the reporting organisation's country nor the
        recipient countries: an organisation with neither is not filed (unknown stays unknown)."""
        declared = declared.strip().upper()
        if declared in self.countries:
            return self.countries[declared]
        prefix, dash, _rest = ref.strip().partition("-")
        if dash and len(prefix) == 2 and prefix.isupper() and prefix in self.countries:
            return self.countries[prefix]
        return None

    def _keys(self, ref: str, names: list[Narrative], ror: str) -> tuple[str, str, tuple[str, ...]]:
        """The name and ROR id as matched, and the cache keys of an organisation."""
        text = _name_text(names)
        memo = (ref, ror, text)
        if memo in self.keys_cache:
            return self.keys_cache[memo]
        # the name as an institution created for it is named (`_plan`): a re-import finds that institution by it,
        # also when the organisation has no name (then its ref) or a name longer than the column
        name = (" ".join(text.split()) or ref)[:200].rstrip()
        ror_id = ror
        ror_match = ROR_REF_RE.match(ref)
        if ror_match and not ror_id:
            ror_id = ror_match.group(1)
        ror_id = ror_id.strip().lower().removeprefix("https://ror.org/")
        keys = tuple(
            k
            for k in (
                f"iati:{ref}" if ref else "",
                f"ror:{ror_id}" if ror_id else "",
                f"name:{name.lower()}" if name else "",
            )
            if k
        )
        if len(self.keys_cache) > CACHE_LIMIT:  # bounded: memory stays flat whatever the file
            self.keys_cache.clear()
        self.keys_cache[memo] = (name, ror_id, keys)
        return name, ror_id, keys

    def prefetch(self, orgs: list[tuple[str, list[Narrative], str]]) -> None:
        """Look up, in a few queries, the organisations (reporting or participating) of a chunk that the cache
        does not know yet: by IATI and ROR id, then by name those that neither found."""
        if len(self.cache) > CACHE_LIMIT:  # bounded: what is forgotten is looked up again
            self.cache.clear()
        self.by_ref, self.by_ror, self.by_name = {}, {}, {}
        unknown: list[tuple[str, str, str]] = []
        for ref, org_names, ror in orgs:
            name, ror_id, keys = self._keys(ref, org_names, ror)
            if not any(key in self.cache for key in keys):
                unknown.append((ref, ror_id, name))
        # which identifiers some institution has (plain queries), then those institutions: a first import's new
        # organisations cost one query per 500 identifiers and no object
        refs = {ref for ref, _ror, _name in unknown if ref}
        self.by_ref = dict.fromkeys(refs)
        for batch in _batches(sorted(bulk.existing(Institution, "iati_org_id", refs))):
            self.by_ref.update((i.iati_org_id or "", i) for i in Institution.objects.filter(iati_org_id__in=batch))
        rors = {ror for _ref, ror, _name in unknown if ror}
        self.by_ror = dict.fromkeys(rors)
        for batch in _batches(sorted(bulk.existing(Institution, "ror_id", rors))):
            self.by_ror.update((i.ror_id or "", i) for i in Institution.objects.filter(ror_id__in=batch))
        names = {
            name
            for ref, ror, name in unknown
            if name and not (ref and self.by_ref.get(ref)) and not (ror and self.by_ror.get(ror))
        }
        if len(names) > LOOKUP_BATCH and not self.names.built:
            self.names.build()
        if self.names.built:
            for name in [n for n in names if not self.names.may_have(n)]:
                self.by_name[name.lower()] = []  # no institution has it: nothing to ask
                names.discard(name)
        for batch in _batches(sorted(names)):
            wanted = {n.lower() for n in batch}
            for n in wanted:
                self.by_name[n] = []
            query = Q()
            for n in batch:
                query |= Q(name__iexact=n)
            unplaced = False
            for inst in Institution.objects.filter(query).order_by("pk"):
                key = inst.name.lower()
                if key in wanted:
                    self.by_name[key].append(inst)
                else:
                    unplaced = True
            if unplaced:  # the database folds case differently (non-ASCII): ask it name by name
                for n in wanted:
                    if not self.by_name[n]:
                        del self.by_name[n]

    def _by_ref(self, ref: str) -> Institution | None:
        if ref in self.by_ref:
            return self.by_ref[ref]
        return Institution.objects.filter(iati_org_id=ref).first()

    def _by_ror(self, ror_id: str) -> Institution | None:
        if ror_id in self.by_ror:
            return self.by_ror[ror_id]
        return Institution.objects.filter(ror_id=ror_id).first()

    def _by_name(self, name: str) -> list[Institution]:
        """The two oldest institutions with this name (case-insensitive)."""
        if name.lower() in self.by_name:
            return self.by_name[name.lower()][:2]
        return list(Institution.objects.filter(name__iexact=name).order_by("pk")[:2])

    def match(
        self,
        *,
        ref: str,
        names: list[Narrative],
        org_type: str,
        declared_country: str = "",
        ror: str = "",
    ) -> tuple[Org | None, str]:
        """`declared_country`: the organisation's `healthlinks:country` (see `_country`). An institution to create is
        planned (`pending`), not written; raises ValidationError when it was refused
        (the activity is skipped)."""
        name, ror_id, keys = self._keys(ref, names, ror)
        for key in keys:
            if key in self.cache:
                return self.cache[key], ""
        found: Org | None = None
        if ref:
            found = self._by_ref(ref)
        if found is None and ror_id:
            found = self._by_ror(ror_id)
        note = ""
        if found is None and name:
            same = self._by_name(name)
            found = same[0] if same else None
            if len(same) > 1:
                note = f"several institutions are named {name!r}; the oldest (id {same[0].pk}) was used"
        if found is None:
            if not name and not ref:
                return None, ""
            found, note = self._plan(
                keys, ref=ref, ror_id=ror_id, name=name, org_type=org_type, declared_country=declared_country
            )
        if found is not None:
            for key in keys:
                self.cache[key] = found
        return found, note

    def _plan(
        self, keys: tuple[str, ...], *, ref: str, ror_id: str, name: str, org_type: str, declared_country: str
    ) -> tuple[PlannedInstitution | None, str]:
        country = self._country(declared_country, ref)
        if country is None:
            return None, ""  # flagged on the project (`_unfiled`)
        if keys in self.refused:
            raise ValidationError(self.refused[keys])
        fields: dict[str, Any] = {
            "name": name[:200],
            "country_id": country,
            "kind": KIND_BY_ORG_TYPE.get(org_type, "other"),
            "org_type_id": org_type if org_type in self.org_types else None,
            "needs_review": True,
        }
        if keys not in self.without_ids:
            if ref and IATI_ORG_RE.match(ref) and len(ref) <= 100:
                fields["iati_org_id"] = ref
            if ror_id and ROR_RE.match(ror_id) and ror_checksum_ok(ror_id):
                fields["ror_id"] = ror_id
        self.planned += 1
        new = PlannedInstitution(fields=fields, ident=-self.planned, keys=keys, country_id=country)
        self.pending.append(new)
        self.introduced.append(new)
        return new, f"institution {fields['name']!r} created ({country}), to review"


class NameFilter:
    """Whether some institution may have a name (case-insensitively), so that the names of a first import's new
    organisations are not looked for in the database: each query compares every institution's name, and every
    chunk of such a file has thousands of them. A Bloom filter of the registry's names, built from one pass over
    them when a chunk first has more names to look up than one query takes, then kept up to date with the
    institutions the import creates: 2 MB whatever the registry's size, 0.01% of false answers with 300,000
    names, 0.4% with a million. It may wrongly say yes (the database is then asked, as without it), never wrongly
    no: names are compared upper-cased then lower-cased, which equates every two names that SQLite (ASCII
    letters) or PostgreSQL (UPPER) equates."""

    BITS = 1 << 24
    PROBES = 3

    def __init__(self) -> None:
        self.bits = bytearray()
        self.built = False

    def _positions(self, name: str) -> list[int]:
        value = hash(name.upper().lower()) & 0xFFFFFFFFFFFFFFFF
        first, step = value & 0xFFFFFFFF, (value >> 32) | 1
        return [(first + i * step) % self.BITS for i in range(self.PROBES)]

    def build(self) -> None:
        self.bits = bytearray(self.BITS // 8)
        self.built = True
        for name in Institution.objects.values_list("name", flat=True).iterator(chunk_size=10_000):
            self.add(name)

    def add(self, name: str) -> None:
        for position in self._positions(name):
            self.bits[position >> 3] |= 1 << (position & 7)

    def may_have(self, name: str) -> bool:
        return all(self.bits[p >> 3] & (1 << (p & 7)) for p in self._positions(name))


def _batches(values: list[str]) -> list[list[str]]:
    return [values[i : i + LOOKUP_BATCH] for i in range(0, len(values), LOOKUP_BATCH)]
