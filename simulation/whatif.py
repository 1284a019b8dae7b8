"""What-if for supervisors (issue 19, item 5): the staffing plan's counters per hour, changed by the
supervisor, and the walk-in level, played through the simulator in a background job (RQ), never in the web
request. The day is rolled back; what stays is the run's row with its result (simulation.whatif_models).

The simulated day is the plan day's weekday 52 weeks later (clear of real bookings and tickets). By default
it plays the plan's own demand (PLAN: the plan's date's bookings as booked, the walk-ins per hour and
service the plan expects from the hall's history, handling times from that history; no breaks), else a
standard day type's (its bookings, breaks and events). The counters per hour are the supervisor's (hours
they did not give keep the plan's or the day type's), the walk-ins the demand's times the walk-in level.
The same inputs and seed, on the same plan, give the same result. See docs/simulation.md ("What-if").
"""

import datetime as dt
import logging
import math
import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import partial

import redis
from rq import get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from hall.models import Hall
from reports.plan import Plan, build_plan
from simulation import dbcopy
from simulation.api import rolled_back, simulated_date
from simulation.engine import Hallday
from simulation.job_models import JobState
from simulation.jobs import enqueue_on_commit, queue
from simulation.log import DayLog
from simulation.plan_demand import day_of_plan
from simulation.scenario import DAY_TYPES, DayType, day_type
from simulation.whatif_models import WhatIfRun

log = logging.getLogger(__name__)

JOB = "simulation.whatif.run_job"
JOB_TIMEOUT = 15 * 60  # a busy day runs in about a minute; a loaded worker may take longer
RESULT_TTL = 3600  # the row keeps the result; RQ's copy (and the progress in its meta) need not outlive it
WALK_IN_PERCENT = (0, 300)
COUNTERS_PER_HALL_COUNTER = 3  # at most this many counters per hour for each of the hall's own counters
# Why a run failed (WhatIfRun.error), shown in the user's language by simulation.whatif_views.
NO_WORKER, STOPPED, CLOSED, CRASHED = "no_worker", "stopped", "closed", "crashed"
PLAN = "plan"  # the day type that plays the plan's own demand (beside DAY_TYPES)
DEFAULT_DAY = "normal"  # without walk-ins on record


@dataclass(frozen=True)
class Inputs:
    date: dt.date
    day_type: str
    walk_in_percent: int
    seed: int
    counters: dict[int, int]  # clock hour -> counters open


def most_counters(hall: Hall) -> int:
    return COUNTERS_PER_HALL_COUNTER * max(1, hall.counters.windows().count())


def planned_counters(hall: Hall, date: dt.date, day: str, plan: Plan | None = None) -> dict[int, int]:
    """The counters per open hour that the staffing plan recommends for `date` (`plan`, if built already).
    For a standard day type without walk-ins on record (the plan counts bookings alone), at least the day
    type's counters: the day played has its walk-ins."""
    plan = plan or build_plan(hall, date)
    hours = {h.hour: h.needed for h in plan.hours if h.open_minutes}
    if day != PLAN and (plan.no_history or not plan.expects_anyone):
        base = DAY_TYPES.get(day, DAY_TYPES[DEFAULT_DAY]).counters
        hours = {hour: max(needed, base.get(hour, 0)) for hour, needed in hours.items()}
    return hours


def default_day(plan: Plan) -> str:
    """What a what-if plays unless the supervisor chooses: the plan's own demand when the plan has walk-ins
    on record (the hall's history), else the normal day type (a plan of bookings alone would play a day
    without a walk-in)."""
    return DEFAULT_DAY if plan.no_history else PLAN


def plan_demand(plan: Plan) -> dict:
    """What the plan's demand holds, for the form to say what a what-if of it plays."""
    return {
        "bookings": sum(h.booked for h in plan.hours),
        "walk_ins": round(sum(h.walk_ins for h in plan.hours)),
        "days_on_record": plan.days_on_record,
        "weeks": plan.weeks,
    }


