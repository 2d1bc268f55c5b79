from __future__ import annotations

from tests.fixtures import EXTERNAL

FIXTURES = EXTERNAL / "bibliography"
