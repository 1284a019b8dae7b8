import datetime as dt

import pytest

from appointments.models import Booking, BookingState, Mode
from queueing.models import CounterSession, CounterState, TicketKind, TicketState
from reports import live, plan, staffing
from tests.makers import make_counter, make_hall, make_service, make_staff, make_weekday_hours
from tests.reports.day import at, make_booking, make_ticket

pytestmark = pytest.mark.django_db

PLAN_DAY = dt.date(2026, 12, 1)  # a Tuesday


@pytest.fixture
def hall():
    hall = make_hall()
    make_weekday_hours(hall)  # 8:30–17:30
    return hall


def _history(hall, service, date, count):
    for n in range(count):
        make_ticket(
            hall,
            service,
            f"A{n + 1:03d}",
            TicketKind.WALK_IN,
            TicketState.DONE,
            at(9, n, date),
            at(9, 10 + n, date),
            None,
            at(9, 20 + n, date),
        )


def test_plan_from_bookings_walk_ins_and_handling(hall):
    service = make_service(hall)
    make_counter(hall, 1, [service])
    for _n in range(7):
        make_booking(hall, service, PLAN_DAY, BookingState.BOOKED)
    make_booking(hall, service, PLAN_DAY, BookingState.BOOKED, start=dt.time(10))
    make_booking(hall, service, PLAN_DAY, BookingState.CANCELLED, start=dt.time(10))  # not counted
    by_video = make_booking(hall, service, PLAN_DAY, BookingState.BOOKED, start=dt.time(10))
    Booking.objects.filter(pk=by_video.pk).update(mode=Mode.VIDEO)  # the online room's, not the windows'
    # Same weekday one and two weeks before: 2 and 4 walk-ins at nine, each handled in 10 minutes; the
    # other four weeks of the six had no tickets (the hall was closed), so 6 / 2 = 3 are expected.
    _history(hall, service, PLAN_DAY - dt.timedelta(weeks=1), 2)
    _history(hall, service, PLAN_DAY - dt.timedelta(weeks=2), 4)

    result = plan.build_plan(hall, PLAN_DAY)

    assert result.history[:2] == [dt.date(2026, 11, 24), dt.date(2026, 11, 17)] and len(result.history) == 6
    hours = {h.hour: h for h in result.hours}
    assert sorted(hours) == list(range(8, 18))
    # Open with nobody expected: one window all the same, for whoever comes.
    assert [(hours[h].open_minutes, hours[h].needed) for h in (8, 17)] == [(30, 1), (30, 1)]
    assert (result.days_on_record, result.no_history) == (2, False)
    nine = hours[9]
    assert (nine.booked, nine.walk_ins, nine.workload, nine.needed) == (7, 3, 100, 3)
    assert nine.needed == staffing.agents_needed(100 / 60, 10, 15, 0.8)
    assert (nine.booked_over_capacity, nine.short, nine.service_level) == (True, True, 0.0)  # 70 > 60 min
    ten = hours[10]
    assert (ten.booked, ten.walk_ins, ten.needed, ten.booked_over_capacity) == (1, 0, 1, False)
    assert [h.hour for h in result.alerts] == [9]
    assert result.peak == 3


def test_plan_uses_the_services_average_without_history(hall):
    service = make_service(hall, average_handling_minutes=20)
    make_counter(hall, 1, [service])
    make_booking(hall, service, PLAN_DAY, BookingState.BOOKED)

    result = plan.build_plan(hall, PLAN_DAY)
    nine = next(h for h in result.hours if h.hour == 9)

    assert result.no_history  # said on the page: the walk-ins are reckoned as none
    assert all(h.needed >= 1 for h in result.hours if h.open_minutes)
    # A = 1/3 Erlang: one counter calls 1 − ⅓·e^(−⅔·15/20) = 79.8% within 15 minutes, just under 80%.
    assert (nine.services[0].handling, nine.workload, nine.needed) == (20.0, 20, 2)


def test_staffing_page_shows_the_alert(client, hall):
    service = make_service(hall)
    make_counter(hall, 1, [service])
    for _n in range(7):
        make_booking(hall, service, PLAN_DAY, BookingState.BOOKED)
    client.force_login(make_staff(hall, "boss", role="supervisor"))

    response = client.get(f"/h/north/reports/staffing/?date={PLAN_DAY}", HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert "Bookings exceed what the counters can serve" in page
    assert "09:00 — 7 booked citizens need 70 minutes of counter time" in page
    assert "No tickets on record for this weekday in the last 6 weeks" in page
    chinese = client.get(f"/h/north/reports/staffing/?date={PLAN_DAY}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "近 6 周的同一工作日没有取号记录" in chinese.content.decode()


def test_live_view_counts_waiting_counters_and_late_tickets(hall):
    a = make_service(hall)
    b = make_service(hall, "certificate", "B")
    c1, c2, c3 = (make_counter(hall, n, [a, b]) for n in (1, 2, 3))
    CounterSession.objects.create(counter=c1, state=CounterState.OPEN)
    CounterSession.objects.create(counter=c2, state=CounterState.PAUSED)
    day = dt.date(2026, 11, 24)
    waiting = TicketState.WAITING
    make_ticket(hall, a, "A001", TicketKind.WALK_IN, waiting, at(9, 0, day))
    make_ticket(hall, a, "A002", TicketKind.WALK_IN, waiting, at(9, 20, day), inside=False)
    make_ticket(hall, b, "B001", TicketKind.WALK_IN, waiting, at(9, 25, day))
    make_ticket(
        hall,
        b,
        "B002",
        TicketKind.WALK_IN,
        TicketState.DONE,
        at(8, 40, day),
        at(8, 45, day),
        None,
        at(8, 50, day),
    )
    hall.max_waiting_inside = 2

    view = live.live_view(hall, at(9, 30, day))

    assert [(q.label, q.waiting, q.longest) for q in view.queues] == [(str(b), 1, 5), (str(a), 2, 30)]
    assert (view.inside, view.outside, view.over_limit) == (2, 1, True)
    assert (view.longest, view.longest_number, view.late) == (30, "A001", [("A001", 30)])
    assert (view.open, view.paused, view.closed) == (1, 1, 1)


def test_live_page_refreshes_every_ten_seconds(client, hall):
    client.force_login(make_staff(hall, "boss", role="supervisor"))

    response = client.get("/h/north/reports/live/")

    # The reload is marked (?refresh=auto) so that it does not keep the session alive (hall/security.py).
    assert '<meta http-equiv="refresh" content="10; url=?refresh=auto">' in response.content.decode()
