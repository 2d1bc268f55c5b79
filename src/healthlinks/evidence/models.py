"""The evidence library: published and grey literature about partnerships, imported from reference managers
(RIS, BibTeX), tagged with themes and linked to partnerships, specialties and countries (issue 5, item 3).

Duplicates are found by the normalised DOI, else by the normalised title and the year (see normalise_doi and
normalise_title); both keys are stored so the check is one indexed query."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from healthlinks.reference.models import Country, Specialty
from healthlinks.registry.models import Partnership

_DOI_PREFIXES = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|info:doi/)", re.IGNORECASE)


_DOI = re.compile(r"10\.\d+(?:\.\d+)*/\S+")


def normalise_doi(value: str | None) -> str:
    """10.1186/S12992-016-0141-4, doi:10.1186/..., https://doi.org/10.1186/..., and a DOI followed by other
    text (Rayyan writes "10.1186/... http://dx.doi.org/10.1186/...", PubMed "10.1016/... [doi]") ->
    10.1186/s12992-016-0141-4: the first DOI in the text, lower case, without the punctuation around it."""
    text = unquote((value or "").strip())
    previous = None
    while previous != text:
        previous = text
        text = _DOI_PREFIXES.sub("", text).strip()
    found = _DOI.search(text)
    if not found:
        return ""
    doi = found.group(0)
    opening = {")": "(", "]": "["}
    while doi and (doi[-1] in ".;,>\"'" or (doi[-1] in opening and doi.count(doi[-1]) > doi.count(opening[doi[-1]]))):
        doi = doi[:-1]  # a closing bracket is kept when the DOI opened it: 10.1002/(SICI)...(199806)...
    return doi.lower()


def normalise_title(value: str | None) -> str:
    """Case, accents, punctuation and spacing removed: 'Twinning: A Model?' == 'twinning a model'."""
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[{}\\]", "", text)  # BibTeX braces and escapes
    text = re.sub(r"[^\w]+", " ", text.casefold())
    return " ".join(text.split())


class ReferenceType(models.TextChoices):
    ARTICLE = "article", _("Journal article")
    BOOK = "book", _("Book")
    CHAPTER = "chapter", _("Book chapter")
    REPORT = "report", _("Report")
    THESIS = "thesis", _("Thesis")
    CONFERENCE = "conference", _("Conference paper")
    WEBPAGE = "webpage", _("Web page")
    OTHER = "other", _("Other")


class Theme(models.Model):
    """A tag of the evidence library (e.g. benefits, ethics, mobility)."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Reference(models.Model):
    kind = models.CharField(_("type"), max_length=20, choices=ReferenceType.choices, default=ReferenceType.ARTICLE)
    title = models.TextField(_("title"))
    authors = models.JSONField(_("authors"), default=list, blank=True, help_text=_("'Family, Given' strings"))
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    journal = models.CharField(_("journal or publisher"), max_length=300, blank=True)
    volume = models.CharField(_("volume"), max_length=50, blank=True)
    issue = models.CharField(_("issue"), max_length=50, blank=True)
    pages = models.CharField(_("pages"), max_length=50, blank=True)
    doi = models.CharField(_("DOI"), max_length=200, blank=True)
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    abstract = models.TextField(_("abstract"), blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    citation_key = models.CharField(_("citation key"), max_length=200, blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="references", verbose_name=_("themes"))
    partnerships = models.ManyToManyField(
        Partnership, blank=True, related_name="references", verbose_name=_("partnerships")
    )
    specialties = models.ManyToManyField(Specialty, blank=True, related_name="+", verbose_name=_("specialties"))
    countries = models.ManyToManyField(Country, blank=True, related_name="+", verbose_name=_("countries"))
    doi_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    title_key = models.CharField(max_length=500, blank=True, db_index=True, editable=False)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[themes, partnerships, specialties, countries])

    class Meta:
        ordering = ["-year", "title", "pk"]
        indexes = [models.Index(fields=["title_key", "year"])]

    def __str__(self) -> str:
        return f"{self.first_author} ({self.year or 'n.d.'}) {self.title[:80]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.doi = normalise_doi(self.doi) or self.doi.strip()
        self.doi_key = normalise_doi(self.doi)
        self.title_key = normalise_title(self.title)[:500]
        super().save(*args, **kwargs)

    @property
    def first_author(self) -> str:
        return (self.authors[0].split(",")[0] if self.authors else "") or "Anon."
