"""Writes of the evidence library: save, de-duplicate, tag and link references."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from healthlinks.accounts.models import User
from healthlinks.evidence.models import Reference, Theme, normalise_doi, normalise_title
from healthlinks.records import record_save

MERGE_FIELDS = ["journal", "volume", "issue", "pages", "doi", "url", "abstract", "citation_key"]


def reference_find_duplicate(*, doi: str, title: str, year: int | None, exclude: int | None = None) -> Reference | None:
    """The stored reference this one duplicates: same normalised DOI, else same normalised title and year
    (a title+year match is not taken when both carry different DOIs)."""
    qs = Reference.objects.all()
    if exclude:
        qs = qs.exclude(pk=exclude)
    doi_key = normalise_doi(doi)
    if doi_key:
        found = qs.filter(doi_key=doi_key).first()
        if found:
            return found
    title_key = normalise_title(title)[:500]
    if not title_key:
        return None
    candidates = qs.filter(title_key=title_key, year=year)
    if doi_key:
        candidates = candidates.filter(Q(doi_key="") | Q(doi_key=doi_key))
    return candidates.first()


def themes_get_or_create(names: Iterable[str]) -> list[Theme]:
    themes = []
    for name in names:
        name = name.strip()
        slug = slugify(name)[:60]
        if not slug:
            continue
        theme, _created = Theme.objects.get_or_create(slug=slug, defaults={"name": name[:100]})
        themes.append(theme)
    return themes


@transaction.atomic
def reference_upsert(
    *, by: User | None, fields: dict[str, Any], links: dict[str, Iterable[Any]] | None = None
) -> tuple[Reference, str]:
    """Create the reference, or merge it into its duplicate: empty fields are filled, keywords and authors kept
    from the stored record, keywords added. Returns the reference and "created", "merged" or "unchanged"."""
    existing = reference_find_duplicate(doi=fields.get("doi", ""), title=fields["title"], year=fields.get("year"))
    if existing is None:
        reference = Reference(added_by=by, **fields)
        reference.full_clean(exclude=["url"])
        record_save(reference, by=by, validate=False)
        status = "created"
    else:
        reference = existing
        changed = False
        for name in MERGE_FIELDS:
            if not getattr(reference, name) and fields.get(name):
                setattr(reference, name, fields[name])
                changed = True
        if not reference.authors and fields.get("authors"):
            reference.authors = fields["authors"]
            changed = True
        if reference.year is None and fields.get("year"):
            reference.year = fields["year"]
            changed = True
        new_keywords = [k for k in fields.get("keywords", []) if k not in reference.keywords]
        if new_keywords:
            reference.keywords = [*reference.keywords, *new_keywords]
            changed = True
        if changed:
            reference.full_clean(exclude=["url"])
            record_save(reference, by=by, validate=False)
        status = "merged" if changed else "unchanged"
    for relation, objects in (links or {}).items():
        objects = list(objects)
        if objects:
            getattr(reference, relation).add(*objects)
    return reference, status


@transaction.atomic
def reference_links_set(
    *, by: User | None, reference: Reference, themes: Iterable[Theme] | None = None, **relations: Iterable[Any]
) -> Reference:
    reference._history_user = by  # type: ignore[attr-defined]
    if themes is not None:
        reference.themes.set(list(themes))
    for name, objects in relations.items():
        getattr(reference, name).set(list(objects))
    return reference
