"""docs/security.md carries the permission matrix exactly as the tests assert it."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("permission_matrix", ROOT / "tools" / "permission_matrix.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_permission_matrix_in_docs_security_md_is_up_to_date():
    tool = _tool()
    text = (ROOT / "docs" / "security.md").read_text()
    assert tool.updated(text) == text, "run: .venv/bin/python tools/permission_matrix.py"


def test_the_table_has_a_row_per_matrix_entry():
    from tests.security.matrix import MATRIX

    table = _tool().render()
    for name in MATRIX:
        assert f"| {name} |" in table
