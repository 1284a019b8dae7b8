"""The hall's day ends (queueing/dayend.py): what a past day left open (tickets waiting, called, being served,
fetching papers; their checked-in bookings; counter sessions never closed) ends, so that nothing of
yesterday stands in anyone's way this morning, and nobody left unserved is counted as a no-show."""

import datetime as dt
import zoneinfo

import phonenumbers
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments import availability, limits
from appointments import services as booking_services
from appointments.models import Booking, BookingEvent, BookingRules, BookingState
from hall.models import ExtraSession
from notifications import jobs
from queueing import calls, dayend, invariants, services, walkins
from queueing.models import CounterState, Ticket, TicketEvent, TicketState
from queueing.services import Actor
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


CITIZEN = booking_services.Citizen(name="王五", phone=phone(1), id_number=make_id_number(1))


@pytest.fixture
def hall():
    hall = make_hall()
    make_weekday_hours(hall)  # Monday to Friday 08:30–17:30
    return hall


@pytest.fixture
def service(hall):
    return make_service(hall)


@pytest.fixture
def clerk(hall):
    return make_staff(hall)


@pytest.fixture
def counter(hall, service, clerk):
    counter = make_counter(hall, 1, [service])
    calls.open_counter(counter=counter, actor=Actor("console", clerk), now=at(TUESDAY, 8, 30))
    return counter


def book(service, day: dt.date, now: dt.datetime, index: int = 1) -> Booking:
    slot = availability.day_availability(service=service, date=day, now=now).slots[index]
    return booking_services.book(slot=slot, citizen=CITIZEN, actor=booking_services.Actor("web"), now=now)


def checked_in_on_tuesday(hall, service) -> tuple[Booking, Ticket]:
    booking = book(service, TUESDAY, at(TUESDAY, 7))
    ticket = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=booking.slot.start)
    return booking, ticket


def test_citizen_left_waiting_yesterday_books_the_same_service_again_after_the_day_ended(
    hall, service, counter
):
    booking, ticket = checked_in_on_tuesday(hall, service)
    assert ticket.seat  # a seat in the hall while waiting

    with pytest.raises(booking_services.BookingError) as refused:  # the bug: yesterday's booking still active
        book(service, WEDNESDAY, at(WEDNESDAY, 7))
    assert refused.value.code == "duplicate_booking"

    ended = dayend.end_past_days(now=at(WEDNESDAY, 1))

    assert ended["tickets"] == 1 and ended["bookings"] == 1
    ticket.refresh_from_db()
    booking.refresh_from_db()
    assert (ticket.state, ticket.seat, ticket.completed_at) == (TicketState.DAY_ENDED, "", at(WEDNESDAY, 1))
    assert booking.state == BookingState.UNFINISHED
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert (event.from_state, event.to_state, event.source, event.actor) == (
        TicketState.WAITING,
        TicketState.DAY_ENDED,
        "system",
        None,
    )
    history = BookingEvent.objects.filter(booking=booking).last()
    assert (history.from_state, history.to_state, history.source, history.note) == (
        BookingState.CHECKED_IN,
        BookingState.UNFINISHED,
        "system",
        ticket.number,
    )
    again = book(service, WEDNESDAY, at(WEDNESDAY, 7))
    assert again.state == BookingState.BOOKED
    assert invariants.check_all() == []


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("zh-hans", ["未办结", "您可以重新预约这项业务", "重新预约"]),
        ("en", ["not finished", "you may book this service again", "Book again"]),
    ],
)
def test_the_citizens_booking_page_says_plainly_it_was_not_finished(hall, service, counter, language, says):
    booking, _ticket = checked_in_on_tuesday(hall, service)
    dayend.end_past_days(now=at(WEDNESDAY, 1))
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language

    page = client.get(reverse("appointments:manage", args=[booking.manage_token]))

    html = page.content.decode()
    assert page.status_code == 200 and all(words in html for words in says)
    assert reverse("appointments:choose_date", args=[hall.slug, service.code]) in html
    assert "过号" not in html and "no-show" not in html


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("zh-hans", ["当日未办结", "欢迎您再来办理"]),
        ("en", ["Not finished on that day", "welcome to come again"]),
    ],
)
def test_the_citizens_ticket_page_says_the_visit_was_not_finished(hall, service, language, says):
    ticket = walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=at(TUESDAY, 16)).ticket
    dayend.end_past_days(now=at(WEDNESDAY, 1))
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language

    page = client.get(reverse("queueing:ticket", args=[ticket.token]))

    html = page.content.decode()
    assert page.status_code == 200 and all(words in html for words in says)
    assert reverse("hall:service_detail", args=[hall.slug, service.code]) in html


