"""Every booking rule, asserting the message the citizen reads."""

import datetime as dt
import zoneinfo

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from appointments import availability, housekeeping, services
from appointments.models import Booking, BookingRules, BookingState, GreenChannel, Slot
from appointments.services import Actor, BookingError, Citizen
from hall.models import Closure
from hall.privacy import hash_id_number, hash_phone
from notifications.models import Notification
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_staff, make_weekday_hours

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # Monday
WEB = Actor("web", ip="10.0.0.1")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def service():
    hall = make_hall()
    make_weekday_hours(hall)
    service = make_service(hall)
    make_counter(hall, 1, [service])
    return service


def citizen(n=1, phone="13800138000"):
    return Citizen(name="李四", phone=phonenumbers.parse(phone, "CN"), id_number=make_id_number(n))


def slots(service, date, now=NOW):
    return availability.day_availability(service=service, date=date, now=now).slots


def refusal(**kwargs):
    with pytest.raises(BookingError) as error:
        services.book(**kwargs)
    return error.value.code, error.value.message


# Horizon, release time, minimum notice, closed days (rule 3)


def test_day_availability_beyond_horizon_says_how_far(service):
    day = availability.day_availability(service=service, date=dt.date(2026, 12, 2), now=NOW)

    assert (day.bookable, day.reason) == (False, "You can book at most 7 days ahead.")


def test_day_availability_newest_day_opens_at_release_time(service):
    before = dt.datetime(2026, 11, 23, 8, 29, tzinfo=TZ)
    after = dt.datetime(2026, 11, 23, 8, 30, tzinfo=TZ)

    early = availability.day_availability(service=service, date=dt.date(2026, 11, 30), now=before)
    released = availability.day_availability(service=service, date=dt.date(2026, 11, 30), now=after)

    assert (early.bookable, early.reason) == (False, "Booking for this day opens at 08:30 on 2026-11-23.")
    assert released.bookable is True


def test_day_availability_release_time_is_configurable(service):
    BookingRules.objects.create(hall=service.hall, release_time=dt.time(7, 0), horizon_days=3)

    day = availability.day_availability(service=service, date=dt.date(2026, 11, 26), now=NOW)

    assert day.bookable is True


def test_day_availability_hides_windows_inside_minimum_notice(service):
    now = dt.datetime(2026, 11, 24, 9, 10, tzinfo=TZ)

    starts = [s.start.astimezone(TZ).time() for s in slots(service, dt.date(2026, 11, 24), now)]

    assert starts[0] == dt.time(10)  # 09:30 is 20 minutes away, less than the 30 minutes' notice


def test_book_inside_minimum_notice_refused(service):
    slot = slots(service, dt.date(2026, 11, 24))[2]  # 09:30
    late = dt.datetime(2026, 11, 24, 9, 10, tzinfo=TZ)

    code, message = refusal(slot=slot, citizen=citizen(), actor=WEB, now=late)

    assert (code, message) == (
        "not_bookable",
        "This time can no longer be booked. Please choose another time.",
    )


def test_day_availability_closed_holiday_says_why(service):
    now = dt.datetime(2026, 9, 29, 9, 0, tzinfo=TZ)

    day = availability.day_availability(service=service, date=dt.date(2026, 10, 1), now=now)

    assert (day.open, day.bookable, day.reason, day.slots) == (False, False, "National Day", [])


def test_day_availability_closure_says_why(service):
    Closure.objects.create(hall=service.hall, date=dt.date(2026, 11, 25), reason_en="Power maintenance")

    day = availability.day_availability(service=service, date=dt.date(2026, 11, 25), now=NOW)

    assert (day.open, day.reason) == (False, "Power maintenance")


def test_book_in_the_past_refused(service):
    slot = slots(service, dt.date(2026, 11, 24))[0]

    code, _ = refusal(slot=slot, citizen=citizen(), actor=WEB, now=NOW + dt.timedelta(days=2))

    assert code == "not_bookable"


def test_closure_added_after_slots_closes_them(service):
    slot = slots(service, dt.date(2026, 11, 25))[0]
    Closure.objects.create(hall=service.hall, date=dt.date(2026, 11, 25), reason_en="Flood")

    availability.sync_slots(service=service, date=dt.date(2026, 11, 25))

    assert Slot.objects.get(pk=slot.pk).closed is True


# Per-person limits (rule 6)


