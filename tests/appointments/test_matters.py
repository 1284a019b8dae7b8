"""Several matters in one visit: a booking takes places in each service's slot for the same window, all or
none, and gives them back (or moves them) together."""

import datetime as dt
import zoneinfo

import phonenumbers
import pytest
from django.db import IntegrityError
from django.db.models import F
from django.utils import translation

from appointments import availability, housekeeping, matters, services
from appointments.models import (
    Booking,
    BookingMatter,
    BookingRules,
    BookingState,
    HoldReason,
    PlaceHold,
    Slot,
)
from appointments.services import Actor, BookingError, Citizen
from notifications.models import Kind, Notification
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_weekday_hours

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # Monday morning
TUESDAY = dt.date(2026, 11, 24)
WEB = Actor("web", ip="127.0.0.1")
STAFF = Actor("staff")


def citizen(n=1, phone="13800138000"):
    return Citizen(name="张三丰", phone=phonenumbers.parse(phone, "CN"), id_number=make_id_number(n))


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def hall():
    """Open 8:30-17:30 on weekdays; one counter gives 3 places in a 30-minute window (10-minute matters)."""
    hall = make_hall()
    make_weekday_hours(hall)
    BookingRules.objects.create(hall=hall, held_back_percent=0, utilisation_percent=100, max_per_day=5)
    return hall


@pytest.fixture
def trio(hall):
    """Three bookable services with 30-minute windows, each served by its own counter."""
    made = [
        make_service(hall, "id-renewal", "A", name_en="ID card renewal"),
        make_service(hall, "certificate", "B", name_en="Household certificate", name_zh_hans="户籍证明"),
        make_service(hall, "move-in", "C", name_en="Move-in", name_zh_hans="迁入"),
    ]
    for n, service in enumerate(made, start=1):
        make_counter(hall, n, [service])
    return made


def slot_at(service, start=dt.time(9, 0), date=TUESDAY) -> Slot:
    availability.sync_slots(service=service, date=date)
    return Slot.objects.select_related("hall", "service").get(
        service=service, start=dt.datetime.combine(date, start, TZ)
    )


def fill(slot, leave=0) -> None:
    Slot.objects.filter(pk=slot.pk).update(taken=F("capacity") - leave)


def taken(*slots) -> list[int]:
    return [Slot.objects.get(pk=s.pk).taken for s in slots]


def test_book_with_two_more_services_takes_a_place_in_each_window(trio):
    first, second, third = (slot_at(s) for s in trio)

    booking = services.book(slot=first, citizen=citizen(), persons=2, also=trio[1:], actor=WEB, now=NOW)

    assert taken(first, second, third) == [2, 2, 2]
    assert [(m.position, m.service.code, m.slot) for m in matters.matters_of(booking)] == [
        (1, "id-renewal", first),
        (2, "certificate", second),
        (3, "move-in", third),
    ]
    assert list(booking.matters.values_list("active_id_hash", flat=True)) == [booking.id_hash] * 2


def test_book_further_matter_in_a_longer_window_that_contains_the_arrival_time(hall, trio):
    trio[1].slot_minutes = 60
    trio[1].save()
    first = slot_at(trio[0], dt.time(8, 30))
    later = slot_at(trio[0], dt.time(9, 0))
    hour = slot_at(trio[1], dt.time(8, 30))  # 8:30-9:30

    booking = services.book(slot=later, citizen=citizen(), also=[trio[1]], actor=WEB, now=NOW)

    assert booking.matters.get().slot == hour
    assert taken(first, later, hour) == [0, 1, 1]


def test_book_refused_when_one_further_service_is_full_takes_nothing(trio):
    first, second, third = (slot_at(s) for s in trio)
    fill(third)

    with pytest.raises(BookingError) as error:
        services.book(slot=first, citizen=citizen(), also=trio[1:], actor=WEB, now=NOW)

    assert (error.value.code, error.value.field) == ("slot_full", "services")
    assert error.value.message == (
        "Move-in is fully booked at this time. Leave it out, or choose another time for the whole visit."
    )
    assert taken(first, second, third) == [0, 0, 3]
    assert (Booking.objects.count(), BookingMatter.objects.count(), Notification.objects.count()) == (0, 0, 0)