def _played_plan(plan: Plan, day: DayType, percent: int) -> dict:
    expected = {h.hour: h.walk_ins * percent / 100 for h in plan.hours}
    return {
        "demand": PLAN,
        "walk_ins": day.walk_ins,
        "walk_ins_expected": round(sum(h.walk_ins for h in plan.hours), 1),
        "walk_ins_per_hour": {str(h): round(n, 2) for h, n in sorted(expected.items()) if n},
        "bookings": sum(day.bookings.values()) if day.bookings else 0,
        "days_on_record": plan.days_on_record,
        "weeks": plan.weeks,
    }


def demand(hall: Hall, inputs: Inputs) -> tuple[DayType, dt.date, dict]:
    """The day to play, the date it is played on, and what it plays (kept with the result, said on the
    page): the plan's demand (PLAN) or a day type's, the walk-ins scaled by the level, the supervisor's
    counters over the plan's or the day type's."""
    if inputs.day_type == PLAN:
        plan = build_plan(hall, inputs.date)
        base, date = day_of_plan(plan)
    else:
        plan, base, date = None, day_type(inputs.day_type), simulated_date(hall, inputs.date)
    walk_ins = round(base.walk_ins * inputs.walk_in_percent / 100)
    day = replace(base, counters={**base.counters, **inputs.counters}, walk_ins=walk_ins)
    if plan is not None:
        return day, date, _played_plan(plan, day, inputs.walk_in_percent)
    return day, date, {"demand": inputs.day_type, "walk_ins": walk_ins, "walk_ins_expected": base.walk_ins}


class _Reporting(Hallday):
    """The simulator's day, telling `progress` how far through the opening hours it is (in %), on stand-ins
    for the hall's own counters: a what-if runs while the hall works, and must neither lock the sessions
    of the counters clerks are using nor find them open (or busy) with today's real tickets."""

    def __init__(self, hall: Hall, *args, progress):
        super().__init__(hall, *args, stand_ins=True)
        self.progress, self.done = progress, -1
        self.opening, self.closing = self.sessions[0][0], self.sessions[-1][1]

    def _read_all(self, now: dt.datetime) -> None:
        super()._read_all(now)
        share = (now - self.opening) / max(self.closing - self.opening, dt.timedelta(minutes=1))
        percent = max(0, min(99, int(100 * share)))
        if percent > self.done:
            self.done = percent
            self.progress(percent)


def simulate(hall: Hall, inputs: Inputs, progress=lambda percent: None) -> dict:
    """Play the what-if day and return its result; every row the day wrote is rolled back."""
    day, date, played = demand(hall, inputs)
    found = rolled_back(lambda: _Reporting(hall, day, date, inputs.seed, progress=progress).run())
    result = result_of(found, {hour: day.counters.get(hour, 0) for hour in inputs.counters})
    return {**result, "played": {**played, "bookings_made": found.bookings}}


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)]


def result_of(log_: DayLog, counters: dict[int, int]) -> dict:
    """Per clock hour (the supervisor's hours, and any with arrivals): counters, tickets issued, mean
    and 90th-percentile wait, share within the target, most people inside and outside; and the day's
    totals. Plain numbers (JSON), rounded: the same day gives the same result."""
    local = log_.tz
    waits, inside, outside = defaultdict(list), defaultdict(int), defaultdict(int)
    issued, walk_ins = defaultdict(int), defaultdict(int)
    for ticket in log_.tickets.values():
        hour = ticket.issued_at.astimezone(local).hour
        issued[hour] += 1
        walk_ins[hour] += ticket.kind == "walk_in"
        if ticket.called_at is not None:
            waits[hour].append(ticket.wait())
    for reading in log_.occupancy:
        hour = reading.at.astimezone(local).hour
        inside[hour] = max(inside[hour], reading.inside)
        outside[hour] = max(outside[hour], reading.outside)
    target = log_.target_minutes
    hours = []
    for hour in sorted(set(counters) | set(issued)):
        called = waits[hour]
        hours.append(
            {
                "hour": hour,
                "counters": counters.get(hour, 0),
                "tickets": issued[hour],
                "walk_ins": walk_ins[hour],
                "called": len(called),
                "mean_wait": round(sum(called) / len(called), 1) if called else None,
                "p90_wait": round(_p90(called), 1) if called else None,
                "within_target": round(sum(w <= target for w in called) / len(called), 3) if called else None,
                "inside": inside[hour],
                "outside": outside[hour],
            }
        )
    called = [w for values in waits.values() for w in values]
    return {
        "hours": hours,
        "tickets": len(log_.tickets),
        "called": len(called),
        "not_called": len(log_.tickets) - len(called),
        "within_target": round(sum(w <= target for w in called) / len(called), 3) if called else None,
        "target_minutes": target,
        "mean_wait": round(sum(called) / len(called), 1) if called else None,
        "most_inside": max(inside.values(), default=0),
        "cap_inside": log_.cap_inside,
        "sent_outside": sum(not t.inside for t in log_.tickets.values()),
        "most_outside": max(outside.values(), default=0),
        "refused": sum(log_.refused.values()),
        "bookings": log_.bookings,
        "counter_hours": sum(counters.values()),
    }


