"""Pure tests of queue order (no database)."""

import datetime as dt
import zoneinfo

from queueing.order import APPOINTMENT, WALK_IN, Waiting, next_for_counter, order, people_ahead

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=TZ)


def t(minutes):
    return NOW + dt.timedelta(minutes=minutes)


def appt(id, booked, issued=-20, service=1, **kw):
    return Waiting(
        id=id, service_id=service, kind=APPOINTMENT, issued_at=t(issued), booked_start=t(booked), **kw
    )


def walk(id, issued, service=1, **kw):
    return Waiting(id=id, service_id=service, kind=WALK_IN, issued_at=t(issued), **kw)


def ids(items):
    return [i.id for i in items]


def test_order_green_channel_first_in_issue_order():
    items = [appt(1, -10), walk(2, -30), walk(3, -5, green=True), appt(4, -20, green=True, issued=-1)]

    assert ids(order(items, now=NOW))[:2] == [3, 4]


def test_order_appointments_by_booked_time_not_arrival():
    items = [appt(1, booked=-5, issued=-25), appt(2, booked=-15, issued=-2)]

    assert ids(order(items, now=NOW)) == [2, 1]


def test_order_interleaves_two_appointments_to_one_walk_in():
    items = [appt(1, -30), appt(2, -25), appt(3, -20), appt(4, -15), walk(5, -60), walk(6, -50)]

    assert ids(order(items, now=NOW)) == [1, 2, 5, 3, 4, 6]


def test_order_ratio_is_configurable():
    items = [appt(1, -30), appt(2, -25), appt(3, -20), walk(5, -60)]

    assert ids(order(items, now=NOW, appointments_per_walk_in=1)) == [1, 5, 2, 3]


def test_order_continues_streak_from_earlier_calls():
    items = [appt(1, -30), walk(5, -60)]

    assert ids(order(items, now=NOW, calls_since_walk_in=2)) == [5, 1]


def test_order_walk_ins_not_kept_waiting_behind_early_appointments():
    early = appt(1, booked=20, issued=-5)  # checked in 25 minutes before the window
    items = [early, walk(2, -10)]

    assert ids(order(items, now=NOW)) == [2, 1]


def test_order_early_appointment_served_when_nobody_else_waits():
    assert ids(order([appt(1, booked=20, issued=-5)], now=NOW)) == [1]


def test_order_transferred_ticket_heads_its_new_queue_after_green():
    items = [appt(1, -30), walk(2, -60), walk(3, -1, transferred=True), walk(4, 0, green=True)]

    assert ids(order(items, now=NOW)) == [4, 3, 1, 2]


def test_next_for_counter_only_its_services_in_preference_order():
    items = [walk(1, -60, service=1), walk(2, -50, service=2), walk(3, -70, service=3)]

    chosen = next_for_counter(items, services=[2, 1], now=NOW)

    assert chosen.id == 2


def test_next_for_counter_falls_back_to_second_service():
    items = [walk(1, -60, service=1), walk(3, -70, service=3)]

    assert next_for_counter(items, services=[2, 1], now=NOW).id == 1


def test_next_for_counter_green_channel_of_any_served_service_first():
    items = [walk(1, -60, service=2), walk(2, -1, service=1, green=True)]

    assert next_for_counter(items, services=[2, 1], now=NOW).id == 2


def test_next_for_counter_nothing_waiting():
    assert next_for_counter([walk(1, -60, service=3)], services=[1, 2], now=NOW) is None


def test_people_ahead_counts_same_service_only():
    items = [appt(1, -30), appt(2, -25), walk(3, -60), walk(9, -90, service=2)]

    assert [people_ahead(items, i, now=NOW) for i in (1, 2, 3)] == [0, 1, 2]