def test_a_citizen_left_at_the_counter_is_not_a_no_show(hall, service, counter, clerk):
    rules = BookingRules.objects.create(hall=hall, no_show_block_count=1)  # one no-show would block
    booking, ticket = checked_in_on_tuesday(hall, service)
    called = calls.call_next(counter=counter, actor=Actor("console", clerk), now=at(TUESDAY, 9, 5))
    assert called.pk == ticket.pk
    calls.start_serving(ticket=called, actor=Actor("console", clerk), now=at(TUESDAY, 9, 6))

    dayend.end_past_days(now=at(WEDNESDAY, 1))

    booking.refresh_from_db()
    assert booking.state == BookingState.UNFINISHED
    assert limits.no_show_refusal(rules, booking.id_hash, booking.phone_hash, at(WEDNESDAY, 7)) is None
    assert book(service, WEDNESDAY, at(WEDNESDAY, 7)).state == BookingState.BOOKED
    tuesday = report.build(hall, TUESDAY, TUESDAY, compare=False)
    assert (tuesday.issued, tuesday.served, tuesday.no_show, tuesday.day_ended) == (1, 0, 0, 1)
    assert invariants.check_all() == []


def test_the_day_report_adds_up_with_the_tickets_the_day_left(hall, service, counter, clerk):
    console = Actor("console", clerk)
    for minute in range(4):
        walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=at(TUESDAY, 9, minute))
    served = calls.call_next(counter=counter, actor=console, now=at(TUESDAY, 9, 5))
    calls.complete(ticket=served, actor=console, now=at(TUESDAY, 9, 10))
    gone = calls.call_next(counter=counter, actor=console, now=at(TUESDAY, 9, 11))
    calls.mark_no_show(ticket=gone, actor=console, now=at(TUESDAY, 9, 12))
    left = calls.call_next(counter=counter, actor=console, now=at(TUESDAY, 9, 13))
    calls.start_serving(ticket=left, actor=console, now=at(TUESDAY, 9, 14))  # and the fourth still waits

    dayend.end_past_days(now=at(WEDNESDAY, 1))

    day = report.build(hall, TUESDAY, TUESDAY, compare=False)
    assert (day.issued, day.served, day.no_show, day.day_ended) == (4, 1, 1, 2)
    assert day.issued == day.served + day.no_show + day.day_ended + day.rebooked + day.tickets_cancelled


def test_the_sweep_is_idempotent_and_leaves_todays_tickets_alone(hall, service):
    left = walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=at(TUESDAY, 16)).ticket
    # 00:30 on Wednesday in Beijing is still Tuesday in UTC: the hall's own date decides.
    assert at(WEDNESDAY, 0, 30).astimezone(dt.UTC).date() == TUESDAY
    today = walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=at(WEDNESDAY, 8, 30)).ticket

    assert dayend.end_past_days(now=at(TUESDAY, 23, 30))["tickets"] == 0  # Tuesday has not ended yet
    assert dayend.end_past_days(now=at(WEDNESDAY, 0, 30))["tickets"] == 1
    events = TicketEvent.objects.count()
    assert dayend.end_past_days(now=at(WEDNESDAY, 9)) == {"tickets": 0, "bookings": 0, "sessions": 0}

    assert TicketEvent.objects.count() == events
    left.refresh_from_db()
    today.refresh_from_db()
    assert (left.state, today.state) == (TicketState.DAY_ENDED, TicketState.WAITING)


def test_a_window_left_open_yesterday_is_closed_unless_worked_today(hall, service, counter, clerk):
    other = make_counter(hall, 2, [service])
    calls.open_counter(counter=other, actor=Actor("console", make_staff(hall, "clerk2")), now=at(TUESDAY, 9))
    walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=at(WEDNESDAY, 8, 30))
    calls.call_next(counter=other, actor=Actor("console"), now=at(WEDNESDAY, 8, 31))  # worked this morning

    assert dayend.end_past_days(now=at(WEDNESDAY, 9))["sessions"] == 1

    counter.session.refresh_from_db()
    other.session.refresh_from_db()
    assert (counter.session.state, counter.session.user) == (CounterState.CLOSED, None)
    assert other.session.state == CounterState.OPEN


