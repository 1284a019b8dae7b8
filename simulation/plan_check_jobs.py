"""The plan check's RQ job: the plan page asks for a check (simulation/plan_check_views.py), the job
rebuilds the day's plan, plays it and the plans the search tries (simulation/plan_check.py) and keeps the
result in its PlanCheck row. A check takes minutes: at most MAX_PLANS plans of len(SEEDS) simulated days.

Every simulated day runs in a transaction that is rolled back, on a date a year after the plan's, so no
real booking or ticket is touched. On PostgreSQL the day locks only rows of its own (stand-ins for the
hall's counters); on SQLite, whose transaction would hold the database's one write lock while the day
plays, the job plays on a copy of the database (simulation/dbcopy.py)."""

import datetime as dt
import logging

from django.db import close_old_connections, transaction
from django.utils import timezone

from hall.models import Hall
from reports.plan import build_plan
from simulation import dbcopy, jobs, plan_check, plan_demand
from simulation.job_models import JobState
from simulation.plan_check_models import PlanCheck

log = logging.getLogger(__name__)

JOB = "simulation.plan_check_jobs.run"
JOB_TIMEOUT = 3 * 3600
RESULT_TTL = 600


def run(check_id: int) -> str:
    close_old_connections()
    try:
        if not PlanCheck.claim(check_id):
            return "not queued"
        row = PlanCheck.objects.select_related("hall").get(pk=check_id)
        try:
            # On SQLite the days play on a copy of the database, which the hall's writes do not wait for;
            # the result is kept below, in the real one (simulation/dbcopy.py).
            with dbcopy.on_a_copy():
                result = check(row)
        except Exception as error:
            log.exception("plan check %s failed", check_id)
            PlanCheck.finish(check_id, JobState.FAILED, error=str(error)[:2000])
            raise
        PlanCheck.finish(check_id, JobState.DONE, result=result)
        return "done"
    finally:
        close_old_connections()


def check(row: PlanCheck) -> dict:
    plan = build_plan(row.hall, row.date)
    day, date = plan_demand.day_of_plan(plan)
    # The plan's own goal (the hall's), so that the page states one goal for Erlang C's plan and the check.
    counters = plan_demand.plan_counters(plan)
    found = plan_check.check_plan(row.hall, day, counters, date=date, goal=plan.goal / 100)
    return {**found.as_dict(), "simulated_date": date.isoformat()}


def busy(check: PlanCheck | None) -> bool:
    """Queued or running, and not older than the job may run (a worker that died leaves a row running)."""
    since = timezone.now() - dt.timedelta(seconds=JOB_TIMEOUT)
    return bool(check and check.pending and check.requested_at >= since)


def latest(hall: Hall, date: dt.date) -> PlanCheck | None:
    return PlanCheck.objects.filter(hall=hall, date=date).order_by("-requested_at", "-pk").first()


def request(hall: Hall, date: dt.date, user) -> PlanCheck | None:
    """Queue a check of the day's plan, its job enqueued on commit; None when one is already queued or
    running. One at a time per hall: two clicks at once (a double click, two supervisors) queue one job, as
    the hall's row is locked while the latest check is read and the new one created."""
    with transaction.atomic():
        Hall.objects.select_for_update().filter(pk=hall.pk).values_list("pk").get()
        if busy(latest(hall, date)):
            return None
        row = PlanCheck.objects.create(hall=hall, date=date, requested_by=user)
        enqueue_on_commit(row.pk)
    return row


def _no_worker(check_id: int) -> None:
    PlanCheck.finish(
        check_id, JobState.FAILED, only_from=JobState.QUEUED, error="the job queue is not reachable"
    )


def enqueue_on_commit(check_id: int) -> None:
    jobs.enqueue_on_commit(
        JOB,
        check_id,
        refused=_no_worker,
        job_timeout=JOB_TIMEOUT,
        result_ttl=RESULT_TTL,
        failure_ttl=7 * 24 * 3600,
    )
