"""What the live estimate learns from the hall's record and its bookings (issue 19 item 3): the handling times
on record, when booked citizens come, and the tickets that take a counter longer than one matter of one
person. The figures expected are worked out by hand in each test."""

import datetime as dt
import zoneinfo

import phonenumbers
import pytest

from appointments import availability
from appointments import services as booking_services
from appointments.models import BookingRules
from hall import cache
from queueing import estimates, record
from queueing import services as queue
from queueing.forecast import Estimate, Handling, OpenCounter, Work, live_estimate, pooled
from queueing.models import Ticket, TicketKind
from queueing.order import APPOINTMENT, WALK_IN, Waiting
from tests.makers import make_counter, make_id_number, make_service, past_tickets

pytestmark = pytest.mark.django_db  # and what the process remembers of a hall's record is forgotten

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = dt.date(2030, 10, 15)  # a Tuesday, a workday; the hall opens 08:30-17:30 on weekdays
SYSTEM = queue.Actor("system")
T0 = dt.datetime(2030, 10, 15, 9, 0, tzinfo=SHANGHAI)
ID, HUKOU = 1, 2
EXACT = {ID: Handling(10, 0), HUKOU: Handling(5, 0)}


def at(date: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(hour, minute), SHANGHAI)


def minutes(value: float) -> dt.timedelta:
    return dt.timedelta(minutes=value)


SIX = range(5, 60, 10)


def weeks_before(weeks: int) -> list[dt.date]:
    return [DAY - dt.timedelta(weeks=n) for n in range(1, weeks + 1)]


# The plays (pure)


def test_a_booking_for_two_persons_ahead_takes_the_counter_longer():
    queue_ = [
        Waiting(1, ID, APPOINTMENT, T0, T0),
        Waiting(2, ID, WALK_IN, T0 + dt.timedelta(minutes=1)),
    ]
    counters = [OpenCounter((ID,))]

    alone = live_estimate(2, queue_, counters=counters, handling=EXACT, now=T0)
    two = live_estimate(2, queue_, counters=counters, handling=EXACT, now=T0, work={1: Work(persons=2)})
    further = live_estimate(2, queue_, counters=counters, handling=EXACT, now=T0, work={1: Work(1, (HUKOU,))})

    # One ID card ahead: 10 minutes; for two persons 10 x 1.6 = 16; with a hukou matter after it, 10 + 5.
    assert (alone, two, further) == (Estimate(10, 10, 10), Estimate(16, 16, 16), Estimate(15, 15, 15))


def test_a_booking_due_to_arrive_for_two_takes_the_counter_longer_too():
    queue_ = [Waiting(2, ID, WALK_IN, T0)]
    due = Waiting(-7, ID, APPOINTMENT, T0, T0)  # arrives now, with priority over the walk-in

    estimate = live_estimate(
        2, queue_, counters=[OpenCounter((ID,))], handling=EXACT, now=T0, arriving=[due], work={-7: Work(2)}
    )

    assert estimate.minutes == 16


def test_todays_handling_is_pooled_with_the_record():
    today = Handling(12, 6, 2)  # two observed, with the configured average: weight 3 + 2
    record = Handling(10, 5, 200)  # counts as forecast.HISTORY_WEIGHT (10) observations

    found = pooled(today, record)

    assert found.mean == pytest.approx((10 * 10 + 5 * 12) / 15)
    assert found.sd == pytest.approx(((10 * 25 + 5 * 36) / 15) ** 0.5)
    assert found.observed == 2  # what today rests on
    assert pooled(today, None) == today  # a service without a record: today's alone


# The reads


@pytest.fixture
def window(hall, id_card):
    """Bookable places: a window for ID cards, three places in each half hour, all on sale."""
    BookingRules.objects.create(hall=hall, held_back_percent=0, utilisation_percent=100, max_per_day=5)
    return make_counter(hall, 1, [id_card])


@pytest.fixture
def certificate(hall, window):
    service = make_service(hall, code="certificate", prefix="B", average_handling_minutes=5)
    window.services.add(service)
    return service


def book(service, start: dt.time, n: int, *, persons: int = 1, also=()):
    availability.sync_slots(service=service, date=DAY)
    for other in also:
        availability.sync_slots(service=other, date=DAY)
    citizen = booking_services.Citizen(
        name="王五", phone=phonenumbers.parse(f"1390000{n:04d}", "CN"), id_number=make_id_number(n)
    )
    return booking_services.book(
        slot=service.slots.get(start=dt.datetime.combine(DAY, start, SHANGHAI)),
        citizen=citizen,
        persons=persons,
        also=also,
        actor=booking_services.Actor("staff"),
        now=at(DAY, 8) - dt.timedelta(days=1),
    )


