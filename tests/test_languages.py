"""Languages: every page as every role in a pseudo-locale (any visible English that did not pass through translation
fails), `<html lang dir>` in each language, the switcher remembered on the account, and the catalogues."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from django.apps import apps
from django.db import models
from django.test import Client, override_settings
from django.utils import translation

from healthlinks import catalogues
from tests.security.matrix import MATRIX
from tests.security.world import ROLES, build_world

pytestmark = pytest.mark.django_db

# Names that are never translated: the product, the standards and formats a page names as such.
PROPER = {
    "Healthlinks", "API", "IATI", "CSV", "XLSX", "XLS", "JSON", "PDF", "XLSForm", "ODK", "Kobo", "KoboToolbox",
    "SSL", "REFI", "QDA", "QDPX", "QDC", "RIS", "BibTeX", "MEDLINE", "ROR", "DOI", "ORCID", "ISCO", "DAC", "WHO", "NHS",
    "OpenAPI", "Swagger", "Vega", "Lite", "GEE", "REML", "htmx", "nbib", "bib", "xml", "csv", "xlsx", "json", "pdf",
    "qdpx", "qdc", "ris", "xls", "md", "SVG", "PNG", "HTML", "URL", "Arrow", "Parquet", "DuckDB", "Polars", "pandas",
    "ADX", "DHIS",
}  # fmt: skip
# A member sees a subset of what the coordinator of the same partnership sees; the mixed-membership roles, what
# their partnership role shows: the sweep takes one account per kind of page.
SWEPT_ROLES = {"public", "researcher", "other_coordinator", "coordinator", "hub_admin"}
SKIPPED_TAGS = {"script", "style", "code", "pre", "template", "kbd", "samp"}
ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
PSEUDO = re.compile(
    f"{catalogues.PSEUDO_OPEN}[^{catalogues.PSEUDO_OPEN}{catalogues.PSEUDO_CLOSE}]*{catalogues.PSEUDO_CLOSE}"
)
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
# An indicator's code beside its name (TRN-01), an id, a table.column a dictionary refers to.
IDENTIFIER = re.compile(r"\b[A-Z]{2,5}-[0-9A-Z]{2,}\b|\b[a-z_]+\.[a-z_]+\b")


@pytest.fixture(scope="module")
def pseudo_locale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from django.conf import settings

    root = tmp_path_factory.mktemp("locale")
    catalogues.write_pseudo(root)
    with override_settings(
        LANGUAGES=[*settings.LANGUAGES, (catalogues.PSEUDO, catalogues.pseudo_text("Pseudo"))],
        LOCALE_PATHS=[root, *settings.LOCALE_PATHS],
    ):
        yield


def _data_strings() -> list[str]:
    """Every text value the world's records hold (names, titles, codes): data are never translated. The reference
    lists are not data here: their labels must pass through the reference catalogue."""
    found: set[str] = set()
    for model in apps.get_models():
        if not model._meta.app_label.startswith(("accounts", "registry", "network", "activities", "results")) and (
            model.__module__.split(".")[1]
            not in {"evaluation", "evidence", "interviews", "projects", "planning", "programmes", "readiness"}
        ):
            continue
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            found.update(str(v).strip() for v in row if v and len(str(v).strip()) > 1)
    return sorted(found, key=len, reverse=True)


def _data_pattern(data: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in data) + r")(?!\w)")


def untranslated(html: str, data: list[str], pattern: re.Pattern[str] | None = None) -> list[str]:
    """The visible texts of a page with English words that did not pass through translation."""
    if not html.strip():
        return []
    tree = lxml.html.fromstring(html)
    page_lang = tree.get("lang")
    texts: list[str] = []
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag in SKIPPED_TAGS:
            continue
        if any(a.tag in SKIPPED_TAGS or (a.get("lang") not in (None, page_lang)) for a in element.iterancestors()):
            continue
        if element.get("lang") not in (None, page_lang) or element.get("translate") == "no":
            continue
        texts += [element.text or "", *(element.get(a) or "" for a in ATTRIBUTES)]
        if element.tag == "input" and element.get("type") in {"submit", "button"}:
            texts.append(element.get("value") or "")
        for child in element:
            texts.append(child.tail or "")
    bad = []
    for text in texts:
        left, before = text, ""
        while left != before:  # translated text inside translated text: innermost first
            left, before = PSEUDO.sub(" ", left), left
        left = IDENTIFIER.sub(" ", left)
        if not ENGLISH_WORD.search(left):
            continue
        stripped = " ".join(left.split())
        if any(stripped in value for value in data):  # a part of a record's text (a highlighted passage)
            continue
        left = (pattern or _data_pattern(data)).sub(" ", left)
        words = [w for w in ENGLISH_WORD.findall(left) if w not in PROPER]
        if words:
            bad.append(" ".join(text.split())[:120])
    return bad


def test_every_page_as_every_role_passes_through_translation(pseudo_locale: None) -> None:
    world = build_world()
    data = _data_strings()
    pattern = _data_pattern(data)
    problems: dict[str, str] = {}  # text -> where it was first seen
    clients: dict[str, Client] = {}
    for entry in MATRIX.values():
        if entry.method != "GET" or entry.pending:
            continue
        for template in entry.paths:
            path = template.format(**world["ids"])
            for role, code in zip(ROLES, entry.codes, strict=True):
                if code != 200 or role not in SWEPT_ROLES:
                    continue
                if role not in clients:  # one client per role: a new one loads every middleware again
                    clients[role] = _client(world, role)
                response = clients[role].get(path)
                if "text/html" not in response.get("Content-Type", "") or response.status_code != 200:
                    continue
                body = b"".join(response.streaming_content) if response.streaming else response.content
                for text in untranslated(body.decode(), data, pattern):
                    problems.setdefault(text, f"{path} as {role}")
    assert not problems, f"{len(problems)} visible texts not translated:\n" + "\n".join(
        f"  {text!r}  ({where})" for text, where in sorted(problems.items())
    )


def _client(world: dict[str, Any], role: str) -> Client:
    client = Client(headers={"accept-language": catalogues.PSEUDO})
    if role != "public":
        client.force_login(world["users"][role], backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize(("language", "direction"), [("en", "ltr"), ("fr", "ltr"), ("pt", "ltr"), ("ar", "rtl")])
def test_html_lang_and_dir_are_true_to_the_text(client: Client, language: str, direction: str) -> None:
    page = client.get("/", headers={"accept-language": language}).content.decode()
    assert f'<html lang="{language}" dir="{direction}"' in page
    with translation.override(language):
        assert translation.gettext("Dashboard") in page


def test_the_switcher_remembers_a_signed_in_users_choice(client: Client, django_user_model: Any) -> None:
    user = django_user_model.objects.create_user("nurse", password="x-Long-pass-1")
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "pt", "next": "/partnerships/"})
    assert response.status_code == 302 and response["Location"] == "/partnerships/"
    user.refresh_from_db()
    assert user.language == "pt"
    other_device = Client(headers={"accept-language": "fr"})
    other_device.force_login(user)
    assert '<html lang="pt" dir="ltr"' in other_device.get("/").content.decode()


def test_the_switcher_refuses_an_unknown_language_and_changes_nothing(client: Client, django_user_model: Any) -> None:
    user = django_user_model.objects.create_user("nurse", password="x-Long-pass-1")
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert response.status_code == 400 and b"xx" in response.content
    user.refresh_from_db()
    assert user.language == ""


def test_the_switcher_works_signed_out_and_without_javascript(client: Client) -> None:
    page = lxml.html.fromstring(client.get("/").content)
    form = page.xpath("//form[.//button[@name='language']]")[0]
    assert form.get("method") == "post" and form.get("action") == "/i18n/setlang/"
    assert {b.get("value") for b in form.iter("button")} >= {"en", "fr", "pt", "ar"}
    client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    assert '<html lang="ar" dir="rtl"' in client.get("/").content.decode()


def test_every_catalogue_translates_every_message_keeping_its_placeholders() -> None:
    from babel.messages import checkers
    from babel.messages.pofile import read_po

    for language in catalogues.LANGUAGES:
        path = catalogues.PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po"
        with path.open("rb") as f:
            catalog = read_po(f, locale=language)
        untranslated_ids = [
            m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))
        ]
        assert not untranslated_ids, f"{language}: {untranslated_ids[:10]}"
        fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
        assert not fuzzy, f"{language}: fuzzy (a guess by msgmerge, not a translation): {fuzzy[:10]}"
        # Babel flags every message that looks like a format; "no-python-format" (xgettext) says it is not one.
        checked = [m for m in catalog if m.id and "no-python-format" not in m.flags]
        errors = [(m.id, str(e)) for m in checked for e in m.check(catalog)]
        assert not errors, f"{language}: {errors[:10]}"
        assert checkers  # the placeholder checker Babel runs in Message.check


def test_country_names_come_from_the_cldr_in_each_language() -> None:
    from healthlinks.labels import label
    from healthlinks.reference.models import Country

    Country.objects.get_or_create(iso3="CIV", defaults={"iso2": "CI", "numeric": "384", "name": "Côte d'Ivoire"})
    with translation.override("fr"):
        assert label("country", "CIV") == "Côte d’Ivoire"
    with translation.override("ar"):
        assert label("country", "CIV") == "ساحل العاج"
    with translation.override("en"):
        assert label("country", "CIV") == "Côte d'Ivoire"


def test_the_pseudo_locale_keeps_placeholders_and_marks_every_letter(tmp_path: Path) -> None:
    text = catalogues.pseudo_text("Line %(n)s: <strong>%s</strong> {name} &amp; more")
    assert text.startswith(catalogues.PSEUDO_OPEN) and text.endswith(catalogues.PSEUDO_CLOSE)
    assert "%(n)s" in text and "<strong>" in text and "{name}" in text and "&amp;" in text
    assert not ENGLISH_WORD.search(PSEUDO.sub("", text).replace("%(n)s", "").replace("strong", ""))
    assert catalogues.write_pseudo(tmp_path).stat().st_size > 10_000