def test_book_second_booking_same_day_refused(service):
    other = make_service(service.hall, code="cert", prefix="B", name_en="Certificate")
    make_counter(service.hall, 2, [other])
    services.book(slot=slots(service, dt.date(2026, 11, 24))[0], citizen=citizen(), actor=WEB, now=NOW)

    code, message = refusal(
        slot=slots(other, dt.date(2026, 11, 24))[0], citizen=citizen(), actor=WEB, now=NOW
    )

    assert code == "limit_reached"
    assert (
        message
        == "You can make at most 1 booking(s) a day. Please come back tomorrow or change your booking."
    )


def test_book_limit_counts_the_mobile_too(service):
    other = make_service(service.hall, code="cert", prefix="B")
    make_counter(service.hall, 2, [other])
    services.book(slot=slots(service, dt.date(2026, 11, 24))[0], citizen=citizen(1), actor=WEB, now=NOW)

    code, _ = refusal(slot=slots(other, dt.date(2026, 11, 24))[0], citizen=citizen(2), actor=WEB, now=NOW)

    assert code == "limit_reached"


def test_book_third_in_a_week_refused(service):
    codes = []
    for n, code in enumerate(["s1", "s2", "s3"]):
        s = make_service(service.hall, code=code, prefix="BCD"[n])
        make_counter(service.hall, 2 + n, [s])
        day = dt.date(2026, 11, 24) + dt.timedelta(days=n)
        now = NOW + dt.timedelta(days=n)
        try:
            services.book(slot=slots(s, day, now)[0], citizen=citizen(), actor=WEB, now=now)
            codes.append("ok")
        except BookingError as error:
            codes.append(error.message)

    assert codes == ["ok", "ok", "You can make at most 2 bookings in 7 days."]


def test_book_monthly_limit(service):
    BookingRules.objects.create(hall=service.hall, max_per_day=9, max_per_week=9, max_per_month=1)
    other = make_service(service.hall, code="cert", prefix="B")
    make_counter(service.hall, 2, [other])
    services.book(slot=slots(service, dt.date(2026, 11, 24))[0], citizen=citizen(), actor=WEB, now=NOW)

    _, message = refusal(slot=slots(other, dt.date(2026, 11, 24))[0], citizen=citizen(), actor=WEB, now=NOW)

    assert message == "You can make at most 1 bookings in 30 days."


def test_book_duplicate_for_same_service_message(service):
    BookingRules.objects.create(hall=service.hall, max_per_day=9)
    day = slots(service, dt.date(2026, 11, 24))
    services.book(slot=day[0], citizen=citizen(), actor=WEB, now=NOW)

    _, message = refusal(slot=day[1], citizen=citizen(), actor=WEB, now=NOW)

    assert (
        message
        == "You already have a booking for this service. Change or cancel it instead of booking again."
    )


# No-show policy (rule 6)


def _no_show(service, n, start):
    slot = Slot.objects.create(
        hall=service.hall,
        service=service,
        date=start.date(),
        start=start,
        end=start + dt.timedelta(minutes=30),
        capacity=5,
        taken=1,
    )
    return Booking.objects.create(
        code=f"NS{n}",
        manage_token=f"ns-{n}",
        hall=service.hall,
        service=service,
        slot=slot,
        name="李四",
        phone="+8613800138000",
        phone_hash=hash_phone("+8613800138000"),  # blocks follow the mobile the booker proved
        id_hash=hash_id_number(make_id_number(1)),
        id_masked="",
        state=BookingState.NO_SHOW,
        created_at=start - dt.timedelta(days=1),
    )


def test_no_show_warning_after_one(service):
    from appointments import limits

    _no_show(service, 1, NOW - dt.timedelta(days=3))
    rules = availability.rules_for(service.hall)

    warning = limits.no_show_warning(rules, "-", hash_phone("+8613800138000"), NOW)

    assert warning == (
        "You missed an appointment recently. If you miss another within 30 days, online booking will be "
        "blocked for 90 days. Please cancel in time if you cannot come."
    )


def test_book_blocked_after_two_no_shows_in_30_days(service):
    _no_show(service, 1, NOW - dt.timedelta(days=20))
    _no_show(service, 2, NOW - dt.timedelta(days=3))

    code, message = refusal(
        slot=slots(service, dt.date(2026, 11, 24))[0], citizen=citizen(), actor=WEB, now=NOW
    )

    assert code == "blocked"
    assert message.startswith("Online booking is blocked until 2027-02-18 because of 2 missed appointments.")