def test_book_refused_when_the_first_service_is_full_names_it(trio):
    first, second = slot_at(trio[0]), slot_at(trio[1])
    fill(first)

    with pytest.raises(BookingError) as error:
        services.book(slot=first, citizen=citizen(), also=[trio[1]], actor=WEB, now=NOW)

    assert (error.value.field, error.value.message) == (
        "slot",
        "ID card renewal is fully booked at this time. Leave it out, or choose another time for the whole "
        "visit.",
    )
    assert taken(first, second) == [3, 0]


def test_book_more_than_three_services_refused(hall, trio):
    fourth = make_service(hall, "newborn", "D", name_en="Newborn registration")
    make_counter(hall, 4, [fourth])

    with pytest.raises(BookingError) as error:
        services.book(slot=slot_at(trio[0]), citizen=citizen(), also=[*trio[1:], fourth], actor=WEB, now=NOW)

    assert (error.value.code, error.value.message) == (
        "too_many_services",
        "You can add at most two more services to one visit.",
    )
    assert Booking.objects.count() == 0


def test_book_same_service_twice_in_one_visit_refused(trio):
    with pytest.raises(BookingError) as error:
        services.book(slot=slot_at(trio[0]), citizen=citizen(), also=[trio[0]], actor=WEB, now=NOW)

    assert error.value.code == "duplicate_booking"
    assert Booking.objects.count() == 0


def test_book_further_service_without_a_window_then_refused(hall, trio):
    unstaffed = make_service(hall, "newborn", "D", name_en="Newborn registration")  # no counter: no windows

    with pytest.raises(BookingError) as error:
        services.book(slot=slot_at(trio[0]), citizen=citizen(), also=[unstaffed], actor=WEB, now=NOW)

    assert (error.value.code, error.value.field, error.value.message) == (
        "not_bookable",
        "services",
        "Newborn registration cannot be booked at this time. Leave it out, or choose another time for the "
        "whole visit.",
    )
    assert taken(slot_at(trio[0])) == [0]


def test_book_further_service_of_another_hall_refused(trio):
    other = make_hall("south")
    make_weekday_hours(other)
    foreign = make_service(other, "id-renewal", "A", name_en="South ID card")

    with pytest.raises(BookingError) as error:
        services.book(slot=slot_at(trio[0]), citizen=citizen(), also=[foreign], actor=WEB, now=NOW)

    assert (error.value.code, error.value.message) == (
        "not_bookable",
        "South ID card cannot be booked at this time. Leave it out, or choose another time for the whole "
        "visit.",
    )


def test_one_active_booking_per_id_holds_for_further_matters(trio):
    services.book(slot=slot_at(trio[0]), citizen=citizen(), also=[trio[1]], actor=WEB, now=NOW)

    with pytest.raises(BookingError) as as_first:
        services.book(slot=slot_at(trio[1], dt.time(10)), citizen=citizen(), actor=STAFF, now=NOW)
    with pytest.raises(BookingError) as as_further:
        services.book(
            slot=slot_at(trio[2], dt.time(10)),
            citizen=citizen(),
            also=[trio[1]],
            actor=Actor("staff"),
            now=NOW,
        )

    assert (as_first.value.code, as_further.value.code) == ("duplicate_booking", "duplicate_booking")
    assert Booking.objects.count() == 1


def test_database_refuses_a_second_active_further_matter_for_the_same_id_and_service(trio):
    a = services.book(slot=slot_at(trio[0]), citizen=citizen(1), also=[trio[1]], actor=WEB, now=NOW)
    b = services.book(slot=slot_at(trio[2]), citizen=citizen(2, "13800138002"), actor=WEB, now=NOW)

    with pytest.raises(IntegrityError):
        BookingMatter.objects.create(
            booking=b, position=2, service=trio[1], slot=slot_at(trio[1]), active_id_hash=a.id_hash
        )


def test_cancel_gives_back_every_matter_after_the_delay(trio):
    first, second, third = (slot_at(s) for s in trio)
    booking = services.book(slot=first, citizen=citizen(), persons=2, also=trio[1:], actor=WEB, now=NOW)

    services.cancel_booking(booking=booking, actor=WEB, now=NOW)

    assert sorted(PlaceHold.objects.values_list("slot_id", "persons", "reason")) == sorted(
        [(s.pk, 2, HoldReason.CANCELLED) for s in (first, second, third)]
    )
    assert list(booking.matters.values_list("active_id_hash", flat=True)) == [None, None]
    released = services.release_due_places(now=NOW + dt.timedelta(minutes=10))
    assert (released, taken(first, second, third)) == (6, [0, 0, 0])


