"""Translation catalogues: compiled at install, the reference lists' labels, and a pseudo-locale for tests.

`python -m healthlinks.catalogues compile` turns every ``.po`` under the package into its ``.mo`` (Babel: no
system gettext needed); binaries are never committed. `... reference` regenerates the reference lists' catalogue
(country names from the Unicode CLDR, the only official translation we ship; other lists stay English where no
official translation exists). `pseudo(dir)` writes a test locale that transforms every message we and Django
translate, so a test can find any visible text that did not pass through translation.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PACKAGE = Path(__file__).resolve().parent
LOCALE_DIRS = (PACKAGE / "locale", PACKAGE / "reference" / "catalogue")
LANGUAGES = ("fr", "pt", "ar")
PSEUDO = "en-xa"

# Message contexts of the reference lists (healthlinks.labels looks labels up with them).
REFERENCE_LISTS: tuple[tuple[str, str, str, str], ...] = (
    # (context, file, code column, label column)
    ("country", "countries.csv", "iso3", "name"),
    ("ISCO-08 occupation", "isco08_health.csv", "code", "label"),
    ("ISCO-08 group", "isco08_health.csv", "group", "group"),
    ("DAC purpose", "dac_purpose_codes.csv", "code", "name"),
    ("specialty", "specialties.csv", "slug", "name"),
    ("delivery method", "delivery_methods.csv", "slug", "name"),
    ("IATI organisation type", "iati_organisation_type.csv", "code", "name"),
)


def po_files() -> Iterator[Path]:
    for root in LOCALE_DIRS:
        yield from sorted(root.glob("*/LC_MESSAGES/*.po"))


def compile_catalogue(po: Path, mo: Path | None = None) -> Path:
    mo = mo or po.with_suffix(".mo")
    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name)
    with mo.open("wb") as f:
        write_mo(f, catalog, use_fuzzy=False)
    return mo


def compile_all(force: bool = False) -> list[Path]:
    done = []
    for po in po_files():
        mo = po.with_suffix(".mo")
        if force or not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            done.append(compile_catalogue(po, mo))
    return done


def _reference_rows() -> Iterator[tuple[str, str, str]]:
    """(context, code, English label) of every reference list entry."""
    data = PACKAGE / "reference" / "data"
    for context, name, code_column, label_column in REFERENCE_LISTS:
        seen = set()
        with (data / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                label = row[label_column].strip()
                if label and label not in seen:
                    seen.add(label)
                    yield context, row.get("iso2") or row[code_column], label


def write_reference_catalogues() -> list[Path]:
    """The reference lists' catalogue per language: CLDR country names; English kept where none is official."""
    written = []
    for language in LANGUAGES:
        cldr = Locale.parse(language).territories
        catalog = Catalog(locale=language, project="Healthlinks reference lists", fuzzy=False)
        for context, code, label in _reference_rows():
            translated = cldr.get(code, "") if context == "country" else ""
            catalog.add(label, translated, context=context)
        path = PACKAGE / "reference" / "catalogue" / language / "LC_MESSAGES" / "django.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, catalog, width=0, omit_header=False, sort_output=True)
        written.append(path)
    return written


# -- pseudo-locale ---------------------------------------------------------------------------------------------

_ACCENTED = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "áƀçðéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÁƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
        strict=True,
    )
)
# Placeholders, tags, entities and template variables pass through untouched.
_KEEP = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdifrx]|%[sdifr%]|\{[^{}]*\}|<[^>]*>|&[#a-zA-Z0-9]+;")
PSEUDO_OPEN, PSEUDO_CLOSE = "⟦", "⟧"


def pseudo_text(text: str) -> str:
    if not text:
        return text
    out, at = [], 0
    for m in _KEEP.finditer(text):
        out.append("".join(_ACCENTED.get(c, c) for c in text[at : m.start()]))
        out.append(m.group())
        at = m.end()
    out.append("".join(_ACCENTED.get(c, c) for c in text[at:]))
    return PSEUDO_OPEN + "".join(out) + PSEUDO_CLOSE


def _english_catalogues() -> Iterable[Path]:
    """Every catalogue whose messages can reach a page: ours, the reference lists', Django's and the apps'."""
    yield from sorted((PACKAGE / "locale").glob("fr/LC_MESSAGES/django.po"))
    yield from sorted((PACKAGE / "reference" / "catalogue").glob("fr/LC_MESSAGES/django.po"))
    for package in ("django", "rest_framework", "django_filters"):
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.origin, package
        yield from sorted(Path(spec.origin).parent.rglob("locale/en/LC_MESSAGES/django.po"))


def write_pseudo(root: Path) -> Path:
    """Compile the pseudo-locale under `root` (a LOCALE_PATHS entry) and return its .mo."""
    pseudo = Catalog(locale="en", fuzzy=False)
    for po in _english_catalogues():
        with po.open("rb") as f:
            for message in read_po(f):
                if not message.id:
                    continue
                if isinstance(message.id, tuple):
                    singular, plural = message.id
                    pseudo.add(
                        (singular, plural), (pseudo_text(singular), pseudo_text(plural)), context=message.context
                    )
                else:
                    pseudo.add(message.id, pseudo_text(str(message.id)), context=message.context)
    mo = root / "en_XA" / "LC_MESSAGES" / "django.mo"
    mo.parent.mkdir(parents=True, exist_ok=True)
    with mo.open("wb") as f:
        write_mo(f, pseudo)
    return mo


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "compile"
    if command == "compile":
        done = compile_all(force="--force" in argv)
        print(f"{len(done)} catalogue(s) compiled")
    elif command == "reference":
        for path in write_reference_catalogues():
            print(path.relative_to(PACKAGE))
    else:
        print("usage: python -m healthlinks.catalogues [compile [--force] | reference]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
