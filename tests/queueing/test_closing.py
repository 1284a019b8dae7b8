"""Closing time (issue 16, item 4): extending today's hours moves the last ticket, and every ticket still
waiting at closing gets one outcome: served after hours, or a priority booking for the next open day."""

import datetime as dt
import zoneinfo

import phonenumbers
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from appointments import availability
from appointments import services as booking_services
from appointments.models import Booking, BookingState, GreenChannel
from hall.models import AuditAction, AuditEntry, ExtraSession, Notice
from notifications.models import Kind, Notification
from queueing import board, calls, closing, invariants, services, walkins
from queueing.models import ClosingOutcome, Ticket, TicketState
from queueing.services import Actor, QueueError
from reports import report
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_staff, make_weekday_hours

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
TUESDAY = dt.date(2026, 11, 24)
WEDNESDAY = dt.date(2026, 11, 25)
KIOSK = Actor("kiosk")


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def phone(n: int):
    return phonenumbers.parse(f"1390000{n:04d}", "CN")


@pytest.fixture
def hall():
    hall = make_hall()
    make_weekday_hours(hall)  # Monday to Friday 08:30–17:30
    return hall


@pytest.fixture
def service(hall):
    return make_service(hall)


@pytest.fixture
def supervisor(hall):
    return make_staff(hall, "supervisor", role="supervisor")


@pytest.fixture
def counter(hall, service):
    counter = make_counter(hall, 1, [service])
    calls.open_counter(counter=counter, actor=Actor("console", make_staff(hall)), now=at(TUESDAY, 8, 30))
    return counter


def walk_in(hall, service, now, **fields):
    return walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=now, **fields).ticket


def test_extending_the_day_moves_the_cut_off(hall, service, supervisor):
    with pytest.raises(QueueError) as refused:
        walk_in(hall, service, at(TUESDAY, 17, 5))
    assert refused.value.code == "last_ticket_passed"

    closing.extend_closing(hall=hall, until=dt.time(19), user=supervisor, now=at(TUESDAY, 17, 4))

    assert walk_in(hall, service, at(TUESDAY, 17, 5)).number == "A001"
    assert walk_in(hall, service, at(TUESDAY, 18, 29)).number == "A002"
    with pytest.raises(QueueError) as refused:
        walk_in(hall, service, at(TUESDAY, 18, 30))  # 30 minutes before the new closing
    assert refused.value.code == "last_ticket_passed"


def test_extending_is_recorded_audited_and_announced_on_the_board(hall, supervisor):
    closing.extend_closing(hall=hall, until=dt.time(18, 30), user=supervisor, now=at(TUESDAY, 16))
    extra = ExtraSession.objects.get(hall=hall)
    assert (extra.date, extra.start, extra.end, extra.reason_zh_hans) == (
        TUESDAY,
        dt.time(17, 30),
        dt.time(18, 30),
        "延时服务",
    )
    entry = AuditEntry.objects.get(action=AuditAction.HOURS_EXTENDED)
    assert (entry.actor, entry.hall, entry.detail) == (supervisor, hall, "2026-11-24 closing 17:30 -> 18:30")
    titles = [n["title"] for n in board.snapshot(hall, at(TUESDAY, 17))["notices"]]
    assert titles == ["今日延时服务至 18:30"]
    assert board.snapshot(hall, at(TUESDAY, 18, 30))["notices"] == []  # gone at the new closing
    assert Notice.objects.get().valid_until == at(TUESDAY, 18, 30)


def test_extending_to_no_later_than_closing_refused(hall, supervisor):
    with pytest.raises(Exception, match="17:30"):
        closing.extend_closing(hall=hall, until=dt.time(17, 30), user=supervisor, now=at(TUESDAY, 16))
    assert not ExtraSession.objects.exists()


def test_served_after_hours_stays_in_the_queue_and_is_called_after_closing(
    hall, service, counter, supervisor
):
    waiting = walk_in(hall, service, at(TUESDAY, 16))
    assert closing.serve_after_hours(
        hall=hall, ticket_ids=[waiting.pk], user=supervisor, now=at(TUESDAY, 17, 31)
    )
    waiting.refresh_from_db()
    assert (waiting.state, waiting.closing_outcome) == (TicketState.WAITING, ClosingOutcome.AFTER_HOURS)
    assert waiting.events.last().note == "served after hours"
    called = calls.call_next(
        counter=counter, actor=Actor("console", counter.session.user), now=at(TUESDAY, 17, 45)
    )
    assert called.pk == waiting.pk


