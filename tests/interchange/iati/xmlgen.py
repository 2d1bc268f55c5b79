"""Small IATI activity files for tests, written as text so every deviation is visible in the test."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from tests.fixtures import EXTERNAL as FIXTURES

# real files copied from ../shared/data/external (tests/fixtures/external/README.md: provenance of each file)
EXTERNAL = FIXTURES / "iati"
REAL_FILES = sorted((EXTERNAL / "activities").glob("*.xml")) + sorted((EXTERNAL / "examples").glob("*.xml"))
INVALID = EXTERNAL / "invalid"


def org(name: str, role: str = "4", ref: str = "", org_type: str = "21") -> str:
    ref_attr = f" ref={quoteattr(ref)}" if ref else ""
    return (
        f'<participating-org role="{role}" type="{org_type}"{ref_attr}><narrative>{escape(name)}</narrative>'
        "</participating-org>"
    )


def activity(
    identifier: str,
    orgs: Sequence[str] = (),
    *,
    title: str = "Test project",
    reporting: str = '<reporting-org ref="GB-CHC-1234567" type="21"><narrative>Test Funder</narrative></reporting-org>',
    status: str = '<activity-status code="2"/>',
    extra: str = "",
) -> str:
    ident = f"<iati-identifier>{escape(identifier)}</iati-identifier>" if identifier is not None else ""
    return (
        '<iati-activity default-currency="GBP" xml:lang="en">'
        f"{ident}{reporting}<title><narrative>{escape(title)}</narrative></title>"
        "<description><narrative>What the project does.</narrative></description>"
        f"{''.join(orgs)}{status}"
        '<activity-date type="2" iso-date="2021-01-01"/>'
        f"{extra}</iati-activity>"
    )


def document(*activities: str, version: str = "2.03") -> str:
    body = "\n".join(activities)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="{version}">\n{body}\n</iati-activities>\n'
    )


def write(tmp_path: Path, text: str, name: str = "activities.xml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)
