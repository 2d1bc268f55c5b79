"""Write the research export: every table of ``tables.TABLES`` as CSV and Parquet, the data dictionary, a README
and the small-cell warnings, into a new directory or a .zip file (written aside, then moved into place: nothing
half-written is ever left at the destination)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from django.utils import timezone, translation

from healthlinks.accounts.models import User
from healthlinks.interchange.research.tables import TABLES, Scope, build_all, person_cells
from healthlinks.interchange.tabular import cells
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import Partnership

SMALL_CELL = 5  # counts of people below this (and above zero) are reported
# pandas dtypes for reading the CSV files (dates: parse_dates); in README.txt and used by the tests.
PANDAS_DTYPES = {"string": "string", "int64": "Int64", "float64": "Float64", "bool": "boolean"}
READR_TYPES = {"string": "c", "int64": "i", "float64": "d", "bool": "l", "date": "D"}
DICTIONARY_COLUMNS = ["table", "column", "type", "nullable", "unit", "meaning", "code_list", "table_meaning"]
NO_PLACE = "(none recorded)"


class ExportNotAllowed(Exception):
    """The user may not make a research export (only hub administrators and researchers may)."""


@dataclass(frozen=True)
class SmallCell:
    country: str
    cadre: str
    sex: str
    count: int

    def __str__(self) -> str:
        return f"country {self.country} × cadre {self.cadre} × sex {self.sex}: {self.count} people"


@dataclass
class ResearchExport:
    """What an export holds: the tables (Arrow), their row counts, the small cells and what it covered."""

    tables: dict[str, pa.Table]
    small_cells: list[SmallCell]
    partnership_count: int
    partnership: str
    created: str
    seconds: float = 0.0
    written_to: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {name: table.num_rows for name, table in self.tables.items()}


# Who may export what ---------------------------------------------------------------------------------------


def may_export(user: Any) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (registry_selectors.is_hub_admin(user) or getattr(user, "role", None) == "researcher")
    )


def research_scope(user: User | None, partnership: str = "") -> Scope:
    """The partnerships a research export covers: those the user may see (researchers: published and archived
    ones, and their own; hub administrators: all); ``user=None`` (the command line without --user): all.
    Only hub administrators and researchers may export; a partnership they may not see is refused."""
    if user is not None and not may_export(user):
        raise ExportNotAllowed(
            f"{user.get_username()}: only hub administrators and researchers may make a research export"
        )
    qs = (
        Partnership.objects.filter(deleted_at__isnull=True)
        if user is None
        else registry_selectors.partnerships_visible_to(user)
    )
    if partnership:
        if not qs.filter(slug=partnership).exists():
            raise LookupError(f"--partnership: no partnership {partnership!r} that you may export")
        qs = qs.filter(slug=partnership)
    return Scope(partnerships=qs)


# Building ---------------------------------------------------------------------------------------------------


def small_cells(scope: Scope) -> list[SmallCell]:
    return sorted(
        (
            SmallCell(country or NO_PLACE, cadre or NO_PLACE, sex or NO_PLACE, n)
            for country, cadre, sex, n in person_cells(scope)
            if 0 < n < SMALL_CELL
        ),
        key=lambda c: (c.country, c.cadre, c.sex),
    )


@dataclass
class Preview:
    """What an export would cover, without building it: for the export page."""

    partnership_count: int
    people_count: int
    small_cells: list[SmallCell]


def preview(user: User | None, partnership: str = "") -> Preview:
    from healthlinks.interchange.research.tables import PEOPLE, arrow_table, collect_people

    scope = research_scope(user, partnership)
    collect_people(scope)
    assert PEOPLE.build is not None
    people = arrow_table(PEOPLE, PEOPLE.build(scope))  # also gives the scope its country × cadre × sex cells
    return Preview(
        partnership_count=scope.partnerships.count(),
        people_count=people.num_rows,
        small_cells=small_cells(scope),
    )


def build_export(user: User | None, partnership: str = "") -> ResearchExport:
    started = time.perf_counter()
    scope = research_scope(user, partnership)
    tables = build_all(scope)
    return ResearchExport(
        tables=tables,
        small_cells=small_cells(scope),
        partnership_count=tables["partnerships"].num_rows,
        partnership=partnership,
        created=timezone.now().replace(microsecond=0).isoformat(),
        seconds=time.perf_counter() - started,
    )


# Files ------------------------------------------------------------------------------------------------------


def csv_bytes(table: pa.Table) -> bytes:
    """UTF-8, header row, comma, quotes only where needed, ISO dates, true/false, empty cell for null."""
    out = io.BytesIO()
    table = cells.arrow_table(table)  # formula injection: text a spreadsheet would run gets a leading quote
    pa_csv.write_csv(table, out, pa_csv.WriteOptions(include_header=True, quoting_style="needed"))
    return out.getvalue()


def parquet_bytes(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


def dictionary_rows() -> list[list[str]]:
    """The data dictionary's rows, in English whatever the active language (as its code lists and the README): the
    meanings and units are translatable for the export page, and turned into text here."""
    rows = []
    with translation.override("en"):
        for table in TABLES:
            for c in table.columns:
                nullable = "true" if c.nullable else "false"
                row = [table.name, c.name, c.type, nullable, str(c.unit), str(c.meaning), c.code_list()]
                rows.append([*row, str(table.meaning)])
    return rows


def dictionary_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DICTIONARY_COLUMNS)
    writer.writerows(cells.csv_row(row) for row in dictionary_rows())
    return out.getvalue().encode("utf-8")


def warnings_text(export: ResearchExport) -> str:
    if not export.small_cells:
        return (
            f"No small cells: every country × cadre × sex cell of the people table holds 0 or at least "
            f"{SMALL_CELL} people.\n"
        )
    lines = [
        f"WARNING: {len(export.small_cells)} cells of country (of the home institution) × cadre × sex hold fewer "
        f"than {SMALL_CELL} people. Tables or figures split this way could identify someone: merge categories or "
        "suppress these cells before publishing.",
        "",
        "country,cadre,sex,people",
    ]
    lines += [f"{c.country},{c.cadre},{c.sex},{c.count}" for c in export.small_cells]
    return "\n".join(lines) + "\n"


README = """Healthlinks research export
===========================

