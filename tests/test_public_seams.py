"""No module reaches into another module's private names: a helper used across modules is public (healthlinks
.commandline for the console commands, the selectors and view helpers by their public names)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "healthlinks"


def test_no_module_imports_a_private_name_from_another():
    found = []
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("healthlinks"):
                private = [a.name for a in node.names if a.name.startswith("_") and a.name != "_"]
                if private:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno} {node.module} {private}")
    assert not found, "\n".join(found)
