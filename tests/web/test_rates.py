"""The currency and day-rate tables: hub admins edit them on a page; everyone else reads them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from healthlinks.accounts.models import Role
from healthlinks.results.models import CurrencyRate, DayRate

pytestmark = pytest.mark.django_db


def test_a_hub_admin_adds_edits_and_deletes_rates(make_user, client_for):
    admin = client_for(make_user("hub", Role.HUB_ADMIN))
    resp = admin.post(
        reverse("rate-create", args=["currency"]),
        {"currency": "UGX", "year": "2024", "rate": "0.0002", "source": "BoU"},
    )
    assert resp.status_code == 302
    rate = CurrencyRate.objects.get()
    assert rate.rate == Decimal("0.0002") and rate.history.get().history_user.username == "hub"
    resp = admin.post(
        reverse("rate-edit", args=["currency", rate.pk]), {"currency": "UGX", "year": "2024", "rate": "0.00021"}
    )
    assert resp.status_code == 302 and CurrencyRate.objects.get().rate == Decimal("0.00021")
    resp = admin.post(
        reverse("rate-create", args=["day"]),
        {"grade": "Band 6", "year": "2024", "currency": "GBP", "day_rate": "210", "method": "band_replacement"},
    )
    assert resp.status_code == 302 and DayRate.objects.get().grade == "Band 6"
    page = admin.get(reverse("rates")).content.decode()
    assert "Band 6" in page and "UGX" in page and "Add a day rate" in page
    admin.post(reverse("rate-edit", args=["currency", rate.pk]), {"delete": "1"})
    assert not CurrencyRate.objects.exists()


def test_bad_rates_are_refused_with_the_field_named(make_user, client_for):
    admin = client_for(make_user("hub", Role.HUB_ADMIN))
    resp = admin.post(reverse("rate-create", args=["currency"]), {"currency": "pounds", "year": "2024", "rate": "-1"})
    assert resp.status_code == 200
    errors = resp.context["form"].errors
    assert "currency" in errors and "rate" in errors
    resp = admin.post(
        reverse("rate-create", args=["day"]),
        {"grade": "Band 6", "cadre": "2221", "year": "2024", "currency": "GBP", "day_rate": "210", "method": "custom"},
    )
    assert "give either a grade or a cadre" in resp.content.decode()
    assert not CurrencyRate.objects.exists() and not DayRate.objects.exists()


@pytest.mark.parametrize("role", [None, Role.RESEARCHER, Role.MEMBER, Role.COORDINATOR])
def test_only_hub_admins_edit_rates(role, make_user, client_for):
    client = client_for(make_user("u", role) if role else None)
    assert client.get(reverse("rates")).status_code == 200
    resp = client.post(reverse("rate-create", args=["currency"]), {"currency": "UGX", "year": "2024", "rate": "1"})
    assert resp.status_code in (302, 403) and not CurrencyRate.objects.exists()
    assert "Add a currency rate" not in client.get(reverse("rates")).content.decode()
