"""Past days for a demo hall, played by the simulator and kept, so that the supervisor's report, month,
staffing plan, plan check and what-if have weeks of history to show (docs/simulation.md, "History").

    from simulation import history
    history.play_history(hall)                 # the hall's open days of the last history_weeks weeks
    history.play_weeks_before(hall, "normal", date, weeks=8)  # a measured day's weekday, for the estimate
    history.book_ahead(hall)                   # made-up bookings for the next open days
    manage.py play_history [--weeks 6] [--seed 1] [--enqueue]   # the job: both

Each open day is played with `simulation.api.simulate_day(..., keep=True)` on the hall's own counters, by
its weekday's day type (WEEKDAYS: Mondays are the busiest), with at most the hall's windows open (a history
day adds no desks), seeded by the run's seed and the date, so the same seed gives the same days. A day on
which the hall already has tickets or bookings (played before, or real) is skipped: playing again adds
nothing. Each day is one transaction, with the hall's row locked while it is checked and played, so two
runs at once play each day once.

A past day must not reach anybody: its messages (booking confirmations, rating requests, no-show notices)
are deleted, the work its services leave for the commit (enqueuing messages, live events to the hall's
screens) is dropped, and the hall's counter sessions are freed for the day and put back as they were (a
clerk working today waits at most for the day being played: on SQLite for the database's write lock, on
PostgreSQL for the counter's row). A hall with webhook subscribers is refused: its past days' events would
go to other systems. Bookings not checked in are marked no-shows, as the hall's sweep does. The citizens
are made up (`people.citizen`, each day with its own numbers); their names and mobiles are erased by the
nightly erasure once the days pass the hall's retention period, as any booking's are.
"""

import datetime as dt
import logging
import random
import time
from dataclasses import dataclass, replace

import redis
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone
from rq.exceptions import NoSuchJobError
from rq.job import Job

from appointments import housekeeping
from appointments.models import Booking
from hall import cache as hall_cache
from hall.models import Counter, CounterKind, Hall, Staff, StaffRole
from notifications.models import Notification
from queueing.models import CounterSession, CounterState, Ticket, TicketState
from reports import services
from reports.report import settings_for
from simulation import jobs, people
from simulation.api import simulate_day
from simulation.engine import DRAIN
from simulation.scenario import DayType, Draws, day_type

log = logging.getLogger(__name__)

HISTORY_SEED = (
    1000  # play_weeks_before: a past day's seed is this plus its weeks back, apart from measured days'
)

JOB = "simulation.history.run_job"
JOB_TIMEOUT = 3600
# Walk-ins by weekday (Monday 0): Monday brings the weekend's backlog; the demo hall's long days (Tuesday,
# Thursday, to 19:30) a few more; Saturday is a morning's duty. Sunday: the hall is closed.
WEEKDAYS: dict[int, tuple[str, int]] = {
    0: ("normal", 150),
    1: ("quiet", 100),
    2: ("quiet", 80),
    3: ("quiet", 100),
    4: ("quiet", 90),
    5: ("quiet", 40),
    6: ("quiet", 40),
}
# Share of the finished visits rated, and their scores (5 very satisfied); none at or below
# reports.models.FOLLOW_UP_AT_MOST, which would open a follow-up case.
RATED_SHARE = 0.3
RATING_SCORES = {5: 70, 4: 22, 3: 8}
# On SQLite a day holds the database's write lock while it plays: a pause between days lets the web's
# writes (a sign-in, a ticket) in.
PAUSE_SECONDS = 0.5


@dataclass(frozen=True)
class PlayedDay:
    date: dt.date
    day: str  # the day type's name
    tickets: int
    bookings: int
    cpu_seconds: float


