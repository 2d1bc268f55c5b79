from datetime import date

import pytest

from healthlinks.careers.models import CareerRecord
from healthlinks.careers.services import career_record_save, career_records_save_many
from healthlinks.records import RowInvalid


def test_one_record_is_validated_and_kept_in_history(network_world, admin_user):
    record = career_record_save(
        by=admin_user, person=network_world["alice"], recorded_on=date(2024, 1, 1), status="promoted", grade="P2"
    )
    assert record.history.get().history_user == admin_user
    with pytest.raises(Exception) as exc:
        career_record_save(by=admin_user, person=network_world["alice"], recorded_on=date(2024, 1, 1), status="gone")
    assert "status" in exc.value.message_dict


def test_many_records_all_or_nothing_naming_the_row_and_field(network_world, admin_user):
    alice, bob = network_world["alice"], network_world["bob"]
    good = CareerRecord(person=alice, recorded_on=date(2024, 1, 1), status="in_post")
    bad = CareerRecord(person=bob, recorded_on=date(2024, 1, 1), status="in_post", country_id="XXX")
    with pytest.raises(RowInvalid) as exc:
        career_records_save_many(by=admin_user, records=[good, bad], rows=[2, 3])
    assert exc.value.index == 3 and "country" in exc.value.message_dict
    assert not CareerRecord.objects.exists()
    saved = career_records_save_many(
        by=admin_user, records=[CareerRecord(person=alice, recorded_on=date(2024, 1, 1), status="in_post")]
    )
    assert CareerRecord.objects.get().pk == saved[0].pk
    assert saved[0].history.get().history_type == "+"
