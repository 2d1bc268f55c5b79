"""Known-vulnerability audit of the installed, pinned dependencies (pip-audit), run by `make lint` / `make test`.

    .venv/bin/python tools/audit_dependencies.py

Exit 1 when pip-audit reports a known vulnerability (bump the pin in pyproject.toml). When the vulnerability
service cannot be reached, or does not know these versions (an offline machine, a registry mirror without the
per-version JSON pip-audit reads), the audit is SKIPPED with a message that says so and how many packages could
not be checked: never reported as clean.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).parent / "pip-audit"


def run(argv: list[str] | None = None, timeout: int = 180) -> int:
    command = [str(PIP_AUDIT), "--skip-editable", "--progress-spinner", "off", "--format", "json", *(argv or [])]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:
        print(f"pip-audit: SKIPPED: no answer from the vulnerability service within {timeout} s (offline?)")
        return 0
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"pip-audit: SKIPPED: the vulnerability service could not be queried ({reason})")
        return 0
    return judge(report)


def judge(report: dict) -> int:  # type: ignore[type-arg]
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = len(deps) - len(skipped)
    if vulnerable:
        print("pip-audit: KNOWN VULNERABILITIES in pinned dependencies:")
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                fixed = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
                print(f"  {dep['name']} {dep.get('version', '')}: {vuln['id']} (fixed in {fixed})")
        return 1
    if deps and audited == 0:
        print(
            f"pip-audit: SKIPPED: the vulnerability service knows none of the {len(deps)} installed versions "
            "(offline, or a registry mirror without vulnerability data); nothing was checked"
        )
        return 0
    note = f"; {len(skipped)} could not be checked: {', '.join(d['name'] for d in skipped)}" if skipped else ""
    print(f"pip-audit: no known vulnerability in {audited} audited dependencies{note}")
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