def day_for(hall: Hall, date: dt.date, *, scale: float = 1.0) -> DayType:
    """The day type played on `date`: its weekday's, with its walk-ins and bookings times `scale` and at
    most the hall's windows open in any hour."""
    name, walk_ins = WEEKDAYS[date.weekday()]
    base = day_type(name)
    windows = max(1, Counter.objects.filter(hall=hall, active=True, kind=CounterKind.WINDOW).count())
    # Every hour the hall is open has counters (the day types' end at 19:00; the long days close at 19:30),
    # an hour missing from the day type as many as the hour before it.
    counters, last = {}, min(base.counters.values(), default=1)
    for hour in sorted(_open_hours(hall, date) | set(base.counters)):
        last = base.counters.get(hour, last)
        counters[hour] = min(last, windows)
    return replace(
        base,
        walk_ins=round(walk_ins * scale),
        booking_fill=base.booking_fill * min(1.0, scale),
        counters=counters,
        pauses=tuple(p for p in base.pauses if p.counter <= windows),
    )


def _open_hours(hall: Hall, date: dt.date) -> set[int]:
    hours = set()
    for start, end in people.sessions(hall, date):
        moment = start.replace(minute=0, second=0)
        while moment < end:
            hours.add(moment.hour)
            moment += dt.timedelta(hours=1)
    return hours


def seed_for(seed: int, date: dt.date) -> int:
    return seed * 1_000_000 + date.toordinal()


def past_days(hall: Hall, *, weeks: int, today: dt.date) -> list[dt.date]:
    """The hall's open days in the `weeks` weeks before `today`, the most recent first."""
    days = (today - dt.timedelta(days=n) for n in range(1, 7 * weeks + 1))
    return [date for date in days if people.sessions(hall, date)]


def played(hall: Hall, date: dt.date) -> bool:
    """The hall has tickets or bookings that day: played before, or a real day. The made-up bookings that
    book_ahead left for it do not count: the day is played with them."""
    return (
        Ticket.objects.filter(hall=hall, date=date).exists()
        or Booking.objects.of_day(hall, date).exclude(phone_hash__in=people.made_up(date)).exists()
    )


# The demo's coming days, booked ahead: the next open day as full as its day type books it, each later one
# a little less (citizens book days ahead, the nearest days fullest).
AHEAD_DAYS = 5
AHEAD_FILL = (1.0, 0.9, 0.75, 0.6, 0.5)


def book_ahead(
    hall: Hall, *, days: int = AHEAD_DAYS, seed: int = 1, now: dt.datetime | None = None
) -> dict[dt.date, int]:
    """Made-up bookings for the hall's next `days` open days after today, so that the demo's register,
    staffing plan and booking pages show coming days as a working hall has them. A day that has bookings
    already is left alone. Nobody is told: the confirmations are deleted (the reminders, found by the
    sweeper's scan on the eve of each day, go to the made-up mobiles through the demo's text-message
    backend). When such a day has passed, play_history plays it with these bookings. Answers the bookings
    made per day."""
    if hall.webhook_subscribers.filter(enabled=True).exists():
        raise ValueError(f"{hall.slug} has webhook subscribers: its bookings' events would be sent to them")
    now = now or timezone.now()
    today = hall.local_date(now)
    made: dict[dt.date, int] = {}
    date = today
    for _n in range(days * 7):
        if len(made) >= days:
            break
        date += dt.timedelta(days=1)
        if not people.sessions(hall, date):
            continue
        share = AHEAD_FILL[min(len(made), len(AHEAD_FILL) - 1)]
        with transaction.atomic():
            Hall.objects.select_for_update().filter(pk=hall.pk).values_list("pk").get()
            if Booking.objects.of_day(hall, date).exists():
                made[date] = 0
                continue
            day = day_for(hall, date)
            day = replace(day, booking_fill=day.booking_fill * share)
            hooks = len(connection.run_on_commit)
            bookings = people.book_day(hall, day, date, Draws(seed_for(seed, date)), now)
            Notification.objects.filter(
                subject_type="booking", subject_id__in=[b.pk for b in bookings], hall=hall
            ).delete()
            del connection.run_on_commit[hooks:]  # no message enqueued, no live event
        made[date] = len(bookings)
    return made