def test_walk_in_given_a_priority_booking_for_the_next_open_day_with_its_sms(
    hall, service, counter, supervisor
):
    ticket = walk_in(hall, service, at(TUESDAY, 16))
    details = closing.Details("李四", phone(7), make_id_number(7))

    booking = closing.rebook(ticket=ticket, user=supervisor, now=at(TUESDAY, 17, 31), details=details)

    assert booking.slot.date == WEDNESDAY
    assert booking.slot.start == at(WEDNESDAY, 8, 30)  # the day's first window
    assert (booking.state, booking.green_channel, booking.name) == (
        BookingState.BOOKED,
        GreenChannel.URGENT,
        "李四",
    )
    assert booking.created_by == supervisor
    sms = Notification.objects.get(kind=Kind.BOOKING_CONFIRMED, subject_type="booking", subject_id=booking.pk)
    assert sms.phone == phone(7)
    assert booking.code in sms.text
    ticket.refresh_from_db()
    assert (ticket.state, ticket.closing_outcome, ticket.rebooking) == (
        TicketState.REBOOKED,
        ClosingOutcome.REBOOKED,
        booking,
    )
    assert invariants.check_all() == []


def test_priority_booking_is_called_first_on_the_next_day(hall, service, counter, supervisor):
    ticket = walk_in(hall, service, at(TUESDAY, 16))
    booking = closing.rebook(
        ticket=ticket,
        user=supervisor,
        now=at(TUESDAY, 17, 31),
        details=closing.Details("李四", phone(7), make_id_number(7)),
    )
    earlier = walk_in(hall, service, at(WEDNESDAY, 8, 30))
    services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=at(WEDNESDAY, 8, 40))
    called = calls.call_next(
        counter=counter, actor=Actor("console", counter.session.user), now=at(WEDNESDAY, 8, 41)
    )
    assert called.booking == booking
    assert called.pk != earlier.pk


def test_checked_in_booking_rebooked_from_its_own_details_and_ended(hall, service, counter, supervisor):
    yesterday = at(TUESDAY, 9) - dt.timedelta(days=1)
    slot = availability.day_availability(service=service, date=TUESDAY, now=yesterday).slots[1]
    citizen = booking_services.Citizen(name="王五", phone=phone(1), id_number=make_id_number(1))
    first = booking_services.book(
        slot=slot, citizen=citizen, actor=booking_services.Actor("web"), now=yesterday
    )
    ticket = services.check_in(hall=hall, code=first.code, actor=KIOSK, now=slot.start)

    booking = closing.rebook(ticket=ticket, user=supervisor, now=at(TUESDAY, 17, 31))

    assert (booking.name, booking.phone, booking.id_hash) == ("王五", phone(1), first.id_hash)
    assert booking.slot.date == WEDNESDAY
    first.refresh_from_db()
    assert first.state == BookingState.CANCELLED
    assert invariants.check_all() == []


def test_walk_in_without_details_is_not_rebooked(hall, service, counter, supervisor):
    ticket = walk_in(hall, service, at(TUESDAY, 16))
    with pytest.raises(QueueError) as refused:
        closing.rebook(ticket=ticket, user=supervisor, now=at(TUESDAY, 17, 31))
    assert refused.value.code == "details_needed"
    ticket.refresh_from_db()
    assert (ticket.state, ticket.closing_outcome) == (TicketState.WAITING, "")
    assert not Booking.objects.exists()


def test_rebook_all_books_those_known_and_leaves_the_rest(hall, service, counter, supervisor):
    yesterday = at(TUESDAY, 9) - dt.timedelta(days=1)
    slot = availability.day_availability(service=service, date=TUESDAY, now=yesterday).slots[1]
    citizen = booking_services.Citizen(name="王五", phone=phone(1), id_number=make_id_number(1))
    first = booking_services.book(
        slot=slot, citizen=citizen, actor=booking_services.Actor("web"), now=yesterday
    )
    from_booking = services.check_in(hall=hall, code=first.code, actor=KIOSK, now=slot.start)
    unknown = walk_in(hall, service, at(TUESDAY, 16))

    booked, left = closing.rebook_all(hall=hall, user=supervisor, now=at(TUESDAY, 17, 31))

    assert (booked, [t.pk for t in left]) == (1, [unknown.pk])
    assert Ticket.objects.get(pk=from_booking.pk).state == TicketState.REBOOKED


def test_every_ticket_waiting_at_closing_gets_an_outcome_and_the_day_counts_them(
    hall, service, counter, supervisor
):
    after = walk_in(hall, service, at(TUESDAY, 16))
    moved = walk_in(hall, service, at(TUESDAY, 16, 1))
    closing.serve_after_hours(hall=hall, ticket_ids=[after.pk], user=supervisor, now=at(TUESDAY, 17, 31))
    details = closing.Details("李四", phone(7), make_id_number(7))
    closing.rebook(ticket=moved, user=supervisor, now=at(TUESDAY, 17, 31), details=details)

    day = report.build(hall, TUESDAY, TUESDAY)
    assert (day.after_hours, day.rebooked, day.issued) == (1, 1, 2)


