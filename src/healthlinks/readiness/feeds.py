"""A returning volunteer's debrief survey is the debrief check of their stay, so that it is never typed twice.

The debrief survey (readiness.selectors.debrief_survey: an instrument whose title or slug says "debrief", else the
volunteer impact survey, whose questions are the benefits to the sending side) answered by a known person marks
the debrief items of that person's latest physical stay that ended on or before the answer (in the response's
partnership, when it names one) done on the day of the answer, unless they are done already."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from healthlinks.readiness.models import ItemKind, ReadinessCheck, ReadinessItem
from healthlinks.readiness.selectors import debrief_survey, deployments
from healthlinks.readiness.services import check_save


def debrief_from_response(sender: Any, *, response: Any, by: Any = None, **_kwargs: Any) -> list[ReadinessCheck]:
    """The debrief checks a response records (none when it is not a debrief, or about no known person's stay)."""
    if response.person_id is None:
        return []
    survey = debrief_survey()
    if survey is None or survey.pk != response.instrument_id:
        return []
    items = list(ReadinessItem.objects.filter(active=True, kind=ItemKind.DEBRIEF))
    if not items:
        return []
    answered_on = response.submitted_at.date()
    stays = deployments().filter(person_id=response.person_id, end_date__lte=answered_on)
    if response.partnership_id is not None:
        stays = stays.filter(partnership_id=response.partnership_id)
    stay = stays.order_by("-end_date", "-pk").first()
    if stay is None:
        return []
    checks = {c.item_id: c for c in ReadinessCheck.objects.filter(stay=stay, item__in=items)}
    said = gettext("Debrief survey answered ({survey}).").format(survey=survey.title)
    return [
        check_save(by=by, stay=stay, item=item, done_on=answered_on, note=check.note if check else said)
        for item in items
        if (check := checks.get(item.pk)) is None or check.done_on is None
    ]
