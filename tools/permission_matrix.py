"""Write the permission matrix of tests/security/matrix.py into docs/security.md (between its markers).

    .venv/bin/python tools/permission_matrix.py          # rewrite the table
    .venv/bin/python tools/permission_matrix.py --check  # exit 1 if the doc is out of date

tests/security/test_permission_matrix.py requests every route as every role and asserts these very codes, and
fails on any route that has no line in the matrix; tests/security/test_docs.py fails when the doc lags behind.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "security.md"
START = "<!-- permission-matrix:start (tools/permission_matrix.py writes this table) -->"
END = "<!-- permission-matrix:end -->"
LABELS = {
    200: "✓",
    302: "login",
    400: "✓ (400: bad body)",
    401: "✗ 401",
    403: "✗ 403",
    404: "✗ 404",
    405: "405",
    None: "pending",
}
HEADERS = (
    "public",
    "researcher",
    "member",
    "coord. other",
    "coordinator",
    "hub admin",
    "coord. B + member A",
    "coord. A, no account role",
    "hub admin + member A",
)
WRITE_LABELS = {
    200: "✓",
    201: "✓ 201",
    204: "✓ 204",
    302: "login",
    400: "✗ 400",
    401: "✗ 401",
    403: "✗ 403",
    404: "✗ 404",
}


def render() -> str:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthlinks.settings")
    import django

    django.setup()
    from tests.security.matrix import MATRIX, WRITES

    lines = [
        START,
        "",
        "| route | request | " + " | ".join(HEADERS) + " | note |",
        "| --- | --- | " + " | ".join("---" for _ in HEADERS) + " | --- |",
    ]
    for name, entry in sorted(MATRIX.items(), key=lambda item: (item[0].startswith(("api", "schema")), item[0])):
        paths = "<br>".join(f"`{entry.method} {p}`" for p in entry.paths)
        if entry.pending:
            cells = ["pending"] * len(HEADERS)
        else:
            cells = [
                "✓ (done, redirect)" if code == 302 and entry.method != "GET" and i else LABELS.get(code, str(code))
                for i, code in enumerate(entry.codes)
            ]
        note = entry.note + (" (app in progress: no 5xx, no leak)" if entry.pending else "")
        lines.append(f"| {name} | {paths} | " + " | ".join(cells) + f" | {note} |")
    lines += [
        "",
        "Writes, every method of every API write and every page that accepts a POST, each request rolled back "
        "(`tests/security/test_write_matrix.py`, which fails on an API write operation without a line here and on "
        "a page that answers a POST with anything but 405 without one). ✓ accepted (200: the form again, with its "
        "errors; 302: done); ✗ 400 refused by validation: the partnership named is not one the user coordinates "
        "or, where the note says so, the body itself:",
        "",
        "| write | request | " + " | ".join(HEADERS) + " | note |",
        "| --- | --- | " + " | ".join("---" for _ in HEADERS) + " | --- |",
    ]
    for name, write in WRITES.items():
        cells = [
            "✓ 302" if code == 302 and i else WRITE_LABELS.get(code, str(code)) for i, code in enumerate(write.codes)
        ]
        lines.append(f"| {name} | `{write.method} {write.path}` | " + " | ".join(cells) + f" | {write.note} |")
    lines += ["", END]
    return "\n".join(lines)


def updated(text: str) -> str:
    if START not in text or END not in text:
        raise SystemExit(f"{DOC}: markers for the permission matrix are missing")
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    return head + render() + tail


def main(argv: list[str]) -> int:
    text = DOC.read_text()
    new = updated(text)
    if "--check" in argv:
        if new != text:
            print("docs/security.md: permission matrix out of date; run tools/permission_matrix.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new)
    print(f"wrote the permission matrix into {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
