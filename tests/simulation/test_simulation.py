"""A short simulated day in the demo hall: the same seed plays the same day, and the day leaves the data as
every invariant wants it."""

import datetime as dt

import pytest

from queueing import invariants
from simulation import measures
from simulation.api import simulate_day
from simulation.history import play_weeks_before
from simulation.scenario import Pause, day_type

SHORT = day_type(
    "quiet",
    walk_ins=12,
    booking_fill=0.02,
    counters=dict.fromkeys(range(8, 20), 3),
    pauses=(Pause(1, "09:00", 30),),
    reading_minutes=60,
    park_rate=0.2,
    transfer_rate=0.2,
    missing_rate=0.2,
    gone_rate=0.1,
)


@pytest.fixture
def short_day(demo_hall):
    return lambda seed, **kw: simulate_day(demo_hall, SHORT, seed=seed, **kw)


def test_same_seed_plays_the_same_day(short_day):
    first, again, other = short_day(3), short_day(3), short_day(4)

    assert first.timeline() == again.timeline()
    assert len(first.timeline()) >= 12
    assert other.timeline() != first.timeline()


def test_a_kept_day_leaves_every_invariant_holding(short_day):
    log = short_day(5, keep=True)

    assert log.tickets and all(t.called_at for t in log.tickets.values())
    assert invariants.check_all() == []


def test_each_called_ticket_has_its_estimate_at_issue_measured(short_day):
    log = short_day(6)
    summary = measures.summary(log)

    called = [t for t in log.tickets.values() if t.called_at]
    assert summary["estimates_at_issue"]["new"].count + summary["estimates_at_issue"]["no_basis"] == len(
        called
    )
    assert summary["called"] == len(called)
    assert min(summary["by_hour"]) >= 8  # the hall's local hours, from its opening at 08:30


def test_a_rolled_back_day_plays_on_stand_ins_while_a_clerk_works(short_day, demo_hall):
    """The staffing plan's check plays days while the hall works: a clerk open at counter 1 with a citizen
    at the window must not make the simulated day fail (counter_taken) nor find its session changed."""
    from hall.models import Counter
    from queueing import calls, walkins
    from queueing.models import CounterSession
    from queueing.services import Actor
    from tests.makers import make_staff

    clerk = make_staff(demo_hall, "clerk")
    counter_one = Counter.objects.get(hall=demo_hall, number=1)
    monday = dt.date(2026, 12, 7)  # an ordinary Monday: the hall opens at 08:30
    now = dt.datetime.combine(monday, dt.time(10), tzinfo=demo_hall.tz)
    calls.open_counter(counter=counter_one, actor=Actor("console", clerk), now=now)
    service = counter_one.services.first()
    walkins.issue_walk_in(hall=demo_hall, service=service, actor=Actor("kiosk"), now=now)
    called = calls.call_next(counter=counter_one, actor=Actor("console", clerk), now=now)
    counters_before = Counter.objects.count()

    log = short_day(7)

    assert log.tickets and all(t.called_at for t in log.tickets.values())
    session = CounterSession.objects.get(counter=counter_one)
    assert (session.state, session.user) == ("open", clerk)
    called.refresh_from_db()
    assert (called.state, called.counter_id) == ("called", counter_one.pk)
    assert Counter.objects.count() == counters_before


def test_a_rolled_back_day_books_the_places_of_the_hall_not_of_its_stand_ins_too(demo_hall):
    """A slot's places count the counters serving its service: booked before the stand-ins are made, a
    rolled-back day has the bookings of the day type, as the same day kept on the hall's own counters."""
    day = day_type(
        "quiet", walk_ins=0, booking_fill=0.1, counters=dict.fromkeys(range(8, 20), 3), reading_minutes=600
    )
    date = dt.date(2027, 12, 7)
    rolled_back = simulate_day(demo_hall, day, seed=5, date=date)
    kept = simulate_day(demo_hall, day, seed=5, date=date, keep=True)
    assert rolled_back.bookings > 0
    assert rolled_back.bookings == kept.bookings


def test_the_counters_a_plan_staffs_do_not_change_the_day_it_is_tried_on(demo_hall):
    """A plan that staffs more counters than the hall has gets spare desks (people.staff_counters); made
    before the day is booked they added booking places, so a plan with one counter more at 10:00 played a
    busier day and the plan check's search found more counters worse. The day is the same for every plan."""
    date = dt.date(2027, 12, 7)
    few = day_type(
        "quiet", walk_ins=0, booking_fill=0.5, counters=dict.fromkeys(range(8, 20), 3), reading_minutes=600
    )
    many = day_type(
        "quiet",
        walk_ins=0,
        booking_fill=0.5,
        counters={**dict.fromkeys(range(8, 20), 3), 10: 9},
        reading_minutes=600,
    )
    with_few = simulate_day(demo_hall, few, seed=5, date=date)
    with_many = simulate_day(demo_hall, many, seed=5, date=date)
    assert with_few.bookings > 0
    assert with_many.bookings == with_few.bookings


def test_a_day_played_on_its_history_learns_the_walk_ins_from_it_and_the_same_seed_plays_it_again(demo_hall):
    """bench/simulate.py plays kept past days of the same weekday before the measured day: the estimate's
    expected walk-ins come from them, they leave the day's counters and bookings as they were, and the same
    seed still plays the same day."""
    from hall.models import Counter
    from queueing import record

    date = dt.date(2027, 12, 7)  # a Tuesday
    counters = {**dict.fromkeys(range(8, 20), 2), 9: 5}  # a spare desk at 9:00 (the hall has 4 windows)
    day = day_type("quiet", walk_ins=25, booking_fill=0.05, counters=counters, reading_minutes=120)
    windows = Counter.objects.filter(hall=demo_hall, active=True).count()
    without_history = simulate_day(demo_hall, day, seed=3, date=date)

    played = play_weeks_before(demo_hall, day, date, weeks=2)

    assert played == [date - dt.timedelta(weeks=2), date - dt.timedelta(weeks=1)]
    history = record.walk_in_history(demo_hall, date)
    on_record = sum(sum(hours.values()) for hours in history.per_hour.values())
    assert history.days == 2 and 30 <= on_record <= 50  # 25 a day, less those turned away late
    assert Counter.objects.filter(hall=demo_hall, active=True).count() == windows  # spare desks put away
    first, again = (simulate_day(demo_hall, day, seed=3, date=date) for _n in range(2))
    assert first.timeline() == again.timeline()
    assert first.bookings == without_history.bookings > 0