def play_history(
    hall: Hall,
    *,
    weeks: int | None = None,
    seed: int = 1,
    today: dt.date | None = None,
    days: int | None = None,
    scale: float = 1.0,
) -> list[PlayedDay]:
    """Play and keep the hall's open days of the last `weeks` weeks (default: the weeks its staffing plan
    reads, ReportSettings.history_weeks) before `today` (the hall's today), the most recent first, at most
    `days` of them; the days already played are skipped. Answers the days played now."""
    if hall.webhook_subscribers.filter(enabled=True).exists():
        raise ValueError(f"{hall.slug} has webhook subscribers: its past days' events would be sent to them")
    today = today or hall.local_date(timezone.now())
    weeks = weeks or settings_for(hall).history_weeks
    done = []
    for date in past_days(hall, weeks=weeks, today=today):
        if days is not None and len(done) >= days:
            break
        result = _play_day(hall, date, seed=seed, scale=scale)
        if result is None:
            continue
        done.append(result)
        log.info("history of %s: %s played (%s, %s tickets)", hall.slug, date, result.day, result.tickets)
        if connection.vendor == "sqlite":
            time.sleep(PAUSE_SECONDS)
    return done


def _play_day(hall: Hall, date: dt.date, *, seed: int, scale: float) -> PlayedDay | None:
    with transaction.atomic():
        Hall.objects.select_for_update().filter(pk=hall.pk).values_list("pk").get()
        if played(hall, date):
            return None
        hooks = len(connection.run_on_commit)
        # The day plays on the hall's own counters: those staffed now are freed for it, then given back as
        # they were (a clerk keeps the counter open today; nobody sees the difference: one transaction).
        sessions = list(CounterSession.objects.select_for_update().filter(counter__hall=hall))
        CounterSession.objects.filter(pk__in=[s.pk for s in sessions]).update(
            state=CounterState.CLOSED, user=None
        )
        day = day_for(hall, date, scale=scale)
        day_log = simulate_day(
            hall,
            day,
            seed=seed_for(seed, date),
            date=date,
            keep=True,
            staff=staff(hall),
            readings=False,  # nobody measures a past day's estimates: less than half the CPU
        )
        _no_shows(hall, date)
        _rate(hall, date, seed)
        _silence(hall, date)
        for session in sessions:
            session.save()
        del connection.run_on_commit[hooks:]  # no message enqueued, no live event to the screens
        tickets = Ticket.objects.filter(hall=hall, date=date).count()  # transfers included
    return PlayedDay(date, day.name, tickets, day_log.bookings, day_log.cpu_seconds)


def _no_shows(hall: Hall, date: dt.date) -> None:
    """A kept day's bookings nobody came for are no-shows, as the hall's housekeeping marks them after the
    day (DRAIN after its close: no later, so that a real booking of today is not marked before its time):
    otherwise they stand as the same people's active bookings on the days after."""
    housekeeping.mark_no_shows(now=people.sessions(hall, date)[-1][1] + DRAIN)


def play_weeks_before(hall: Hall, day: DayType | str, date: dt.date, *, weeks: int) -> list[dt.date]:
    """Kept days of `day` on the same weekday in each of the `weeks` weeks before `date` that the hall
    opens, oldest first (each may learn from those before it), so that the day played on `date` has a
    history: the expected walk-ins per hour come from it (queueing.record.walk_in_history). Nobody reads
    a ticket page on them (no readings: they cost more than the day itself). The spare desks a kept day
    makes (people.staff_counters) are put away after it, so that they add no booking places to the days
    after, and its bookings nobody came for are marked no-shows, as the hall's housekeeping does, so that
    they do not stand as the same people's active bookings on the days after. The dates played."""
    if isinstance(day, str):
        day = day_type(day)
    played = []
    for back in range(weeks, 0, -1):
        past_date = date - dt.timedelta(weeks=back)
        if not people.sessions(hall, past_date):
            continue
        before = set(Counter.objects.filter(hall=hall).values_list("pk", flat=True))
        simulate_day(hall, day, seed=HISTORY_SEED + back, date=past_date, keep=True, readings=False)
        Counter.objects.filter(hall=hall).exclude(pk__in=before).update(active=False)
        _no_shows(hall, past_date)
        played.append(past_date)
    hall_cache.forget_remembered()  # what this process read of the hall's history before it had these days
    return played


