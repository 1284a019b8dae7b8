"""Expected walk-ins from the hall's history (issue 19 item 3): queueing.estimates.walking_in learns the
walk-ins per service and clock hour from the same weekday in the weeks before, so that at 9:00 it sees the
morning peak coming, which the last hour's rate (the half hour since opening) does not."""

import datetime as dt
import zoneinfo

import pytest

from hall import cache
from queueing import calls, estimates, record, walkins
from queueing import services as queue
from queueing.models import Ticket, TicketKind
from tests.makers import make_counter, past_tickets

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = dt.date(2030, 10, 15)  # a Tuesday, a workday; the hall opens 08:30-17:30 on weekdays
SYSTEM = queue.Actor("system")


def at(date: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(hour, minute), SHANGHAI)


def past_walk_ins(service, date: dt.date, moments: list[tuple[int, int]]) -> None:
    """Walk-in tickets of `service` issued on `date` at these local (hour, minute)s, served and done (test
    data written directly: the history the estimate reads)."""
    past_tickets(
        service, date, [{"kind": TicketKind.WALK_IN, "issued_at": at(date, h, m)} for h, m in moments]
    )


MORNING_PEAK = [(8, 40)] + [(9, m) for m in range(5, 60, 10)]  # one before 9:00, six from 9:05 to 9:55


def weeks_before(weeks: int, *, days: int = 0) -> list[dt.date]:
    return [DAY - dt.timedelta(weeks=n, days=days) for n in range(1, weeks + 1)]


def expected_before(hall, service, hour: int, minute: int = 0) -> int:
    """Walk-ins of `service` expected at 9:00 to come before hour:minute."""
    found = estimates.walking_in(hall, DAY, at(DAY, 9))
    return sum(1 for w in found if w.service_id == service.pk and w.issued_at < at(DAY, hour, minute))


def test_a_morning_peak_on_record_is_expected_at_nine_where_the_last_hour_shows_one_walk_in(hall, id_card):
    for date in weeks_before(4):
        past_walk_ins(id_card, date, MORNING_PEAK)
    past_walk_ins(id_card, DAY, [(8, 40)])  # today as on record so far

    # The record: six ID card walk-ins a day between 9:00 and 10:00, and today is as busy as the record by
    # 9:00 (one each): six an hour, one every 10 minutes from the half (estimates.FIRST_AT): 9:05 to 9:55.
    assert expected_before(hall, id_card, 10) == 6
    # The last hour's rate alone (one walk-in since 8:00) would expect the first at 10:00.
    cache.forget_remembered()
    Ticket.objects.exclude(date=DAY).delete()
    assert expected_before(hall, id_card, 10) == 0


BUSY_PEAK = [(8, 40)] + [(9, m) for m in range(2, 60, 5)]  # one before 9:00, twelve from 9:02 to 9:57


def test_a_busier_day_than_on_record_expects_more_where_the_days_on_record_differ(hall, id_card):
    for n, date in enumerate(weeks_before(4)):  # 13, 1, 13 and 1 walk-ins: six an hour from 9:00 on average
        past_walk_ins(id_card, date, BUSY_PEAK if n % 2 == 0 else [(8, 40)])
    past_walk_ins(id_card, DAY, [(8, 35), (8, 40), (8, 45), (8, 50), (8, 55), (8, 58)])

    # The days on record differ far beyond chance (a variance of 48 around 7): the record is worth
    # record.LIKE_HISTORY (5) walk-ins of belief. Six by 9:00 against one on record: (6 + 5) / (1 + 5)
    # times the record's six an hour, 11 an hour, one every 5.45 minutes from 2.7: six by 9:35 (as on
    # record, one every 10 minutes from 9:05: three).
    assert record.walk_in_history(hall, DAY).like == record.LIKE_HISTORY
    assert expected_before(hall, id_card, 9, 35) == 6