def test_book_two_no_shows_far_apart_do_not_block(service):
    _no_show(service, 1, NOW - dt.timedelta(days=80))
    _no_show(service, 2, NOW - dt.timedelta(days=3))

    booking = services.book(
        slot=slots(service, dt.date(2026, 11, 24))[0], citizen=citizen(), actor=WEB, now=NOW
    )

    assert booking.state == BookingState.BOOKED


def test_book_block_ends_after_90_days(service):
    _no_show(service, 1, NOW - dt.timedelta(days=100))
    _no_show(service, 2, NOW - dt.timedelta(days=91))

    booking = services.book(
        slot=slots(service, dt.date(2026, 11, 24))[0], citizen=citizen(), actor=WEB, now=NOW
    )

    assert booking.state == BookingState.BOOKED


def test_book_green_channel_exempt_from_block(service):
    _no_show(service, 1, NOW - dt.timedelta(days=20))
    _no_show(service, 2, NOW - dt.timedelta(days=3))

    booking = services.book(
        slot=slots(service, dt.date(2026, 11, 24))[0],
        citizen=citizen(),
        actor=WEB,
        now=NOW,
        green_channel=GreenChannel.ELDERLY,
    )

    assert booking.green_channel == "elderly"


def test_lift_block_lets_citizen_book_again(service):
    _no_show(service, 1, NOW - dt.timedelta(days=20))
    _no_show(service, 2, NOW - dt.timedelta(days=3))
    supervisor = make_staff(service.hall, "boss", role="supervisor")

    services.lift_block(
        hall=service.hall, id_number=make_id_number(1), user=supervisor, reason="hospitalised"
    )
    booking = services.book(
        slot=slots(service, dt.date(2026, 11, 24))[0], citizen=citizen(), actor=WEB, now=NOW
    )

    assert booking.state == BookingState.BOOKED


# Rate limits (rule 6)


def test_book_rate_limit_per_ip(service, settings):
    settings.RATE_LIMITS = True
    BookingRules.objects.create(hall=service.hall, rate_per_ip_hour=2)
    day = slots(service, dt.date(2026, 11, 24))
    for n in (1, 2):
        services.book(slot=day[n], citizen=citizen(n, f"1380013800{n}"), actor=WEB, now=NOW)

    code, message = refusal(slot=day[3], citizen=citizen(3, "13800138003"), actor=WEB, now=NOW)

    assert (code, message) == ("rate_limited", "Too many attempts. Please wait a few minutes and try again.")


def test_book_rate_limit_per_mobile(service, settings):
    settings.RATE_LIMITS = True
    BookingRules.objects.create(hall=service.hall, rate_per_phone_hour=1, max_per_day=9)
    day = slots(service, dt.date(2026, 11, 24))
    services.book(slot=day[1], citizen=citizen(1), actor=Actor("web", ip="10.0.0.1"), now=NOW)

    code, _ = refusal(slot=day[2], citizen=citizen(2), actor=Actor("web", ip="10.0.0.2"), now=NOW)

    assert code == "rate_limited"


def test_book_rate_limits_off_by_setting(service, settings):
    settings.RATE_LIMITS = False
    BookingRules.objects.create(hall=service.hall, rate_per_ip_hour=0)

    booking = services.book(
        slot=slots(service, dt.date(2026, 11, 24))[0], citizen=citizen(), actor=WEB, now=NOW
    )

    assert booking.pk is not None


# Staff bookings and the held-back share (rule 9)


def test_staff_book_held_back_place(service):
    clerk = make_staff(service.hall)
    slot = slots(service, dt.date(2026, 11, 24))[0]
    Slot.objects.filter(pk=slot.pk).update(taken=slot.capacity)

    booking = services.book(
        slot=slot, citizen=citizen(), actor=Actor("staff", user=clerk), now=NOW, use_held_back=True
    )

    slot.refresh_from_db()
    assert (booking.channel, booking.created_by, slot.taken_held_back) == ("staff", clerk, 1)