def test_cancelled_visit_lets_the_person_book_its_services_again(trio):
    booking = services.book(slot=slot_at(trio[0]), citizen=citizen(), also=[trio[1]], actor=WEB, now=NOW)
    services.cancel_booking(booking=booking, actor=WEB, now=NOW)

    again = services.book(slot=slot_at(trio[1], dt.time(10)), citizen=citizen(), actor=STAFF, now=NOW)

    assert again.state == BookingState.BOOKED


def test_reschedule_moves_every_matter_and_holds_the_old_places(trio):
    old = [slot_at(s) for s in trio]
    new = [slot_at(s, dt.time(10)) for s in trio]
    booking = services.book(slot=old[0], citizen=citizen(), also=trio[1:], actor=WEB, now=NOW)

    services.reschedule_booking(booking=booking, slot=new[0], actor=WEB, now=NOW)

    assert [m.slot for m in matters.matters_of(Booking.objects.get(pk=booking.pk))] == new
    assert taken(*old, *new) == [1, 1, 1, 1, 1, 1]
    assert sorted(PlaceHold.objects.values_list("slot_id", "reason")) == sorted(
        [(s.pk, HoldReason.MOVED) for s in old]
    )


def test_reschedule_refused_when_a_further_service_is_full_keeps_everything(trio):
    old = [slot_at(s) for s in trio]
    new = [slot_at(s, dt.time(10)) for s in trio]
    booking = services.book(slot=old[0], citizen=citizen(), also=trio[1:], actor=WEB, now=NOW)
    fill(new[1])

    with pytest.raises(BookingError) as error:
        services.reschedule_booking(booking=booking, slot=new[0], actor=WEB, now=NOW)

    assert error.value.message.startswith("Household certificate is fully booked at this time.")
    assert [m.slot for m in matters.matters_of(Booking.objects.get(pk=booking.pk))] == old
    assert taken(*old, *new) == [1, 1, 1, 0, 3, 0]
    assert PlaceHold.objects.count() == 0


def test_reschedule_within_a_further_matters_longer_window_keeps_its_place(trio):
    trio[1].slot_minutes = 60
    trio[1].save()
    nine, half_past_eight = slot_at(trio[0]), slot_at(trio[0], dt.time(8, 30))
    hour = slot_at(trio[1], dt.time(8, 30))  # 8:30-9:30 holds both
    booking = services.book(slot=nine, citizen=citizen(), also=[trio[1]], actor=WEB, now=NOW)

    services.reschedule_booking(booking=booking, slot=half_past_eight, actor=WEB, now=NOW)

    assert taken(nine, half_past_eight, hour) == [1, 1, 1]
    assert list(PlaceHold.objects.values_list("slot_id", flat=True)) == [nine.pk]


def test_confirmation_text_names_every_service(trio):
    booking = services.book(slot=slot_at(trio[0]), citizen=citizen(), also=trio[1:], actor=WEB, now=NOW)

    message = Notification.objects.get(kind=Kind.BOOKING_CONFIRMED)

    assert message.subject_id == booking.pk
    assert (
        "预约成功：居民身份证换领 + 户籍证明 + 迁入，2026-11-24 09:00-09:30，" in message.text
    )  # in their language


def test_no_show_sweep_frees_further_matters(trio):
    booking = services.book(slot=slot_at(trio[0]), citizen=citizen(), also=[trio[1]], actor=WEB, now=NOW)

    housekeeping.mark_no_shows(now=dt.datetime(2026, 11, 24, 12, 0, tzinfo=TZ))

    assert Booking.objects.get(pk=booking.pk).state == BookingState.NO_SHOW
    assert list(booking.matters.values_list("active_id_hash", flat=True)) == [None]


def test_available_extras_lists_services_with_room_in_the_same_window(trio):
    first = slot_at(trio[0])
    fill(slot_at(trio[2]), leave=1)

    for_one = [m.service.code for m in matters.available_extras(first, 1, NOW)]
    for_two = [m.service.code for m in matters.available_extras(first, 2, NOW)]

    assert (for_one, for_two) == (["certificate", "move-in"], ["certificate"])
