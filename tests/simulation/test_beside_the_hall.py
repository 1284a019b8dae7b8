"""A what-if or a plan check runs while the hall works: a kiosk's ticket and a counter's call, written from
another thread (another connection, as the web process beside the worker) while the job's simulated day
plays, go through, and the job's result is kept.

On SQLite the database is the demo's: a file in WAL mode, IMMEDIATE transactions and a busy timeout
(hall/settings.py; here 2 s instead of 20, so that the failure shown costs the test 2 s). A day played on
the database itself holds SQLite's one write lock until it is rolled back, and the hall's write fails with
"database is locked": the job plays on a copy instead (simulation/dbcopy.py). On PostgreSQL the day locks
only rows of its own, and the hall's writes go through either way."""

import datetime as dt
import sqlite3
import threading
import uuid

import pytest
from django.db import OperationalError, connection, connections

from queueing import calls, walkins
from queueing.models import Ticket, TicketState
from queueing.services import Actor
from simulation import dbcopy, plan_check, plan_check_jobs, whatif
from simulation.engine import Hallday
from simulation.job_models import JobState
from simulation.plan_check_models import PlanCheck
from simulation.whatif_models import WhatIfRun
from tests.makers import make_staff
from tests.queueing.helpers import make_hall_open_today

SQLITE = connection.vendor == "sqlite"
BUSY_TIMEOUT = 2


@pytest.fixture
def use_database(transactional_db, tmp_path):
    """On SQLite, the test database copied to a file used as the demo uses its own; returns what points a
    thread's connection at it (this thread's already is). On PostgreSQL, the test database as it is."""
    if not SQLITE:
        yield lambda: None
        return
    original = connections["default"]
    original.ensure_connection()
    path = tmp_path / "hall.sqlite3"
    target = sqlite3.connect(path)
    original.connection.backup(target)
    target.close()
    options = {**original.settings_dict["OPTIONS"], "timeout": BUSY_TIMEOUT}
    settings_dict = {**original.settings_dict, "NAME": str(path), "OPTIONS": options}

    def use():
        connections["default"] = original.__class__(settings_dict, "default")

    use()
    yield use
    connections["default"].close()
    connections["default"] = original


@pytest.fixture
def hall(use_database, furnish_for_what_if):
    """Open today for real work, with window 1 open (what the hall works at while the job plays), and
    furnished for a what-if of about twenty walk-ins (conftest.py)."""
    hall = furnish_for_what_if(make_hall_open_today())
    calls.open_counter(counter=hall.counters.get(number=1), actor=Actor("console", make_staff(hall)))
    return hall


def the_hall_works(hall, use_database) -> str:
    """A walk-in takes a ticket at the kiosk and window 1 calls it, in another thread with its own
    connection; "ok", or the database's error."""
    outcome = []

    def work():
        use_database()
        try:
            ticket = walkins.issue_walk_in(
                hall=hall, service=hall.services.get(code="pickup"), actor=Actor("kiosk")
            ).ticket
            clerk = hall.counters.get(number=1).session.user
            called = calls.call_next(counter=hall.counters.get(number=1), actor=Actor("console", clerk))
            outcome.append("ok" if called and called.pk == ticket.pk else f"called {called}")
        except OperationalError as error:
            outcome.append(str(error))
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    return outcome[0]


@pytest.fixture
def while_a_day_plays(monkeypatch, hall, use_database):
    """What the hall's work answered when it was tried once, in the middle of the job's simulated day."""
    answers = []
    read_all = Hallday._read_all

    def reading_then_the_hall_works(self, now):
        read_all(self, now)
        if not answers:
            answers.append(the_hall_works(hall, use_database))

    monkeypatch.setattr(Hallday, "_read_all", reading_then_the_hall_works)
    return answers


def a_what_if(hall, date: dt.date) -> WhatIfRun:
    counters = whatif.planned_counters(hall, date, "quiet")
    return WhatIfRun.objects.create(
        hall=hall,
        date=date,
        day_type="quiet",
        walk_in_percent=25,
        plan_counters={str(h): n for h, n in counters.items()},
        counters={str(h): n for h, n in counters.items()},
        job_id=uuid.uuid4().hex,
    )


def called_for_real(hall) -> list[tuple[str, str]]:
    return list(Ticket.objects.filter(hall=hall).values_list("number", "state"))


def test_a_what_if_lets_the_hall_work_and_keeps_its_result(hall, while_a_day_plays, next_tuesday):
    run = a_what_if(hall, next_tuesday)

    whatif.run_job(run.pk)

    assert while_a_day_plays == ["ok"]
    run.refresh_from_db()
    assert run.state == JobState.DONE, run.error
    assert run.result["tickets"] > 0 and run.result["counter_hours"] == sum(run.counters.values())
    assert called_for_real(hall) == [("B001", TicketState.CALLED)]  # the hall's, and none of the day's


def test_a_plan_check_lets_the_hall_work_and_keeps_its_result(
    hall, while_a_day_plays, monkeypatch, next_tuesday
):
    monkeypatch.setattr(plan_check, "SEEDS", (1,))  # one simulated day: the search has its own tests
    monkeypatch.setattr(plan_check, "MAX_PLANS", 1)
    check = PlanCheck.objects.create(hall=hall, date=next_tuesday)

    assert plan_check_jobs.run(check.pk) == "done"

    assert while_a_day_plays == ["ok"]
    check.refresh_from_db()
    assert check.state == JobState.DONE, check.error
    assert check.result["start"]["counters"] and check.result["simulations"] == 1
    assert called_for_real(hall) == [("B001", TicketState.CALLED)]


def test_a_day_played_on_the_database_itself_locks_the_hall_out_on_sqlite(
    hall, while_a_day_plays, monkeypatch, next_tuesday
):
    """Why the copy: without it, SQLite's write lock is the job's for the whole day. PostgreSQL is
    unchanged: its day never needed a copy."""
    monkeypatch.setattr(dbcopy, "copies", lambda alias="default": False)
    run = a_what_if(hall, next_tuesday)

    whatif.run_job(run.pk)

    run.refresh_from_db()
    assert run.state == JobState.DONE, run.error
    if SQLITE:
        assert while_a_day_plays == ["database is locked"]
        assert called_for_real(hall) == []
    else:
        assert while_a_day_plays == ["ok"]
        assert called_for_real(hall) == [("B001", TicketState.CALLED)]