def test_a_busier_morning_is_chance_where_the_days_on_record_are_alike(hall, id_card):
    for date in weeks_before(4):
        past_walk_ins(id_card, date, MORNING_PEAK)  # seven each day
    past_walk_ins(id_card, DAY, [(8, 35), (8, 40), (8, 45), (8, 50), (8, 55), (8, 58)])

    # Days on record exactly alike: today's five walk-ins more by 9:00 are chance against the record's
    # record.MOST_LIKE (200) walk-ins' worth: (6 + 200) / (1 + 200) times the record's six an hour, one
    # every 9.76 minutes from 4.9: three by 9:30, as on record (with 5 walk-ins' worth, 11 an hour: five).
    assert record.walk_in_history(hall, DAY).like == record.MOST_LIKE
    assert expected_before(hall, id_card, 9, 30) == 3


def test_without_a_history_walk_ins_are_expected_at_the_last_hours_rate(hall, id_card, pickup):
    past_walk_ins(id_card, DAY, [(8, 35), (8, 50)])
    past_walk_ins(pickup, DAY, [(8, 45)])

    found = estimates.walking_in(hall, DAY, at(DAY, 9))

    # Two ID cards in the last hour: one every 30 minutes from 9:30, within the three hours ahead; one
    # pickup: one an hour from 10:00.
    id_cards = [at(DAY, 9, 30) + dt.timedelta(minutes=30 * n) for n in range(5)]
    assert [w.issued_at for w in found if w.service_id == id_card.pk] == id_cards
    assert [w.issued_at for w in found if w.service_id == pickup.pk] == [at(DAY, 10), at(DAY, 11)]


def test_other_weekdays_and_older_weeks_are_not_the_history(hall, id_card):
    for date in weeks_before(4, days=1) + [DAY - dt.timedelta(weeks=record.HISTORY_WEEKS + 1)]:
        past_walk_ins(id_card, date, MORNING_PEAK)  # Mondays, and a Tuesday too long ago
    past_walk_ins(id_card, DAY, [(8, 40)])

    assert record.walk_in_history(hall, DAY).days == 0
    assert expected_before(hall, id_card, 10) == 0  # the last hour's rate, as without history


def test_the_history_is_read_once_per_hall_and_day(hall, id_card, django_assert_num_queries):
    for date in weeks_before(2):
        past_walk_ins(id_card, date, MORNING_PEAK)
    with django_assert_num_queries(1):  # with the rest of the hall's record (queueing/record.py)
        first = record.walk_in_history(hall, DAY)
    past_walk_ins(id_card, DAY - dt.timedelta(weeks=3), MORNING_PEAK)  # written after: not read again today

    with django_assert_num_queries(0):
        assert record.walk_in_history(hall, DAY) == first
    assert first.days == 2 and first.per_hour[id_card.pk] == {8: 2, 9: 12}


def test_a_pickup_behind_a_busy_counter_waits_for_the_morning_peak_of_the_service_it_prefers(
    hall, id_card, pickup
):
    """One counter, ID cards before pickups, busy since 8:59 with an ID card (about 10 minutes). On record,
    an ID card walk-in every 3 minutes from 9:00 to 10:00: one is waiting whenever the counter frees, so
    the pickup waits for the peak to pass. The last hour's rate (one ID card) has the counter take the
    pickup when it frees, at about 9:10."""
    for date in weeks_before(4):
        past_walk_ins(id_card, date, [(8, 40)] + [(9, m) for m in range(0, 60, 3)])
    counter = make_counter(hall, services=[id_card, pickup])
    walkins.issue_walk_in(hall=hall, service=id_card, actor=SYSTEM, now=at(DAY, 8, 40))
    calls.open_counter(counter=counter, actor=SYSTEM, now=at(DAY, 8, 59))
    assert calls.call_next(counter=counter, actor=SYSTEM, now=at(DAY, 8, 59)).service == id_card
    ticket = walkins.issue_walk_in(hall=hall, service=pickup, actor=SYSTEM, now=at(DAY, 8, 56)).ticket

    estimate = estimates.hall_now(hall, DAY, at(DAY, 9), per_walk_in=2).estimate(ticket.pk)

    # 20 ID cards an hour on record from 9:00, as many today (one ID card and the pickup by 9:00, as the
    # record's two): one every 3 minutes from 9:01.5, 20 of them ahead at a counter that serves one each 10
    # minutes: the pickup is called after 12:00.
    assert estimate.minutes >= 120
