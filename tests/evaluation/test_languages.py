"""Bilingual XLSForms (label::English, label::French, label::French (fr)): the web form and the response pages
speak the reader's language, falling back to the form's default where the form has none in it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from healthlinks.evaluation.models import label_in
from tests.fixtures import EXTERNAL

pytestmark = pytest.mark.django_db

MALI = EXTERNAL / "xlsform" / "forms" / "mali_health_facilities_en_fr.xlsx"


@pytest.fixture
def mali(db: Any):
    from healthlinks.evaluation.services import instrument_save

    return instrument_save(by=None, raw=MALI.read_bytes(), name=MALI.name, slug="mali")


def _page(client: Client, path: str, language: str) -> str:
    return client.get(path, headers={"accept-language": language}).content.decode()


def test_the_web_form_speaks_the_readers_language(mali, admin_client: Client) -> None:
    french = _page(admin_client, "/surveys/mali/form/", "fr")
    english = _page(admin_client, "/surveys/mali/form/", "en")
    assert "Nombre de village" in french and "Number of villages" not in french
    assert "Hôpital" in french and "Oui" in french
    assert "Number of villages" in english and "Nombre de village" not in english
    # a language the form does not have: its default
    assert "Number of villages" in _page(admin_client, "/surveys/mali/form/", "pt")


def test_the_response_page_speaks_the_readers_language(mali, admin_client: Client) -> None:
    saved = admin_client.post("/surveys/mali/form/", {"TYPE": "Hospital", "region": "tombouctou", "_uuid": "m-1"})
    assert saved.status_code in (200, 302) and mali.responses.count() == 1, saved.content.decode()[-2000:]
    french = _page(admin_client, "/surveys/mali/", "fr")
    english = _page(admin_client, "/surveys/mali/", "en")
    assert "Hôpital" in french and "TOMBOUCTOU" in french and "Hôpital" not in english
    assert "Hospital" in english and "TIMBUKTU" in english


@pytest.mark.parametrize(
    ("labels", "language", "expected"),
    [
        ({"English": "Yes", "French": "Oui"}, "fr", "Oui"),
        ({"English (en)": "Yes", "French (fr)": "Oui"}, "fr", "Oui"),
        ({"en": "Yes", "fr": "Oui", "ar": "نعم"}, "ar", "نعم"),
        ({"English (en)": "Yes", "Português (pt-BR)": "Sim"}, "pt", "Sim"),
        ({"English": "Yes", "French": ""}, "fr", "Yes"),  # an empty translation: the default
        ({"English": "Yes", "French": "Oui"}, "ar", "Yes"),  # no Arabic: the default
        ({}, "fr", "Yes"),
    ],
)
def test_label_in_reads_the_column_names_xlsform_users_write(
    labels: dict[str, str], language: str, expected: str
) -> None:
    assert label_in(labels, "Yes", language) == expected


def test_the_respondent_chooses_any_language_the_form_has(mali, admin_client: Client) -> None:
    """The form's own languages are offered, even one the site does not speak; the choice holds for the answers."""
    page = _page(admin_client, "/surveys/mali/form/", "en")
    key = _french_key(mali)
    assert 'name="lang"' in page and f'<option value="{key}">{key}</option>' in page
    french = _page(admin_client, f"/surveys/mali/form/?lang={key}", "en")
    assert "Nombre de village" in french and "Oui" in french  # the choices too
    assert "Number of villages" in _page(admin_client, "/surveys/mali/form/?lang=Klingon", "en")  # unknown: ignored


def _french_key(instrument: Any) -> str:
    from healthlinks.evaluation.models import form_languages

    keys = form_languages(instrument.questions.values_list("labels", flat=True))
    return next(k for k in keys if k.lower().startswith("fr"))