# Invariants


def test_walk_in_issued_outside_hours_found(hall, service):
    ticket = walk_in(hall, service, at(TUESDAY, 9))
    assert invariants.check_all(["walk_ins_within_hours"]) == []
    Ticket.objects.filter(pk=ticket.pk).update(issued_at=at(TUESDAY, 3))  # as the old kiosk did
    [finding] = invariants.check_all(["walk_ins_within_hours"])
    assert f"walk-in ticket {ticket.pk} (A001" in finding.message


def test_ticket_left_waiting_after_its_day_closed_found(hall, service, supervisor):
    left = walk_in(hall, service, at(TUESDAY, 16))
    assert invariants.check_all(["waiting_after_closing"]) == []  # the day is not over
    walk_in(hall, service, at(WEDNESDAY, 9))
    [finding] = invariants.check_all(["waiting_after_closing"])
    assert f"ticket {left.pk} (A001 of 2026-11-24" in finding.message


def test_rebooked_ticket_without_its_booking_found(hall, service, counter, supervisor):
    ticket = walk_in(hall, service, at(TUESDAY, 16))
    details = closing.Details("李四", phone(7), make_id_number(7))
    closing.rebook(ticket=ticket, user=supervisor, now=at(TUESDAY, 17, 31), details=details)
    Ticket.objects.filter(pk=ticket.pk).update(rebooking=None)
    [finding] = invariants.check_all(["waiting_after_closing"])
    assert f"ticket {ticket.pk} is rebooked" in finding.message


# The supervisor's page, on the real clock: a hall open today from midnight to 23:00.


@pytest.fixture
def open_hall():
    hall = make_hall("today")
    make_weekday_hours(hall)
    ExtraSession.objects.create(
        hall=hall, date=timezone.localdate(), start=dt.time(0), end=dt.time(23), reason="x"
    )
    return hall


def client_for(user) -> Client:
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def test_closing_page_lists_waiting_tickets_with_both_actions(open_hall):
    service = make_service(open_hall)
    ticket = walk_in(open_hall, service, timezone.localtime().replace(hour=1, minute=0))
    page = client_for(make_staff(open_hall, "boss", role="supervisor")).get(
        reverse("queueing:closing", args=[open_hall.slug])
    )
    assertContains(page, "Today the hall closes at <strong>23:00</strong>.", html=False)
    assertContains(page, f'<th scope="row">{ticket.number}</th>', html=True)
    assertContains(page, reverse("queueing:closing_rebook", args=[open_hall.slug, ticket.pk]))
    assertContains(page, "Serve all after hours")


def test_closing_page_refused_to_window_staff(open_hall):
    page = client_for(make_staff(open_hall)).get(reverse("queueing:closing", args=[open_hall.slug]))
    assert page.status_code == 403


def test_extend_from_the_page_in_one_step(open_hall):
    boss = make_staff(open_hall, "boss", role="supervisor")
    answer = client_for(boss).post(
        reverse("queueing:extend_closing", args=[open_hall.slug]), {"until": "23:30"}
    )
    assert answer.status_code == 302
    assert ExtraSession.objects.filter(hall=open_hall, start=dt.time(23), end=dt.time(23, 30)).exists()
    live = client_for(boss).get(reverse("reports:live", args=[open_hall.slug]))
    assertContains(live, "Today the hall closes at 23:30")


def test_all_after_hours_and_one_rebooked_from_the_page(open_hall):
    service = make_service(open_hall)
    make_counter(open_hall, 1, [service])
    issued = timezone.localtime().replace(hour=1, minute=0)
    first, second = walk_in(open_hall, service, issued), walk_in(open_hall, service, issued)
    boss = client_for(make_staff(open_hall, "boss", role="supervisor"))
    boss.post(reverse("queueing:closing_after_hours", args=[open_hall.slug]), {"tickets": [first.pk]})
    answer = boss.post(
        reverse("queueing:closing_rebook", args=[open_hall.slug, second.pk]),
        {
            f"t{second.pk}-name": "李四",
            f"t{second.pk}-phone": "13900000007",
            f"t{second.pk}-id_number": make_id_number(7),
        },
    )
    assert answer.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.closing_outcome == ClosingOutcome.AFTER_HOURS
    assert second.state == TicketState.REBOOKED
    assert Notification.objects.filter(kind=Kind.BOOKING_CONFIRMED, subject_id=second.rebooking_id).exists()