# The background job


def inputs_of(run: WhatIfRun) -> Inputs:
    counters = {int(hour): int(count) for hour, count in run.counters.items()}
    return Inputs(run.date, run.day_type, run.walk_in_percent, run.seed, counters)


def _save_progress(job, percent: int) -> None:
    if job is not None:
        job.meta["progress"] = percent
        job.save_meta()


def run_job(run_id: int) -> None:
    """The RQ job: simulate the run's day and keep the result on its row. A second delivery of a started
    run does nothing."""
    if not WhatIfRun.claim(run_id):
        return
    run = WhatIfRun.objects.select_related("hall").get(pk=run_id)
    job = get_current_job()
    _save_progress(job, 0)
    try:
        # On SQLite the day plays on a copy of the database, which the hall's writes do not wait for; the
        # result is kept below, in the real one (simulation/dbcopy.py).
        with dbcopy.on_a_copy():
            result = simulate(run.hall, inputs_of(run), partial(_save_progress, job))
    except ValueError:  # the hall opens on no such day (its hours changed since the run was asked for)
        log.warning("what-if %s: no open day to simulate", run.pk)
        WhatIfRun.finish(run.pk, JobState.FAILED, error=CLOSED)
        return
    except Exception:
        WhatIfRun.finish(run.pk, JobState.FAILED, error=CRASHED)
        raise
    _save_progress(job, 100)
    WhatIfRun.finish(run.pk, JobState.DONE, result=result)


# Enqueuing, and the job's progress as the page reads it


def _no_worker(run_id: int) -> None:
    WhatIfRun.finish(run_id, JobState.FAILED, error=NO_WORKER)


def start(*, hall: Hall, user, inputs: Inputs, plan_counters: dict[int, int]) -> WhatIfRun:
    """Record the run and enqueue its job once the transaction commits (so the worker finds the row)."""
    run = WhatIfRun.objects.create(
        hall=hall,
        created_by=user,
        date=inputs.date,
        day_type=inputs.day_type,
        walk_in_percent=inputs.walk_in_percent,
        seed=inputs.seed,
        plan_counters={str(h): n for h, n in sorted(plan_counters.items())},
        counters={str(h): n for h, n in sorted(inputs.counters.items())},
        job_id=uuid.uuid4().hex,
    )
    enqueue_on_commit(
        JOB,
        run.pk,
        refused=_no_worker,
        job_id=run.job_id,
        job_timeout=JOB_TIMEOUT,
        result_ttl=RESULT_TTL,
        failure_ttl=RESULT_TTL,
    )
    return run


def progress_of(run: WhatIfRun) -> int | None:
    """The run's progress in % (100 when done); None when Redis cannot say. A job RQ no longer runs
    (failed, stopped, expired) fails the run, so that the page does not wait for ever."""
    if run.finished:
        return 100 if run.state == JobState.DONE else None
    try:
        job = Job.fetch(run.job_id, connection=queue().connection)
        status = job.get_status()
    except NoSuchJobError:
        job, status = None, None
    except (redis.RedisError, OSError):
        return None
    if job is None or status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        run.refresh_from_db()
        if not run.finished:  # the job did not get to record why
            WhatIfRun.finish(run.pk, JobState.FAILED, error=STOPPED)
            run.refresh_from_db()
        return 100 if run.state == JobState.DONE else None
    return int(job.meta.get("progress", 0))
