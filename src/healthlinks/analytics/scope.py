"""Which partnerships and years an analysis covers: one partnership, a filtered set or all, always within
what the user may see (registry selectors)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import gettext as _

from healthlinks.labels import label
from healthlinks.reference.models import Specialty, WhoRegion
from healthlinks.registry import selectors
from healthlinks.registry.models import Partnership
from healthlinks.registry.selectors import AnyUser

FILTERS = ("partnership", "country", "region", "specialty", "typology", "funder")


@dataclass(frozen=True)
class Scope:
    partnership: str = ""
    country: str = ""
    region: str = ""  # WHO region code, e.g. AFR
    specialty: str = ""
    typology: str = ""
    funder: str = ""
    year_from: int | None = None
    year_to: int | None = None

    @classmethod
    def from_params(cls, params: Any) -> Scope:
        """From a query dict (page, API) or argparse namespace; bad years raise ValueError naming the field."""
        get = params.get if hasattr(params, "get") else lambda k, d=None: getattr(params, k, d)
        years: dict[str, int | None] = {}
        for name in ("year_from", "year_to"):
            raw = get(name, None) or get(name.replace("year_", ""), None)
            if raw in (None, ""):
                years[name] = None
                continue
            try:
                years[name] = int(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{name}: {raw!r} is not a year") from None
        texts = {k: str(get(k, "") or "") for k in FILTERS}
        return cls(**texts, year_from=years["year_from"], year_to=years["year_to"])

    def key(self) -> tuple[Any, ...]:
        return tuple(asdict(self).values())

    def describe(self) -> str:
        """The scope in words, in the reader's language: "country Uganda, from 2018" (never codes or slugs)."""
        words = {
            "partnership": _("partnership"),
            "country": _("country"),
            "region": _("WHO region"),
            "specialty": _("specialty"),
            "typology": _("typology"),
            "funder": _("funder"),
        }
        parts = [f"{words[k]} {self._value_label(k, v)}" for k, v in asdict(self).items() if k in words and v]
        if self.year_from:
            parts.append(_("from %(year)s") % {"year": self.year_from})
        if self.year_to:
            parts.append(_("to %(year)s") % {"year": self.year_to})
        return ", ".join(parts) or _("all partnerships you may see")

    @staticmethod
    def _value_label(kind: str, value: str) -> str:
        if kind == "partnership":
            return Partnership.objects.filter(slug=value).values_list("name", flat=True).first() or value
        if kind == "country":
            return label("country", value)
        if kind == "region":
            return str(dict(WhoRegion.choices).get(value, value))
        if kind == "specialty":
            found = Specialty.objects.filter(slug=value).first()
            return str(found) if found else value
        if kind == "typology" and ":" in value:
            dimension, code = value.split(":", 1)
            return label(dimension, code)
        if kind == "typology" and value == "mobility_resilient":
            return _("mobility-resilient (training and infrastructure, generic skills)")
        return value


def partnership_ids(user: AnyUser, scope: Scope) -> list[int]:
    qs = selectors.partnership_list(
        user, country=scope.country, specialty=scope.specialty, typology=scope.typology, funder=scope.funder
    )
    if scope.partnership:
        qs = qs.filter(slug=scope.partnership)
    if scope.region:
        from healthlinks.registry.models import PartnershipMember

        qs = qs.filter(
            pk__in=PartnershipMember.objects.filter(institution__country__who_region=scope.region.upper()).values(
                "partnership_id"
            )
        )
    return sorted(qs.values_list("pk", flat=True))
