"""Video appointments as a kind of booking: slots from the online room's counters, the same limits,
cancel, reschedule and reminders as a booking at the hall."""

import datetime as dt
import zoneinfo

import phonenumbers
import pytest

from appointments import availability, reminders, services
from appointments.models import Booking, BookingState, Mode
from appointments.services import Actor, BookingError, Citizen
from hall.models import CounterKind
from notifications.models import Kind, Notification
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_weekday_hours

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # Monday morning
TUESDAY = dt.date(2026, 11, 24)
WEB = Actor("web", ip="127.0.0.1")


def citizen(n=1, phone="13800138000"):
    return Citizen(name="张三丰", phone=phonenumbers.parse(phone, "CN"), id_number=make_id_number(n))


@pytest.fixture
def service():
    """Two windows in the hall and one clerk in the online room, all serving the service."""
    hall = make_hall()
    make_weekday_hours(hall)
    service = make_service(hall, average_handling_minutes=10, by_video=True, video_needs="身份证")
    make_counter(hall, 1, [service])
    make_counter(hall, 2, [service])
    make_counter(hall, 9, [service], kind=CounterKind.ONLINE_ROOM)
    return service


def day(service, mode, date=TUESDAY):
    return availability.day_availability(service=service, date=date, now=NOW, mode=mode)


def test_video_slots_count_the_online_room_and_hall_slots_only_the_windows(service):
    hall_slot, video_slot = day(service, Mode.HALL).slots[0], day(service, Mode.VIDEO).slots[0]

    # 30-minute windows, 10 minutes a citizen, 85 % used, 20 % held back: the 2 windows give 5 places (4
    # online, 1 held back), the online room's one counter 2 (1 online, 1 held back).
    assert (hall_slot.mode, hall_slot.capacity, hall_slot.held_back) == (Mode.HALL, 4, 1)
    assert (video_slot.mode, video_slot.capacity, video_slot.held_back) == (Mode.VIDEO, 1, 1)
    assert hall_slot.start == video_slot.start and hall_slot.pk != video_slot.pk


def test_a_service_not_offered_by_video_has_no_video_slots(service):
    service.by_video = False
    service.save()

    assert day(service, Mode.VIDEO).slots == []
    assert day(service, Mode.HALL).slots


def test_an_online_room_away_on_a_day_gives_no_video_slots_then(service):
    room = service.counters.get(kind=CounterKind.ONLINE_ROOM)
    start = dt.datetime.combine(TUESDAY, dt.time(8, 0), TZ)
    availability.take_counters_away(
        hall=service.hall, counters=[room], start=start, end=start + dt.timedelta(hours=12), reason="training"
    )

    assert day(service, Mode.VIDEO).slots == []
    assert day(service, Mode.HALL).slots[0].capacity == 4


def test_booking_a_video_slot_makes_a_video_booking_and_its_text_says_so(service):
    slot = day(service, Mode.VIDEO).slots[0]

    booking = services.book(slot=slot, citizen=citizen(), actor=WEB, now=NOW)

    slot.refresh_from_db()
    assert (booking.mode, booking.by_video, slot.taken) == (Mode.VIDEO, True, 1)
    text = Notification.objects.get(kind=Kind.BOOKING_CONFIRMED).text
    assert "视频" in text and booking.manage_token in text


def test_a_full_video_slot_refuses_though_the_hall_has_room(service):
    slot = day(service, Mode.VIDEO).slots[0]
    services.book(slot=slot, citizen=citizen(1, "13800138001"), actor=WEB, now=NOW)

    with pytest.raises(BookingError) as error:
        services.book(slot=slot, citizen=citizen(2, "13800138002"), actor=WEB, now=NOW)

    assert error.value.code == "slot_full"
    assert day(service, Mode.HALL).slots[0].remaining == 4


def test_the_per_person_limits_count_video_and_hall_bookings_together(service):
    other = make_service(service.hall, code="cert", prefix="B", by_video=True)
    service.counters.get(kind=CounterKind.ONLINE_ROOM).services.add(other)
    services.book(slot=day(service, Mode.HALL).slots[0], citizen=citizen(1), actor=WEB, now=NOW)

    video = availability.day_availability(service=other, date=TUESDAY, now=NOW, mode=Mode.VIDEO).slots[1]
    with pytest.raises(BookingError) as error:  # one booking per person per day by default
        services.book(slot=video, citizen=citizen(1), actor=WEB, now=NOW)

    assert error.value.code == "limit_reached"


def test_a_video_booking_moves_only_to_another_video_slot(service):
    video = day(service, Mode.VIDEO).slots
    booking = services.book(slot=video[0], citizen=citizen(), actor=WEB, now=NOW)

    with pytest.raises(BookingError):
        services.reschedule_booking(
            booking=booking, slot=day(service, Mode.HALL).slots[1], actor=WEB, now=NOW
        )
    moved = services.reschedule_booking(booking=booking, slot=video[1], actor=WEB, now=NOW)

    video[0].refresh_from_db()
    assert (moved.slot_id, moved.mode) == (video[1].pk, Mode.VIDEO)
    assert video[0].taken == 1  # held until the cancel delay, like any booking's old place


def test_a_video_booking_can_be_cancelled(service):
    booking = services.book(slot=day(service, Mode.VIDEO).slots[0], citizen=citizen(), actor=WEB, now=NOW)

    services.cancel_booking(booking=booking, actor=WEB, now=NOW)

    assert Booking.objects.get(pk=booking.pk).state == BookingState.CANCELLED


def test_video_bookings_get_the_day_before_reminder_with_their_link(service):
    booking = services.book(slot=day(service, Mode.VIDEO).slots[0], citizen=citizen(), actor=WEB, now=NOW)
    Notification.objects.filter(kind=Kind.BOOKING_CONFIRMED).update(created_at=NOW)

    reminders.record_due(now=dt.datetime(2026, 11, 23, 18, 0, tzinfo=TZ))

    reminder = Notification.objects.get(kind=Kind.REMINDER_DAY_BEFORE)
    assert reminder.subject_id == booking.pk
    assert "视频" in reminder.text and f"/booking/{booking.manage_token}/" in reminder.text


def test_a_further_matter_of_a_video_visit_is_booked_by_video(service):
    other = make_service(service.hall, code="cert", prefix="B", by_video=True)
    service.counters.get(kind=CounterKind.ONLINE_ROOM).services.add(other)
    walk_in_only = make_service(service.hall, code="move", prefix="C")
    service.counters.get(number=1).services.add(walk_in_only)
    first = day(service, Mode.VIDEO).slots[0]

    booking = services.book(slot=first, citizen=citizen(), also=[other], actor=WEB, now=NOW)

    assert booking.matters.get().slot.mode == Mode.VIDEO
    with pytest.raises(BookingError):
        services.book(slot=first, citizen=citizen(2, "13800138002"), also=[walk_in_only], actor=WEB, now=NOW)
