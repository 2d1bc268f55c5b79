"""Writes of the evidence library: save, de-duplicate, tag and link references."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext as _

from healthlinks.accounts.models import User
from healthlinks.evidence.models import Reference, Theme, normalise_doi, normalise_title
from healthlinks.evidence.selectors import coauthor_candidates
from healthlinks.network import selectors as network_selectors
from healthlinks.network import services as network_services
from healthlinks.network.models import Person, Tie
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


@transaction.atomic
def coauthors_by_orcid(*, by: User | None, reference: Reference, orcids: Iterable[str]) -> list[Tie]:
    """Co-author ties between the people of the registry (whom `by` may edit) whose external id is the ORCID iD
    of one of the reference's authors: no confirmation needed, and importing the reference again adds nothing."""
    people = network_selectors.people_with_orcids(by, orcids)
    return network_services.coauthor_ties_save(by=by, people=people, year=reference.year, source=str(reference))


@transaction.atomic
def coauthors_confirm(*, by: User, reference: Reference, chosen: dict[int, Person]) -> list[Tie]:
    """Co-author ties between the people a coordinator confirmed as authors of the reference (author position →
    person). Each must be one of that author's candidates for this user (a person whose partnership the user may
    edit); at least two people, each for one author."""
    candidates = {m.position: {p.pk for p in m.candidates} for m in coauthor_candidates(by, reference)}
    for position, person in chosen.items():
        if person.pk not in candidates.get(position, set()):
            message = _("author {n}: not a person of the registry you may match to this author")
            raise ValidationError({"authors": message.format(n=position + 1)})
    people = list({p.pk: p for p in chosen.values()}.values())
    if len(people) != len(chosen):
        raise ValidationError({"authors": _("the same person was chosen for two authors")})
    if len(people) < 2:
        raise ValidationError({"authors": _("choose the people of at least two authors: a tie joins two people")})
    return network_services.coauthor_ties_save(by=by, people=people, year=reference.year, source=str(reference))