def test_a_booking_later_than_anyone_on_record_comes_is_no_longer_expected(hall, id_card, window):
    # On record: 32 check-ins over four Tuesdays, from on time to 7 minutes into the window, 4 of each minute.
    for date in weeks_before(4):
        window = at(date, 9)
        past_tickets(
            id_card,
            date,
            [
                {
                    "kind": TicketKind.APPOINTMENT,
                    "booked_start": window,
                    "issued_at": window + dt.timedelta(minutes=m),
                }
                for m in range(8)
            ],
        )
    late = book(id_card, dt.time(9, 0), 1)  # ten minutes into its window at 9:10, not come
    coming = book(id_card, dt.time(10, 0), 2)
    now = at(DAY, 9, 10)

    found = estimates.bookings_due(hall, DAY, now).arrivals(now)

    # Nobody on record came more than 7 minutes late: the 9:00 booking will not come. The 10:00 one comes
    # at the middle of the record's check-ins (the 17th of 32: 4 minutes into the window).
    assert [(w.id, w.issued_at) for w in found] == [(-coming.pk, at(DAY, 10, 4))]

    # Without a record, as before the record was read: both on time, the late one now.
    Ticket.objects.exclude(date=DAY).delete()
    cache.forget_remembered()
    found = estimates.bookings_due(hall, DAY, now).arrivals(now)
    assert [(w.id, w.issued_at) for w in found] == [(-late.pk, now), (-coming.pk, at(DAY, 10))]


def test_bookings_not_come_by_the_end_of_their_window_count_as_missed(hall, id_card, window):
    missed = [book(id_card, dt.time(8, 30), n) for n in range(1, 4)]  # their window ended at 9:00
    coming = [book(id_card, dt.time(11, 30), n) for n in range(4, 7)]

    found = estimates.bookings_due(hall, DAY, at(DAY, 11)).arrivals(at(DAY, 11))

    # Without a record: three missed, none came: (0 + 4) / (3 + 5) = 1/2 of the three due come; the first and
    # the third join (at 1/2 and 3/2 expected), the second not. (Before: the missed did not count, 4 / 5 of
    # the three due came, and the second and third joined.)
    assert all(-b.pk not in {w.id for w in found} for b in missed)
    assert [w.id for w in found] == [-coming[0].pk, -coming[2].pk]


def test_tickets_and_bookings_that_take_a_counter_longer_are_read(hall, id_card, certificate):
    checked = book(id_card, dt.time(9, 0), 1, persons=2, also=[certificate])
    ticket = queue.check_in(hall=hall, code=checked.code, actor=SYSTEM, now=at(DAY, 9, 5))
    booked = book(id_card, dt.time(10, 0), 2, persons=3)
    further = book(id_card, dt.time(10, 30), 3, also=[certificate])
    book(id_card, dt.time(11, 0), 4)  # one person, one matter: as every ticket is played

    work = estimates.bookings_due(hall, DAY, at(DAY, 9, 10)).work()

    assert work == {
        ticket.pk: Work(2, (certificate.pk,)),
        -booked.pk: Work(3, ()),
        -further.pk: Work(1, (certificate.pk,)),
    }


def test_the_handling_times_on_record_pull_todays_estimate(hall, id_card):
    for date in weeks_before(3):  # 30 ID cards on record, 15 and 25 minutes in turn: mean 20, spread 5
        past_tickets(
            id_card,
            date,
            [
                {
                    "kind": TicketKind.WALK_IN,
                    "issued_at": at(date, 9),
                    "called_at": at(date, 9, n),
                    "completed_at": at(date, 9, n) + dt.timedelta(minutes=15 if n % 2 else 25),
                }
                for n in range(10)
            ],
        )
    now = at(DAY, 9)

    found = estimates.with_record(hall, DAY, estimates.recent_handling(hall, DAY, now))[id_card.pk]

    # Nothing handled today: the configured 10 minutes (3 observations' worth) and the record's 20 (10).
    assert found.mean == pytest.approx((3 * 10 + 10 * 20) / 13)
    assert record.record(hall, DAY).handling[id_card.pk] == Handling(20, 5, 30)


def test_the_walk_ins_of_a_service_follow_the_days_shape(hall, id_card, certificate):
    for date in weeks_before(4):  # each day: six ID cards from 9:00 to 10:00, two certificates at 10:30
        past_tickets(
            id_card,
            date,
            [{"kind": TicketKind.WALK_IN, "issued_at": at(date, 9, m)} for m in range(5, 60, 10)],
        )
        past_tickets(
            certificate, date, [{"kind": TicketKind.WALK_IN, "issued_at": at(date, 10, 30)} for _ in range(2)]
        )

    mixed = record.walk_in_history(hall, DAY).mixed

    # 32 walk-ins on record, 24 of them 9:00-10:00 and 8 at 10:00-11:00; certificates are a quarter of them.
    # Each hour's own count and the day's mix weigh the same (MIX_WEIGHT 1): certificates 9:00-10:00
    # (0 + 24 / 4) / 2 = 3, 10:00-11:00 (8 + 8 / 4) / 2 = 5: the same eight over the days.
    assert mixed[certificate.pk] == {9: 3, 10: 5}
    assert mixed[id_card.pk] == {9: 21, 10: 3}
