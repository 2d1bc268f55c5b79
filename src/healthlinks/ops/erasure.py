"""Personal data erasure on request: a person's record is pseudonymised everywhere, history included.

What goes: names, email, phone (PersonalData and every historical row of it), the external id (the link to
another system, in Person and its history), research consent (the record leaves research exports), and every
free-text field (TextField) of every row that points to the person, in every app and every history table
(stay notes, for instance), found at run time from the models, so apps added later are covered; and the
free-text answers of the person's survey responses.
What stays: the pseudonymous record (HL-…), its cadre, sex and institution, stays, trainings and outcomes,
so that counts and indicators do not change. An Erasure row records who erased which pseudonymous id, when.
"""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction

from healthlinks.accounts.models import User
from healthlinks.network.models import Person, PersonalData
from healthlinks.ops.models import Erasure


def _points_to_person(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.is_relation and f.related_model is Person]


@transaction.atomic
def person_erase(*, by: User | None, pseudo_id: str) -> Erasure:
    try:
        person = Person.objects.select_for_update().get(pseudo_id=pseudo_id)
    except Person.DoesNotExist:
        raise ValidationError({"pseudo_id": f"no person with pseudonymous id {pseudo_id!r}"}) from None
    detail: dict[str, int] = {}

    def note(model: type[models.Model], n: int) -> None:
        if n:
            detail[model._meta.label_lower] = detail.get(model._meta.label_lower, 0) + n

    personal_fields = [f.name for f in PersonalData._meta.concrete_fields if not f.is_relation and not f.primary_key]
    blank = {name: "" for name in personal_fields}
    history_personal = PersonalData.history.model
    history_person = Person.history.model
    note(PersonalData, PersonalData.objects.filter(person=person).update(**blank))
    note(history_personal, history_personal.objects.filter(person_id=person.pk).update(**blank))
    note(
        Person,
        Person.objects.filter(pk=person.pk).update(external_id=None, research_consent=False, consent_date=None),
    )
    note(
        history_person,
        history_person.objects.filter(id=person.pk).update(external_id=None, research_consent=False, consent_date=None),
    )
    for model in apps.get_models():
        if model in (Person, PersonalData, history_person, history_personal):
            continue
        links = _points_to_person(model)
        texts = [f.name for f in model._meta.concrete_fields if isinstance(f, models.TextField)]
        if not links or not texts:
            continue
        for link in links:
            n = model._base_manager.filter(**{link.attname: person.pk}).update(**{name: "" for name in texts})
            note(model, n)
    # Survey answers hang off the person's responses, one step further: their free-text answers go; coded,
    # numeric and date answers stay, so that the survey's frequencies do not change.
    from healthlinks.evaluation.models import Answer

    note(Answer, Answer.objects.filter(response__person=person, question__type="text").update(value=""))
    return Erasure.objects.create(
        pseudo_id=person.pseudo_id,
        erased_by=by.username if by else "",
        rows=sum(detail.values()),
        detail=detail,
    )
