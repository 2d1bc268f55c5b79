from datetime import date

import pytest
from django.core.exceptions import ValidationError

from healthlinks.network.models import Stay, Tie
from healthlinks.network.selectors import inferred_ties
from healthlinks.network.services import stay_create, stay_warnings, tie_save
from healthlinks.registry.services import institution_create

pytestmark = pytest.mark.django_db


def _stay(w, person, start, end, mode="physical", host=None, sending=None):
    return stay_create(
        by=None,
        person=person,
        partnership=w["p"],
        sending_institution=sending or w["uk"],
        host_institution=host or w["ug"],
        mode=mode,
        start_date=start,
        end_date=end,
    )


def test_overlapping_physical_stays_of_one_person_are_refused(network_world):
    w = network_world
    _stay(w, w["alice"], date(2016, 1, 1), date(2016, 1, 31))
    with pytest.raises(ValidationError) as err:
        _stay(w, w["alice"], date(2016, 1, 31), date(2016, 2, 10))
    assert "overlaps" in str(err.value)
    assert Stay.objects.count() == 1
    _stay(w, w["alice"], date(2016, 1, 15), date(2016, 1, 20), mode="virtual")  # virtual may overlap
    _stay(w, w["bob"], date(2016, 1, 15), date(2016, 1, 20))  # another person may overlap
    assert Stay.objects.count() == 3


def test_end_before_start_and_unknown_purpose_name_the_field(network_world):
    w = network_world
    with pytest.raises(ValidationError) as err:
        _stay(w, w["alice"], date(2016, 2, 1), date(2016, 1, 1))
    assert "end_date" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        stay_create(
            by=None,
            person=w["alice"],
            partnership=w["p"],
            host_institution=w["ug"],
            mode="physical",
            start_date=date(2016, 1, 1),
            end_date=date(2016, 1, 2),
            purposes=["sightseeing"],
        )
    assert "purposes" in err.value.message_dict


def test_safeguard_flag_from_a_listed_country_to_a_high_income_host(network_world):
    w = network_world
    ug_to_uk = _stay(w, w["bob"], date(2017, 1, 1), date(2017, 1, 30), host=w["uk"], sending=w["ug"])
    uk_to_ug = _stay(w, w["alice"], date(2017, 1, 1), date(2017, 1, 30))
    virtual = _stay(w, w["bob"], date(2018, 1, 1), date(2018, 1, 2), mode="virtual", host=w["uk"], sending=w["ug"])
    kenya = institution_create(by=None, name="Nairobi hospital", country_id="KEN", kind="hospital")  # amber
    ke_to_uk = _stay(w, w["alice"], date(2019, 1, 1), date(2019, 1, 5), host=w["uk"], sending=kenya)
    assert ug_to_uk.safeguard_flag and not uk_to_ug.safeguard_flag and not virtual.safeguard_flag
    assert not ke_to_uk.safeguard_flag
    assert any("WHO Global Code" in text for text in stay_warnings(ug_to_uk))


def test_a_stay_outside_the_partnership_dates_is_kept_with_a_warning(network_world):
    w = network_world
    stay = _stay(w, w["alice"], date(2010, 1, 1), date(2010, 1, 5))
    assert stay.pk and stay.outside_partnership_dates
    assert any("outside" in text for text in stay_warnings(stay))


def test_an_undirected_tie_is_stored_once_whichever_way_it_is_given(network_world):
    w = network_world
    tie_save(by=None, person_a=w["alice"], person_b=w["bob"], kind="counterparts")
    tie_save(by=None, person_a=w["bob"], person_b=w["alice"], kind="counterparts", start_date=date(2020, 1, 1))
    assert Tie.objects.count() == 1 and Tie.objects.get().start_date == date(2020, 1, 1)
    tie_save(by=None, person_a=w["bob"], person_b=w["alice"], kind="mentor_mentee")
    tie_save(by=None, person_a=w["alice"], person_b=w["bob"], kind="mentor_mentee")
    assert Tie.objects.filter(kind="mentor_mentee").count() == 2  # directed: two different ties
    with pytest.raises(ValidationError):
        tie_save(by=None, person_a=w["bob"], person_b=w["bob"], kind="counterparts")


def test_co_presence_ties_are_inferred_from_overlapping_stays_at_one_host(network_world):
    w = network_world
    _stay(w, w["alice"], date(2016, 1, 1), date(2016, 1, 31))
    _stay(w, w["bob"], date(2016, 1, 20), date(2016, 2, 20))
    _stay(w, w["bob"], date(2017, 1, 20), date(2017, 2, 20), host=w["uk"])
    ties = inferred_ties(Stay.objects.all())
    assert len(ties) == 1
    assert ties[0]["days"] == 12 and {ties[0]["person_a"], ties[0]["person_b"]} == {w["alice"].pk, w["bob"].pk}
    assert not Tie.objects.exists()  # computed, never stored