Created {created} from {scope}.
Pseudonymised: people are identified only by a random pseudonymous id (HL-…). No names, emails, phone numbers,
external ids, notes or other free text about people are included. Only people who consented to research use are
included; a row about a person who did not consent (a stay, a tie, a training, a test score, an outcome, a cascade
report, a facilitation) is left out, so every person_id joins people.person_id. Rows about no named person
(counted trainees, facility indicators, costs) are kept. Indicator actuals marked actual_computed are aggregates of
all the partnership's records, as on its results page.

Small cells: {small}

Files
-----
data_dictionary.csv   every column of every table: type, whether it may be empty, unit, meaning, code list
warnings.txt          country × cadre × sex cells of fewer than {threshold} people
csv/TABLE.csv         UTF-8, header row, comma separated, ISO 8601 dates (YYYY-MM-DD), true/false, empty = missing
parquet/TABLE.parquet the same tables with their types (string, int64, float64, bool, date32)

Tables (rows)
-------------
{tables}

Loading
-------
pandas (Parquet keeps the types; numpy_nullable keeps integer and boolean columns with gaps as such):

    import pandas as pd
    stays = pd.read_parquet("parquet/stays.parquet", dtype_backend="numpy_nullable")
    # or the CSV, with the types of the dictionary:
    d = pd.read_csv("data_dictionary.csv", dtype=str, keep_default_na=False)
    def read(table):
        cols = d[d.table == table]
        kinds = {{"string": "string", "int64": "Int64", "float64": "Float64", "bool": "boolean"}}
        dtype = {{r.column: kinds[r.type] for r in cols.itertuples() if r.type != "date"}}
        dates = [r.column for r in cols.itertuples() if r.type == "date"]
        # Only an empty cell is missing: "NA" is Namibia's ISO alpha-2 code.
        return pd.read_csv(f"csv/{{table}}.csv", dtype=dtype, parse_dates=dates,
                           keep_default_na=False, na_values=[""])

