"""Two people editing the same record at once never lose each other's work: a form opened before someone else's
save is merged field by field; where both changed the same field, nothing is saved until the user has seen it."""

from __future__ import annotations

import re

import pytest

from healthlinks.accounts.models import Role
from healthlinks.registry.models import AccessRole, Institution, PartnershipAccess

pytestmark = pytest.mark.django_db

FIELDS = ("name", "country", "kind", "org_type", "scope", "city", "latitude", "longitude", "ror_id", "iati_org_id")


def _opened(client, path: str) -> dict[str, str]:
    """The form as the browser would post it back unchanged: its fields and the version it was opened at."""
    html = client.get(path).content.decode()
    version = re.search(r'name="version" value="(\d*)"', html)
    assert version and version.group(1), "the form carries the version it was opened at"
    institution = Institution.objects.get(pk=int(path.split("/")[2]))
    data = {f: getattr(institution, f + "_id", None) or getattr(institution, f) or "" for f in FIELDS}
    return {**{k: str(v) for k, v in data.items()}, "version": version.group(1)}


@pytest.fixture
def two_editors(client_for, make_user, make_partnership):
    p = make_partnership(name="Leeds Gulu")
    first, second = make_user("first", Role.COORDINATOR), make_user("second", Role.HUB_ADMIN)
    PartnershipAccess.objects.create(user=first, partnership=p, role=AccessRole.COORDINATOR)
    institution = p.members.get(role="partner").institution
    return client_for(first), client_for(second), f"/institutions/{institution.pk}/edit/", institution


def test_changes_to_different_fields_are_both_kept(two_editors):
    first, second, path, institution = two_editors
    mine, theirs = _opened(first, path), _opened(second, path)
    assert second.post(path, {**theirs, "city": "Gulu town"}).status_code == 302
    response = first.post(path, {**mine, "name": "Gulu Regional Referral Hospital"}, follow=True)
    assert response.status_code == 200
    institution.refresh_from_db()
    assert (institution.name, institution.city) == ("Gulu Regional Referral Hospital", "Gulu town")
    assert "their changes were kept with yours" in response.content.decode()


def test_the_same_field_changed_by_both_is_shown_not_overwritten_and_saved_once_seen(two_editors):
    first, second, path, institution = two_editors
    mine, theirs = _opened(first, path), _opened(second, path)
    assert second.post(path, {**theirs, "city": "Gulu town"}).status_code == 302
    response = first.post(path, {**mine, "city": "Gulu city"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="stale"' in html
    assert "second changed" in html and "city" in html  # who changed what
    assert 'value="Gulu city"' in html  # the user's own value is kept in the form
    institution.refresh_from_db()
    assert institution.city == "Gulu town"  # nothing was overwritten
    again = re.search(r'name="version" value="(\d+)"', html).group(1)
    assert first.post(path, {**mine, "city": "Gulu city", "version": again}).status_code == 302
    institution.refresh_from_db()
    assert institution.city == "Gulu city"


def test_a_form_saved_without_anyone_else_saving_is_saved_as_before(two_editors):
    first, _second, path, institution = two_editors
    assert first.post(path, {**_opened(first, path), "city": "Gulu"}).status_code == 302
    institution.refresh_from_db()
    assert institution.city == "Gulu"
