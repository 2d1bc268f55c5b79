"""Static files storage for production: WhiteNoise's compressed, hashed files.

Vendored minified scripts name source maps that are not shipped (vendor/README.md); Django's manifest storage
would refuse them at collectstatic, so source-map references are left as they are (browsers just skip a
missing map) while every other reference (CSS url(), @import) is still rewritten to its hashed name.
"""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns: Any) -> tuple[Any, ...]:
    kept = []
    for glob, rules in patterns:
        rules = tuple(r for r in rules if "sourceMappingURL" not in (r if isinstance(r, str) else r[0]))
        kept.append((glob, rules))
    return tuple(kept)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)
