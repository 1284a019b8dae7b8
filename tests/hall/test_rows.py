"""hall/rows.py: instances read by a written-out statement are the ORM's own, whole or narrow (the fields not
read deferred, as with QuerySet.only), and saving one writes only the fields changed since."""

import datetime as dt

import pytest
from django.utils import translation

from hall import rows
from hall.models import Hall, Service
from queueing.models import Ticket, TicketKind
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


def _same_instance(loaded, expected) -> None:
    """`loaded` (rows.load) holds what `expected` (the ORM's from_db) holds, and nothing else."""
    mine = {k: v for k, v in vars(loaded).items() if k not in ("_state", "_rows_loaded")}
    theirs = {k: v for k, v in vars(expected).items() if k != "_state"}
    assert mine == theirs
    assert {k: type(v) for k, v in mine.items()} == {k: type(v) for k, v in theirs.items()}
    assert (loaded._state.adding, loaded._state.db) == (False, expected._state.db)
    assert loaded.get_deferred_fields() == expected.get_deferred_fields()


def test_a_read_instance_is_the_one_the_orm_builds_translated_fields_and_phone_numbers_too():
    hall = make_hall(name_en="North hall")
    service = make_service(hall)
    ticket = Ticket.objects.create(
        hall=hall,
        service=service,
        date=dt.date(2026, 11, 24),
        sequence=1,
        number="A001",
        token="t" * 24,
        kind=TicketKind.WALK_IN,
        phone="13800138000",
    )
    sql = (
        f"SELECT {rows.columns(Ticket, 't')}, {rows.columns(Hall, 'h', NARROW)} "  # noqa: S608 - names only
        f"FROM {rows.table(Ticket)} t JOIN {rows.table(Hall)} h ON h.id = t.hall_id"
    )

    loaded, narrow = rows.load_all((Ticket, Hall), rows.fetch(sql, [])[0], {Hall: NARROW})

    _same_instance(loaded, Ticket.objects.get())
    _same_instance(narrow, Hall.objects.only(*NARROW).get())
    assert str(loaded.phone) == "+8613800138000" and loaded.pk == ticket.pk
    with translation.override("en"):
        whole = rows.load(Hall, rows.fetch(f"SELECT {rows.columns(Hall)} FROM {rows.table(Hall)}", [])[0])  # noqa: S608
        assert whole.name == "North hall"
        whole.name = "South hall"  # set after reading: the language's own column, as for an ORM instance
        assert whole.name_en == "South hall"


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_prepared_statements_are_planned_once_per_connection_set_outside_a_transaction():
    """PostgreSQL re-planned call-next's read of the queue on every run (0.7 ms of its CPU, issue 20): the
    written-out statements' connection asks for one generic plan, a setting made only outside a
    transaction, where no rollback can take it back unseen."""
    from django.db import connection, transaction

    def mode() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW plan_cache_mode")
            return cursor.fetchone()[0]

    connection.ensure_connection()  # from the pool, maybe set up already by an earlier test: start afresh
    with connection.cursor() as cursor:
        cursor.execute("RESET plan_cache_mode")
    rows._GENERIC.discard(connection.connection)
    with transaction.atomic():
        rows.fetch("SELECT 1", [])
        assert mode() == "auto"  # inside a transaction: not set (the rollback below would undo it)
        transaction.set_rollback(True)
    assert mode() == "auto"

    rows.fetch("SELECT 1", [])

    assert mode() == "force_generic_plan"