def test_staff_booking_when_the_held_back_share_is_used_up_is_refused_as_full(service):
    clerk = make_staff(service.hall)
    slot = slots(service, dt.date(2026, 11, 24))[0]
    assert slot.held_back >= 1
    Slot.objects.filter(pk=slot.pk).update(taken=slot.capacity, taken_held_back=slot.held_back)

    code, message = refusal(
        slot=slot, citizen=citizen(), actor=Actor("staff", user=clerk), now=NOW, use_held_back=True
    )

    slot.refresh_from_db()
    assert (code, message) == ("slot_full", "This time is fully booked. Please choose another time.")
    assert (slot.taken, slot.taken_held_back) == (slot.capacity, slot.held_back)
    assert Booking.objects.count() == 0


def test_group_booking_for_more_persons_than_the_places_left_is_refused_by_the_service(service):
    """The service refuses it with 'fully booked'; the database's CheckConstraint is only the last line, and
    a regression that leaves the refusal to it would answer with an IntegrityError (a 500)."""
    slot = slots(service, dt.date(2026, 11, 24))[0]
    Slot.objects.filter(pk=slot.pk).update(capacity=5, taken=3)

    code, message = refusal(slot=slot, citizen=citizen(), actor=WEB, now=NOW, persons=3)

    slot.refresh_from_db()
    assert (code, message) == ("slot_full", "This time is fully booked. Please choose another time.")
    assert (slot.capacity, slot.taken) == (5, 3)
    assert Booking.objects.count() == 0


def test_group_booking_for_exactly_the_places_left_fills_the_slot(service):
    slot = slots(service, dt.date(2026, 11, 24))[0]
    Slot.objects.filter(pk=slot.pk).update(capacity=5, taken=3)

    booking = services.book(slot=slot, citizen=citizen(), actor=WEB, now=NOW, persons=2)

    slot.refresh_from_db()
    assert (booking.persons, slot.taken) == (2, 5)


def test_citizen_cannot_use_held_back_place(service):
    code, message = refusal(
        slot=slots(service, dt.date(2026, 11, 24))[0],
        citizen=citizen(),
        actor=WEB,
        now=NOW,
        use_held_back=True,
    )

    assert (code, message) == (
        "not_allowed",
        "Only staff can book the places held back for the green channel.",
    )


# Privacy (rule 7)


def test_book_keeps_id_number_only_hashed_and_masked(service):
    number = make_id_number(7)

    booking = services.book(
        slot=slots(service, dt.date(2026, 11, 24))[0], citizen=citizen(7), actor=WEB, now=NOW
    )

    stored = Booking.objects.filter(pk=booking.pk).values().get()
    assert number not in str(stored)
    assert booking.id_masked == number[:3] + "*" * 11 + number[-4:]
    assert booking.phone_masked == "138****8000"


def test_book_invalid_id_number_message(service):
    bad = make_id_number(1)[:-1] + ("0" if make_id_number(1)[-1] != "0" else "1")

    with pytest.raises(ValidationError) as error:
        services.book(
            slot=slots(service, dt.date(2026, 11, 24))[0],
            citizen=Citizen(name="李四", phone=phonenumbers.parse("13800138000", "CN"), id_number=bad),
            actor=WEB,
            now=NOW,
        )

    assert error.value.messages == ["The last character does not match: please check the number on the card."]


def test_erase_expired_personal_data_after_retention(service):
    booking = services.book(
        slot=slots(service, dt.date(2026, 11, 24))[0], citizen=citizen(), actor=WEB, now=NOW
    )

    kept = housekeeping.erase_expired_personal_data(now=NOW + dt.timedelta(days=89))
    erased = housekeeping.erase_expired_personal_data(now=NOW + dt.timedelta(days=92))

    booking.refresh_from_db()
    assert (kept, erased) == (0, 1)
    assert (booking.name, str(booking.phone), booking.erased_at) == ("", "", NOW + dt.timedelta(days=92))
    assert Notification.objects.get().phone == ""
    assert booking.events.get().ip is None


def test_mark_no_shows_after_window_and_grace(service):
    booking = services.book(
        slot=slots(service, dt.date(2026, 11, 24))[0], citizen=citizen(), actor=WEB, now=NOW
    )
    end = booking.slot.end

    before = housekeeping.mark_no_shows(now=end + dt.timedelta(minutes=14))
    after = housekeeping.mark_no_shows(now=end + dt.timedelta(minutes=16))

    booking.refresh_from_db()
    assert (before, after, booking.state) == (0, 1, BookingState.NO_SHOW)
