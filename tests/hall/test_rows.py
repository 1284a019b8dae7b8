"""hall/rows.py: instances read by a written-out statement are the ORM's own, whole or narrow (the fields not
read deferred, as with QuerySet.only), and saving one writes only the fields changed since."""

import pytest

from hall import rows
from hall.models import Hall, Service
from tests.makers import make_hall, make_service

pytestmark = pytest.mark.django_db

NARROW = frozenset({"id", "slug", "timezone"})


def _read(fields=None) -> list:
    sql = (
        f"SELECT {rows.columns(Service, 's')}, {rows.columns(Hall, 'h', fields)} "  # noqa: S608 - names only
        f"FROM {rows.table(Service)} s JOIN {rows.table(Hall)} h ON h.id = s.hall_id WHERE s.id = %s"
    )
    service = Service.objects.get()
    return rows.load_all((Service, Hall), rows.fetch(sql, [service.pk])[0], {Hall: fields})


def test_a_narrow_read_defers_the_rest_and_loads_it_on_use():
    hall = make_hall()
    make_service(hall)

    service, narrow = _read(NARROW)

    assert (narrow.pk, narrow.slug, narrow.timezone) == (hall.pk, hall.slug, hall.timezone)
    assert "slug" not in narrow.get_deferred_fields() and "consultation_phone" in narrow.get_deferred_fields()
    assert narrow.consultation_phone == hall.consultation_phone  # read when asked
    assert service == Service.objects.get() and service.hall_id == hall.pk


def test_saving_writes_the_fields_changed_or_set_since_and_no_other():
    hall = make_hall()
    make_service(hall)
    _service, narrow = _read(NARROW)
    Hall.objects.filter(pk=hall.pk).update(consultation_phone="010-1")  # by someone else meanwhile

    narrow.slug = "south"
    narrow.supervision_phone = "010-2"  # deferred when read, set since
    narrow.save(update_fields=rows.changed(narrow))

    saved = Hall.objects.get(pk=hall.pk)
    assert (saved.slug, saved.supervision_phone, saved.consultation_phone) == ("south", "010-2", "010-1")


def test_a_whole_read_changes_nothing_it_was_not_told_to():
    hall = make_hall()
    make_service(hall)
    _service, whole = _read()

    assert rows.changed(whole) == []
    whole.slug = "south"
    assert rows.changed(whole) == ["slug"]