R (arrow keeps the types; or readr with the dictionary's types):

    library(arrow); stays <- read_parquet("parquet/stays.parquet")
    library(readr)
    d <- read_csv("data_dictionary.csv", col_types = cols(.default = "c"), na = character())
    read <- function(table) {{
      cols <- d[d$table == table, ]
      types <- c(string = "c", int64 = "i", float64 = "d", bool = "l", date = "D")[cols$type]
      read_csv(file.path("csv", paste0(table, ".csv")), col_types = paste(types, collapse = ""), na = "")
    }}
    stays <- read("stays")

Codes such as ISCO-08 cadres (2221) and DAC purpose codes (12220) are text: read them with the dictionary's
types (as above) so that they are not turned into numbers. Only an empty cell is a missing value: tell your reader
so (as above), or Namibia's alpha-2 code "NA" becomes missing.
"""


def readme_text(export: ResearchExport) -> str:
    scope = f"{export.partnership_count} partnerships" + (
        f" (--partnership {export.partnership})" if export.partnership else ""
    )
    small = (
        f"{len(export.small_cells)} country × cadre × sex cells hold fewer than {SMALL_CELL} people; see warnings.txt."
        if export.small_cells
        else "none."
    )
    width = max(len(name) for name in export.tables)
    meanings = {t.name: t.meaning for t in TABLES}
    with translation.override("en"):  # the README is in English, and so are the tables' meanings in it
        tables = "\n".join(
            f"{name.ljust(width)}  {table.num_rows:>8}  {str(meanings[name])}" for name, table in export.tables.items()
        )
    return README.format(created=export.created, scope=scope, small=small, threshold=SMALL_CELL, tables=tables)


def files(export: ResearchExport) -> list[tuple[str, bytes]]:
    """(relative path, content) of every file of the export."""
    out = [
        ("README.txt", readme_text(export).encode("utf-8")),
        ("data_dictionary.csv", dictionary_csv()),
        ("warnings.txt", warnings_text(export).encode("utf-8")),
    ]
    for name, table in export.tables.items():
        out.append((f"csv/{name}.csv", csv_bytes(table)))
        out.append((f"parquet/{name}.parquet", parquet_bytes(table)))
    return out


def write_zip(export: ResearchExport, target: IO[bytes]) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, content in files(export):
            # Parquet is compressed already.
            kind = zipfile.ZIP_STORED if name.endswith(".parquet") else zipfile.ZIP_DEFLATED
            z.writestr(name, content, compress_type=kind)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_export(export: ResearchExport, output: str | Path) -> Path:
    """Write to ``output``: a .zip file, or else a directory that must not exist yet or be empty. The files are
    written aside (same parent directory) and moved into place once complete."""
    target = Path(output)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"--output: the directory {parent} does not exist")
    if target.suffix.lower() == ".zip":
        if target.is_dir():
            raise ValueError(f"--output: {target} is a directory")
        fd, tmp = tempfile.mkstemp(prefix=".research-", suffix=".zip", dir=parent)
        try:
            with os.fdopen(fd, "wb") as out:
                write_zip(export, out)
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; give it the usual permissions
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        export.written_to = str(target)
        return target
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ValueError(f"--output: {target} exists and is not an empty directory (give a new directory or a .zip)")
    tmp_dir = Path(tempfile.mkdtemp(prefix=".research-", dir=parent))
    try:
        for name, content in files(export):
            path = tmp_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        os.chmod(tmp_dir, 0o777 & ~_umask())
        if target.exists():
            target.rmdir()
        os.replace(tmp_dir, target)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    export.written_to = str(target)
    return target


def export_research(output: str | Path, user: User | None = None, partnership: str = "") -> ResearchExport:
    """Build and write the export; raises ExportNotAllowed, LookupError (partnership) or ValueError (output)."""
    started = time.perf_counter()
    export = build_export(user, partnership)
    write_export(export, output)
    export.seconds = time.perf_counter() - started
    return export


__all__ = [
    "ExportNotAllowed",
    "ResearchExport",
    "SmallCell",
    "build_export",
    "export_research",
    "may_export",
    "research_scope",
    "write_export",
    "write_zip",
]
