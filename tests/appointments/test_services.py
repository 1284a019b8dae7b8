import datetime as dt
import zoneinfo

import phonenumbers
import pytest

from appointments import availability, services
from appointments.models import Booking, BookingRules, BookingState, HoldReason, PlaceHold, Slot
from appointments.services import Actor, BookingError, Citizen
from notifications.models import Kind, Notification
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_weekday_hours

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # Monday morning
TUESDAY = dt.date(2026, 11, 24)
WEB = Actor("web", ip="127.0.0.1")


def citizen(n=1, phone="13800138000", **kw):
    return Citizen(name="张三丰", phone=phonenumbers.parse(phone, "CN"), id_number=make_id_number(n), **kw)


@pytest.fixture
def service():
    hall = make_hall()
    make_weekday_hours(hall)
    service = make_service(hall, average_handling_minutes=10)
    make_counter(hall, 1, [service])
    return service


def first_slot(service, date=TUESDAY):
    return availability.day_availability(service=service, date=date, now=NOW).slots[0]


def test_book_takes_a_place_and_records_confirmation(service):
    slot = first_slot(service)

    booking = services.book(slot=slot, citizen=citizen(), actor=WEB, now=NOW)

    slot.refresh_from_db()
    assert (booking.state, slot.taken) == (BookingState.BOOKED, 1)
    assert booking.id_masked == "110***********" + make_id_number(1)[-4:]
    assert list(Notification.objects.values_list("kind", "subject_id")) == [
        (Kind.BOOKING_CONFIRMED, booking.pk)
    ]
    assert booking.code in Notification.objects.get().text
    assert [(e.from_state, e.to_state, e.source) for e in booking.events.all()] == [("", "booked", "web")]


def test_book_full_slot_refused(service):
    slot = first_slot(service)
    Slot.objects.filter(pk=slot.pk).update(capacity=1)
    services.book(slot=slot, citizen=citizen(1, "13800138001"), actor=WEB, now=NOW)

    with pytest.raises(BookingError) as error:
        services.book(slot=slot, citizen=citizen(2, "13800138002"), actor=WEB, now=NOW)

    assert error.value.code == "slot_full"
    assert Booking.objects.count() == 1


def test_book_same_id_same_service_refused(service):
    slots = availability.day_availability(service=service, date=TUESDAY, now=NOW).slots
    services.book(slot=slots[0], citizen=citizen(), actor=WEB, now=NOW)
    BookingRules.objects.create(hall=service.hall, max_per_day=5)

    with pytest.raises(BookingError) as error:
        services.book(slot=slots[1], citizen=citizen(), actor=WEB, now=NOW)

    assert error.value.code == "duplicate_booking"


def test_cancel_holds_place_until_release_delay(service):
    slot = first_slot(service)
    Slot.objects.filter(pk=slot.pk).update(capacity=1)
    booking = services.book(slot=slot, citizen=citizen(1, "13800138001"), actor=WEB, now=NOW)

    services.cancel_booking(booking=booking, actor=WEB, now=NOW)
    with pytest.raises(BookingError):
        services.book(
            slot=slot, citizen=citizen(2, "13800138002"), actor=WEB, now=NOW + dt.timedelta(minutes=9)
        )
    again = services.book(
        slot=slot, citizen=citizen(2, "13800138002"), actor=WEB, now=NOW + dt.timedelta(minutes=10)
    )

    slot.refresh_from_db()
    assert again.slot == slot
    assert (slot.taken, PlaceHold.objects.count()) == (1, 0)


def test_reschedule_moves_place_and_holds_old_one(service):
    slots = availability.day_availability(service=service, date=TUESDAY, now=NOW).slots
    booking = services.book(slot=slots[0], citizen=citizen(), actor=WEB, now=NOW)

    services.reschedule_booking(booking=booking, slot=slots[1], actor=WEB, now=NOW)

    booking.refresh_from_db()
    taken = dict(Slot.objects.filter(pk__in=[slots[0].pk, slots[1].pk]).values_list("pk", "taken"))
    assert booking.slot_id == slots[1].pk
    assert taken == {slots[0].pk: 1, slots[1].pk: 1}
    assert list(PlaceHold.objects.values_list("slot_id", "reason")) == [(slots[0].pk, HoldReason.MOVED)]
    assert services.release_due_places(now=NOW + dt.timedelta(minutes=10)) == 1
    assert Slot.objects.get(pk=slots[0].pk).taken == 0


def test_waitlist_gets_offer_when_place_released(service):
    slot = first_slot(service)
    Slot.objects.filter(service=service, date=TUESDAY).update(capacity=1)
    booking = services.book(slot=slot, citizen=citizen(1, "13800138001"), actor=WEB, now=NOW)
    entry = services.join_waitlist(
        service=service, date=TUESDAY, phone=phonenumbers.parse("13800138002", "CN"), language="en"
    )
    services.cancel_booking(booking=booking, actor=WEB, now=NOW)

    released = services.release_due_places(now=NOW + dt.timedelta(minutes=10))
    entry.refresh_from_db()
    accepted = services.accept_offer(
        entry=entry, citizen=citizen(2, "13800138002"), actor=WEB, now=NOW + dt.timedelta(minutes=20)
    )

    slot.refresh_from_db()
    assert released == 0  # the place went to the waiting list, not back on sale
    assert (accepted.slot_id, slot.taken) == (slot.pk, 1)
    assert Notification.objects.filter(kind=Kind.WAITLIST_OFFER, subject_id=entry.pk).count() == 1