def test_ticket_left_at_a_counter_from_a_past_day_breaks_the_invariant_until_the_day_ends(
    hall, service, counter, clerk
):
    walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=at(TUESDAY, 16))
    calls.call_next(counter=counter, actor=Actor("console", clerk), now=at(TUESDAY, 16, 1))
    walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=at(WEDNESDAY, 9))

    [finding] = invariants.check_all(["waiting_after_closing"])
    assert "A001 of 2026-11-24" in finding.message and "still called" in finding.message

    dayend.end_past_days(now=at(WEDNESDAY, 9))
    assert invariants.check_all(["waiting_after_closing"]) == []


# This morning, on the real clock: a hall open yesterday and today around the clock.


def client_for(user, language="en") -> Client:
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return client


@pytest.fixture
def morning():
    """A counter serving services A and B; yesterday it called B001 and was never closed nor finished."""
    hall = make_hall("morning")
    today = hall.local_date(timezone.now())
    yesterday = today - dt.timedelta(days=1)
    for day in (yesterday, today):
        ExtraSession.objects.create(hall=hall, date=day, start=dt.time(0), end=dt.time(23, 59), reason="x")
    first, second = make_service(hall, "a", "A"), make_service(hall, "b", "B")
    counter = make_counter(hall, 1, [first, second])
    clerk = make_staff(hall, "clerk")
    at_ten = dt.datetime.combine(yesterday, dt.time(10), tzinfo=hall.tz)
    calls.open_counter(counter=counter, actor=Actor("console", clerk), now=at_ten)
    left = walkins.issue_walk_in(hall=hall, service=second, actor=KIOSK, now=at_ten).ticket
    calls.call_next(counter=counter, actor=Actor("console", clerk), now=at_ten + dt.timedelta(minutes=1))
    waiting = walkins.issue_walk_in(
        hall=hall, service=first, actor=KIOSK, now=dt.datetime.combine(today, dt.time(0), tzinfo=hall.tz)
    ).ticket
    return hall, counter, clerk, left, waiting


def test_console_this_morning_shows_no_ticket_of_yesterday_and_calls_todays(morning):
    hall, counter, clerk, left, waiting = morning
    client = client_for(clerk)

    page = client.get(reverse("queueing:counter", args=[counter.pk]))

    assert page.status_code == 200
    assert left.number not in page.content.decode()  # B001 is not this morning's citizen
    answer = client.post(reverse("queueing:call_next", args=[counter.pk]))
    assert answer.status_code in (200, 302)
    waiting.refresh_from_db()
    left.refresh_from_db()
    assert (waiting.state, waiting.counter_id) == (TicketState.CALLED, counter.pk)
    assert left.state == TicketState.DAY_ENDED


def test_closing_the_counter_this_morning_is_not_refused_by_yesterdays_ticket(morning):
    hall, counter, clerk, left, waiting = morning

    calls.set_counter_state(counter=counter, actor=Actor("console", clerk), state=CounterState.CLOSED)

    counter.session.refresh_from_db()
    left.refresh_from_db()
    assert (counter.session.state, left.state) == (CounterState.CLOSED, TicketState.DAY_ENDED)


@pytest.mark.parametrize(
    ("language", "label"), [("zh-hans", "当日未办结"), ("en", "Not finished when the day ended")]
)
def test_the_day_report_counts_tickets_the_day_left_unfinished(morning, language, label):
    hall, counter, clerk, left, waiting = morning
    dayend.end_past_days(now=timezone.now())
    boss = make_staff(hall, "boss", role="supervisor")

    page = client_for(boss, language).get(
        reverse("reports:dashboard", args=[hall.slug]), {"date": left.date.isoformat()}
    )

    html = page.content.decode()
    assert label in html
    assert '<dd data-figure="day_ended">1</dd>' in html


def test_the_nightly_job_ends_yesterdays_tickets_and_windows(morning):
    hall, counter, clerk, left, waiting = morning
    assert "queueing.dayend.end_past_days" in django_settings.DAY_END_TASKS

    ended = jobs.end_the_day.__wrapped__()  # as RQ runs it, on the real clock

    assert ended["queueing.dayend.end_past_days"] == {"tickets": 1, "bookings": 0, "sessions": 1}
    left.refresh_from_db()
    waiting.refresh_from_db()
    assert (left.state, waiting.state) == (TicketState.DAY_ENDED, TicketState.WAITING)
