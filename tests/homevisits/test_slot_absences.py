"""Pure tests: a window counts only the counters present during it (no database)."""

import datetime as dt
import zoneinfo

from appointments.slots import Absence, SlotConfig, window_capacity, windows
from hall import calendar
from hall.calendar import WeeklySession

T = dt.time
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY = dt.date(2026, 11, 23)


def at(hour, minute=0):
    return dt.datetime.combine(MONDAY, T(hour, minute), TZ)


def schedule():
    return calendar.Schedule(weekly=[WeeklySession(d, T(8, 30), T(12)) for d in range(5)])


def capacities(config):
    return {w.start.time(): (w.capacity, w.held_back) for w in windows(schedule(), MONDAY, config)}


def test_counters_present_counts_each_absent_counter_once():
    config = SlotConfig(
        counters=4,
        handling_minutes=10,
        absences=(Absence(1, at(9), at(10)), Absence(1, at(9, 30), at(11)), Absence(2, at(9), at(10))),
    )

    assert config.counters_present(at(9), at(9, 30)) == 2
    assert config.counters_present(at(10), at(10, 30)) == 3
    assert config.counters_present(at(11), at(11, 30)) == 4


def test_counters_present_never_below_zero():
    config = SlotConfig(
        counters=1, handling_minutes=10, absences=(Absence(1, at(9), at(10)), Absence(2, at(9), at(10)))
    )

    assert config.counters_present(at(9), at(9, 30)) == 0


def test_absence_lowers_overlapping_windows_by_exactly_the_counters_taken():
    full = SlotConfig(counters=4, handling_minutes=10)
    away = SlotConfig(
        counters=4, handling_minutes=10, absences=(Absence(1, at(9), at(10)), Absence(2, at(9), at(10)))
    )

    result = capacities(away)

    # Two of four counters away: the 09:00 and 09:30 windows have what two counters give.
    assert result[T(9)] == window_capacity(SlotConfig(counters=2, handling_minutes=10), 30) == (4, 1)
    assert result[T(9, 30)] == (4, 1)
    # Every other window is untouched.
    untouched = {start: cap for start, cap in capacities(full).items() if start not in (T(9), T(9, 30))}
    assert {start: result[start] for start in untouched} == untouched
    assert capacities(full)[T(9)] == (8, 2)


def test_absence_touching_part_of_a_window_takes_the_counter_for_the_whole_window():
    config = SlotConfig(counters=2, handling_minutes=10, absences=(Absence(1, at(9, 50), at(10, 10)),))

    result = capacities(config)

    assert (
        result[T(9, 30)] == result[T(10)] == window_capacity(SlotConfig(counters=1, handling_minutes=10), 30)
    )
    assert result[T(9)] == result[T(10, 30)] == (4, 1)


def test_absence_ending_as_a_window_starts_does_not_touch_it():
    config = SlotConfig(counters=2, handling_minutes=10, absences=(Absence(1, at(8, 30), at(9)),))

    result = capacities(config)

    assert result[T(8, 30)] == (1, 1)
    assert result[T(9)] == (4, 1)


def test_every_counter_away_leaves_no_window():
    config = SlotConfig(counters=1, handling_minutes=10, absences=(Absence(7, at(9), at(10)),))

    starts = [w.start.time() for w in windows(schedule(), MONDAY, config)]

    assert T(9) not in starts and T(9, 30) not in starts
    assert T(8, 30) in starts and T(10) in starts


def test_override_shrinks_in_proportion_to_the_counters_present():
    config = SlotConfig(counters=4, handling_minutes=10, capacity_override=10)

    assert window_capacity(config, 30) == (10, 0)
    assert window_capacity(config, 30, present=2) == (5, 0)
    assert window_capacity(config, 30, present=3) == (7, 0)
    assert window_capacity(config, 30, present=0) == (0, 0)
