"""The simulator's Python API: play a day, measure it.

from simulation.api import simulate_day
log = simulate_day(hall, "normal", seed=1)            # rolled back afterwards
report = measures.summary(log)
"""

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from hall.models import Hall
from queueing import dayend
from simulation import people
from simulation.engine import Hallday
from simulation.log import DayLog
from simulation.scenario import DayType, day_type

T = TypeVar("T")


class _RollBack(Exception):
    pass


def rolled_back(work: Callable[[], T]) -> T:
    """`work()`'s result, every row it wrote rolled back (build the simulated day inside `work`: its
    constructor writes rows too)."""
    result = None
    try:
        with transaction.atomic():
            result = work()
            raise _RollBack
    except _RollBack:
        pass
    return result


def next_open_day(hall: Hall, after: dt.date, weekday: int | None = 1) -> dt.date:
    """The first day after `after` on which the hall opens (on `weekday` if given: Tuesday, a long day)."""
    date = after + dt.timedelta(days=1)
    for _n in range(400):
        if (weekday is None or date.weekday() == weekday) and people.sessions(hall, date):
            return date
        date += dt.timedelta(days=1)
    raise ValueError(f"{hall.slug} opens on no day within a year")


def simulated_date(hall: Hall, date: dt.date) -> dt.date:
    """The day a real day (a plan's) is played on: the same weekday 52 weeks on (or the next open one on
    that weekday), clear of real rows, and fixed by the date, so a re-run plays the same day."""
    return next_open_day(hall, date + dt.timedelta(days=363), weekday=date.weekday())


def default_date(hall: Hall) -> dt.date:
    """The day simulate_day plays when given none: the hall's next Tuesday a year ahead."""
    return next_open_day(hall, hall.local_date(timezone.now()) + dt.timedelta(days=365))


def simulate_day(
    hall: Hall,
    day: DayType | str,
    *,
    seed: int = 1,
    date: dt.date | None = None,
    keep: bool = False,
    staff: dict | None = None,
    readings: bool = True,
) -> DayLog:
    """Play one day in `hall` and return what it recorded. The day's rows (bookings, tickets, extra
    counters) are rolled back unless `keep`; `date` defaults to the hall's next Tuesday a year ahead,
    clear of real bookings. A rolled-back day plays on stand-ins for the hall's counters, so that it may run
    while the hall works (the staffing plan's check does); a kept day uses the hall's own. `staff`: counter
    number -> the user who works it (a kept day's: engine.Hallday); `readings`: the estimates waiting
    citizens read (off: no estimate errors measured, less than half the CPU)."""
    if isinstance(day, str):
        day = day_type(day)
    if date is None:
        date = default_date(hall)
    if keep:
        with transaction.atomic():
            log = Hallday(hall, day, date, seed, staff=staff, readings=readings).run()
            # The kept day ends as the night ends a real one (queueing.dayend): what the drain left open (a
            # long queue at closing, a citizen fetching papers) ends unfinished, with its booking. That
            # day's tickets only: a day played before a date ahead may lie after today.
            midnight = dt.datetime.combine(date + dt.timedelta(days=1), dt.time.min, hall.tz)
            dayend.end_day(hall, date, now=midnight)
            return log
    return rolled_back(lambda: Hallday(hall, day, date, seed, stand_ins=True).run())
