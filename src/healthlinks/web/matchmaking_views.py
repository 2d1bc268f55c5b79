"""Who already works where: a place and a specialty in, the partnerships and institutions active there, the
countries in need where no one works yet, and the partnerships a proposed one would overlap (a map beside)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from healthlinks.analytics.matchmaking import Place, overlaps, who_works_where
from healthlinks.labels import label
from healthlinks.reference.models import Country, Specialty, WhoRegion
from healthlinks.registry.models import Institution
from healthlinks.registry.selectors import institutions_visible_to
from healthlinks.web import charts

REASONS = {
    "institution_specialty": _("shares an institution and the specialty"),
    "institution": _("shares an institution"),
    "country_specialty": _("same specialty in the same country"),
}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@require_safe
def who_works_where_page(request: HttpRequest) -> HttpResponse:
    get = request.GET
    country = get.get("country", "")
    region = get.get("region", "")
    specialty = get.get("specialty", "")
    place = Place(
        country=country if Country.objects.filter(iso3=country).exists() else "",
        region=region if region in WhoRegion.values else "",
        institution=_int(get.get("institution")),
        specialty=specialty if Specialty.objects.filter(slug=specialty).exists() else "",
    )
    context: dict[str, Any] = {
        "place": place,
        "countries": Country.objects.order_by("name"),
        "regions": WhoRegion.choices,
        "specialties": Specialty.objects.order_by("name"),
        "institutions": institutions_visible_to(request.user).select_related("country").order_by("name")[:2000],
    }
    if place.given:
        found = who_works_where(request.user, place)
        names = {s.slug: s.local_name for s in Specialty.objects.all()}
        for row in found["partnerships"]:
            row["specialty_labels"] = [names.get(s, s) for s in row["specialties"]]
            row["cadre_labels"] = [label("cadre", c) for c in row["volunteer_cadres"]]
        points = [
            {
                "lon": c["country"].longitude,
                "lat": c["country"].latitude,
                "name": c["country"].local_name,
                "n": c["partnerships"],
            }
            for c in found["countries"]
            if c["country"].longitude is not None and c["partnerships"]
        ]
        context.update(found=found, map_spec=charts.world_map([], points))
    proposed = [i for i in (_int(v) for v in get.getlist("with")) if i is not None]
    if proposed:
        rows = overlaps(request.user, institutions=proposed, specialty=place.specialty)
        context["overlaps"] = [{**row, "why": REASONS[row["reason"]]} for row in rows]
        context["proposed"] = Institution.objects.filter(pk__in=proposed).order_by("name")
    return render(request, "web/who_works_where.html", context)