def staff(hall: Hall) -> dict:
    """The hall's window staff, one to each window by number (in the order of their user names), so that the
    figures per staff member fill in; windows beyond them are worked by the system."""
    clerks = Staff.objects.filter(hall=hall, role=StaffRole.CLERK, user__is_active=True)
    users = [clerk.user for clerk in clerks.select_related("user").order_by("user__username")]
    windows = Counter.objects.filter(hall=hall, active=True, kind=CounterKind.WINDOW).order_by("number")
    numbers = list(windows.values_list("number", flat=True))
    return dict(zip(numbers[: len(users)], users[: len(numbers)], strict=True))


def _rate(hall: Hall, date: dt.date, seed: int) -> None:
    """Some citizens rate their visit (好差评) minutes after it ends, as the rating request asks, so that the
    ranking and the ratings figures fill in: none poorly enough to open a follow-up case (a past case would
    stand open and overdue in the supervisor's list)."""
    rng = random.Random(f"{seed}:{date.isoformat()}:rate")
    done = Ticket.objects.filter(hall=hall, date=date, state=TicketState.DONE).order_by("pk")
    for ticket in done:
        if rng.random() >= RATED_SHARE:
            continue
        score = rng.choices(list(RATING_SCORES), list(RATING_SCORES.values()))[0]
        moment = ticket.completed_at + dt.timedelta(minutes=rng.uniform(1, 30))
        services.rate_ticket(ticket, score, now=moment)


def _silence(hall: Hall, date: dt.date) -> None:
    """Delete the day's messages: nobody is to be told of a day that did not happen."""
    bookings = Booking.objects.of_day(hall, date).values("pk")
    tickets = Ticket.objects.filter(hall=hall, date=date).values("pk")
    Notification.objects.filter(
        Q(subject_type="booking", subject_id__in=bookings) | Q(subject_type="ticket", subject_id__in=tickets),
        hall=hall,
    ).delete()


def run_job(slug: str, weeks: int | None = None, seed: int = 1) -> str:
    """The RQ job `dev.py run` enqueues (via `manage.py play_history --enqueue`) on the simulation queue."""
    close_old_connections()
    try:
        hall = Hall.objects.filter(slug=slug).first()
        if hall is None:
            return f"no hall {slug}"
        played_days = play_history(hall, weeks=weeks, seed=seed)
        ahead = book_ahead(hall, seed=seed)
        return f"{len(played_days)} days played, {sum(ahead.values())} bookings made for the coming days"
    finally:
        close_old_connections()


def enqueue(slug: str, *, weeks: int | None = None, seed: int = 1) -> bool:
    """Put the history of `slug` on the simulation queue (one job per hall: a job already queued or running
    is left alone); False when Redis cannot take it."""
    queue = jobs.queue()
    job_id = f"history-{slug}"
    try:
        try:
            if Job.fetch(job_id, connection=queue.connection).get_status() in ("queued", "started"):
                return True
        except NoSuchJobError:
            pass
        queue.enqueue(
            JOB, slug, weeks, seed, job_id=job_id, job_timeout=JOB_TIMEOUT, result_ttl=600, failure_ttl=86400
        )
    except (redis.RedisError, OSError) as error:
        log.warning("could not enqueue the history of %s: %s", slug, error)
        return False
    return True
