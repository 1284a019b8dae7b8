"""What-if for supervisors: the job keeps a result on the run's row and leaves no rows of the simulated day;
the same inputs and seed give the same result; only the hall's supervisors see its runs; bad input is
refused in the user's language, with nothing queued."""

import datetime as dt
import math
from dataclasses import replace

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rq import SimpleWorker
from rq.job import Job

from appointments import availability
from appointments.models import Booking
from hall.models import Counter, Hall
from queueing.models import CounterSession, Ticket, TicketKind, TicketState
from simulation import scenario, whatif
from simulation.job_models import JobState
from simulation.scenario import Pause
from simulation.whatif_models import WhatIfRun
from tests.makers import make_counter, make_hall, make_service, make_staff, make_weekday_hours
from tests.reports.day import make_ticket

# A small day, so that a test runs its job in seconds: the real day types keep their shape (bookings,
# walk-ins, breaks), with fewer people.
SMALL = scenario.day_type(
    "quiet", walk_ins=16, booking_fill=0.02, reading_minutes=30, pauses=(Pause(1, "10:00", 30),)
)


@pytest.fixture
def small_day(monkeypatch):
    monkeypatch.setitem(scenario.DAY_TYPES, "quiet", SMALL)


def run_worker(queue) -> None:
    """Run the queued jobs in this process, as `manage.py rqworker --burst` would."""
    SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)


@pytest.fixture
def supervisor(demo_hall):
    return make_staff(demo_hall, "boss", role="supervisor")


@pytest.fixture
def hall(db):
    """A small hall (two counters, weekdays 08:30-17:30) for the pages, which simulate nothing."""
    hall = make_hall()
    make_weekday_hours(hall)
    service = make_service(hall)
    make_counter(hall, 1, [service])
    make_counter(hall, 2, [service])
    return hall


@pytest.fixture
def boss(hall):
    return make_staff(hall, "boss", role="supervisor")


def plan_day(hall: Hall) -> dt.date:
    """Next Tuesday: the demo hall's long day."""
    today = hall.local_date(timezone.now())
    return today + dt.timedelta(days=(1 - today.weekday()) % 7 or 7)


def inputs(hall, **changes) -> whatif.Inputs:
    date = changes.pop("date", plan_day(hall))
    counters = changes.pop("counters", whatif.planned_counters(hall, date, "quiet"))
    fields = {"date": date, "day_type": "quiet", "walk_in_percent": 100, "seed": 1, "counters": counters}
    return whatif.Inputs(**{**fields, **changes})


def test_the_job_keeps_the_result_with_the_plan_and_leaves_no_rows_while_the_hall_works(
    demo_hall, supervisor, small_day, rq_queue, django_capture_on_commit_callbacks
):
    # A clerk works at counter 1 now: the what-if's day must neither need nor touch that counter.
    clerk = make_staff(demo_hall, "clerk")
    counter_one = Counter.objects.get(hall=demo_hall, number=1)
    CounterSession.objects.update_or_create(counter=counter_one, defaults={"state": "open", "user": clerk})
    before = (Ticket.objects.count(), Booking.objects.count(), Counter.objects.count())
    asked = inputs(demo_hall, counters={**inputs(demo_hall).counters, 9: 1, 10: 1})
    planned = whatif.planned_counters(demo_hall, asked.date, "quiet")
    with django_capture_on_commit_callbacks(execute=True):
        run = whatif.start(hall=demo_hall, user=supervisor, inputs=asked, plan_counters=planned)

    assert rq_queue.count == 1
    assert whatif.progress_of(run) == 0  # queued, not yet taken
    run_worker(rq_queue)

    run.refresh_from_db()
    assert run.state == JobState.DONE, run.error
    assert run.counters["9"] == 1 and run.plan_counters["9"] == planned[9]
    result = run.result
    hours = {h["hour"]: h for h in result["hours"]}
    assert set(planned) <= set(hours)
    assert (hours[9]["counters"], hours[10]["counters"]) == (1, 1)
    assert result["tickets"] >= 16 and result["called"] + result["not_called"] == result["tickets"]
    assert 0 <= result["within_target"] <= 1
    assert result["cap_inside"] == demo_hall.max_waiting_inside
    assert result["counter_hours"] == sum(asked.counters.values())
    assert Job.fetch(run.job_id, connection=rq_queue.connection).meta["progress"] == 100
    assert whatif.progress_of(run) == 100
    assert (Ticket.objects.count(), Booking.objects.count(), Counter.objects.count()) == before
    assert CounterSession.objects.filter(counter=counter_one, state="open", user=clerk).exists()


def test_the_inputs_decide_the_result_and_the_same_inputs_give_the_same_one(demo_hall, small_day):
    usual = inputs(demo_hall, walk_in_percent=200)
    short = inputs(demo_hall, walk_in_percent=200, counters={**usual.counters, 8: 1, 9: 1, 10: 1})

    first, again = whatif.simulate(demo_hall, usual), whatif.simulate(demo_hall, usual)
    other_seed = whatif.simulate(demo_hall, replace(usual, seed=2))
    fewer = whatif.simulate(demo_hall, short)

    assert first == again
    assert other_seed != first
    waits = [{h["hour"]: h["mean_wait"] or 0 for h in r["hours"]} for r in (first, fewer)]
    assert waits[1][9] + waits[1][10] > waits[0][9] + waits[0][10]
    assert fewer["counter_hours"] == first["counter_hours"] - sum(usual.counters[h] - 1 for h in (8, 9, 10))


def test_a_job_that_is_gone_fails_the_run_instead_of_waiting_for_ever(hall, boss, rq_queue):
    run = WhatIfRun.objects.create(
        hall=hall, date=plan_day(hall), day_type="quiet", counters={"9": 1}, job_id="gone"
    )

    assert whatif.progress_of(run) is None
    run.refresh_from_db()
    assert (run.state, run.error) == (JobState.FAILED, whatif.STOPPED)


# The pages


def form_data(hall, **changes) -> dict:
    date = plan_day(hall)
    data = {"date": date.isoformat(), "day": "quiet", "walk_in_percent": "100", "seed": "1"}
    data.update({f"c{h}": str(n) for h, n in whatif.planned_counters(hall, date, "quiet").items()})
    data.update(changes)
    return data


def test_the_form_starts_from_the_plan_and_a_post_queues_one_run(
    client, hall, boss, rq_queue, django_capture_on_commit_callbacks
):
    client.force_login(boss)
    address = reverse("whatif:start", args=[hall.slug])
    date = plan_day(hall)
    planned = whatif.planned_counters(hall, date, "quiet")

    page = client.get(address, {"date": date.isoformat(), "day": "quiet"})
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(address, form_data(hall, c9="5"))

    assert page.status_code == 200
    assert page.context["form"]["c9"].value() == planned[9]
    run = WhatIfRun.objects.get()
    assert posted.status_code == 302 and posted["Location"] == reverse("whatif:run", args=[hall.slug, run.pk])
    assert (run.counters["9"], run.created_by, run.state) == (5, boss, JobState.QUEUED)
    assert rq_queue.job_ids == [run.job_id]
    shown = client.get(posted["Location"]).content.decode()
    assert "等待后台任务" in shown and 'data-status-url="' in shown
    status = client.get(reverse("whatif:status", args=[hall.slug, run.pk])).json()
    assert (status["state"], status["finished"], status["progress"]) == ("queued", False, 0)


WALK_IN_LEVEL = "Enter a walk-in level from 0 to 300 %."


@pytest.mark.parametrize(
    ("changes", "chinese", "english"),
    [
        ({"c9": "-1"}, "09:00 的窗口数：请填写 0 或以上。", "Counters at 09:00: enter 0 or more."),
        (
            {"c10": "7"},
            "10:00 的窗口数最多 6 个（本大厅在用窗口 2 个的三倍）",
            "Counters at 10:00: at most 6 (three times",
        ),
        ({"c10": "two"}, "10:00 的窗口数：请填写整数。", "Counters at 10:00: enter a whole number."),
        (
            {"walk_in_percent": "301"},
            "请填写 0 至 300 % 的现场取号量",
            "Enter a walk-in level from 0 to 300 %.",
        ),
        (
            {"walk_in_percent": "-5"},
            "请填写 0 至 300 % 的现场取号量",
            "Enter a walk-in level from 0 to 300 %.",
        ),
        ({"date": "2000-01-04"}, "请选择今天或以后的日期。", "Choose today or a later day."),
    ],
)
def test_bad_input_is_refused_in_both_languages_and_nothing_is_queued(
    client, hall, boss, rq_queue, changes, chinese, english
):
    client.force_login(boss)
    address = reverse("whatif:start", args=[hall.slug])

    answers = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            response = client.post(address, form_data(hall, **changes), HTTP_ACCEPT_LANGUAGE=language)
        answers[language] = (response.status_code, response.content.decode())

    assert answers["zh-hans"][0] == answers["en"][0] == 400
    assert chinese in answers["zh-hans"][1]
    assert english in answers["en"][1]
    assert WhatIfRun.objects.count() == 0 and rq_queue.count == 0


def test_runs_are_for_the_halls_supervisors_only(client, hall, boss):
    run = WhatIfRun.objects.create(
        hall=hall, date=plan_day(hall), day_type="quiet", counters={"9": 1}, job_id="x"
    )
    other = make_staff(make_hall(slug="south"), "other-boss", role="supervisor")
    clerk = make_staff(hall, "clerk")
    pages = [
        reverse("whatif:start", args=[hall.slug]),
        reverse("whatif:run", args=[hall.slug, run.pk]),
        reverse("whatif:status", args=[hall.slug, run.pk]),
    ]
    own_slug_other_run = reverse("whatif:run", args=["south", run.pk])

    client.force_login(other)
    assert [client.get(page).status_code for page in pages] == [404, 404, 404]
    assert client.get(own_slug_other_run).status_code == 404  # their own hall's address, our run
    client.force_login(clerk)
    assert [client.get(page).status_code for page in pages] == [403, 403, 403]
    client.logout()
    assert all(client.get(page).status_code == 302 for page in pages)


def test_the_plan_page_and_the_header_link_to_the_what_if(client, hall, boss):
    client.force_login(boss)
    date = plan_day(hall)

    plan = client.get(reverse("reports:staffing", args=[hall.slug]), {"date": date.isoformat()})

    address = reverse("whatif:start", args=[hall.slug])
    assert f'href="{address}?date={date.isoformat()}"' in plan.content.decode()
    assert f'href="{address}"' in plan.content.decode()  # the staff header, under Supervision


REDIS_DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1: the connection is refused at once


def test_a_run_asked_for_while_redis_is_down_fails_and_says_why(
    client, hall, boss, settings, django_capture_on_commit_callbacks
):
    settings.RQ_QUEUES = {**settings.RQ_QUEUES, "simulation": {"URL": REDIS_DOWN}}
    client.force_login(boss)

    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(reverse("whatif:start", args=[hall.slug]), form_data(hall))

    run = WhatIfRun.objects.get()
    assert posted.status_code == 302
    assert (run.state, run.error) == (JobState.FAILED, whatif.NO_WORKER)
    shown = client.get(posted["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert shown.status_code == 200
    assert "The background worker could not be reached" in shown.content.decode()


def test_without_walk_ins_on_record_the_what_if_starts_from_the_day_types_counters(demo_hall):
    date = plan_day(demo_hall)
    service = demo_hall.services.get(code="hukou-certificate")
    slot = availability.day_availability(service=service, date=date, now=timezone.now()).slots[0]
    Booking.objects.create(hall=demo_hall, service=service, slot=slot, name="张三", phone="13800138000")

    planned = whatif.planned_counters(demo_hall, date, "normal")

    # The plan counts the one booking (a counter an hour); the day played has the normal day's walk-ins.
    assert planned[9] == scenario.DAY_TYPES["normal"].counters[9] == 5
    assert all(n >= 1 for n in planned.values())


# The plan's own demand


def walk_in_history(hall, date: dt.date, per_hour: dict[int, int], weeks=(2, 3)) -> None:
    """Walk-ins of id-card renewal on the same weekday `weeks` weeks before `date`: per_hour[h] in hour h
    on each of those days, each called 5 minutes after issue and handled in 12."""
    service = hall.services.get(code="id-card-renewal")
    for week in weeks:
        day = date - dt.timedelta(weeks=week)
        number = 0
        for hour, count in per_hour.items():
            for n in range(count):
                number += 1
                issued = dt.datetime.combine(day, dt.time(hour, 2 + 4 * n), hall.tz)
                called = issued + dt.timedelta(minutes=5)
                make_ticket(
                    hall,
                    service,
                    f"A{number:03d}",
                    TicketKind.WALK_IN,
                    TicketState.DONE,
                    issued,
                    called,
                    called,
                    called + dt.timedelta(minutes=12),
                )


def test_a_what_if_of_the_plan_plays_the_plans_walk_ins_per_hour_and_its_bookings(client, demo_hall):
    date = plan_day(demo_hall)
    per_hour = {9: 8, 10: 4, 14: 2}  # on each of two days on record
    walk_in_history(demo_hall, date, per_hour)
    hukou = demo_hall.services.get(code="hukou-certificate")
    slot = availability.day_availability(service=hukou, date=date, now=timezone.now()).slots[0]
    for n in range(3):
        Booking.objects.create(
            hall=demo_hall,
            service=hukou,
            slot=slot,
            name="张三",
            code=f"P{n}",
            manage_token=f"token-{n}",
            id_hash=f"id-{n}",
            phone_hash=f"p{n}",
        )
    plan = whatif.build_plan(demo_hall, date)
    assert whatif.default_day(plan) == whatif.PLAN
    asked = inputs(
        demo_hall,
        day_type=whatif.PLAN,
        walk_in_percent=300,
        counters=whatif.planned_counters(demo_hall, date, whatif.PLAN),
    )

    result = whatif.simulate(demo_hall, asked)

    played = result["played"]
    assert (played["demand"], played["walk_ins_expected"], played["walk_ins"]) == ("plan", 14, 42)
    assert (played["bookings"], played["bookings_made"], result["bookings"]) == (3, 3, 3)
    walk_ins = {h["hour"]: h["walk_ins"] for h in result["hours"]}
    for hour, count in per_hour.items():
        share, expected = count / 14, 3 * count
        tolerance = 3 * math.sqrt(42 * share * (1 - share))  # the seeded draw: binomial over the day's 42
        assert abs(walk_ins[hour] - expected) <= tolerance, (hour, walk_ins[hour], expected)
    # and none in the hours the plan expects nobody (a walk-in the kiosk refuses has no ticket)
    assert sum(walk_ins[hour] for hour in per_hour) + result["refused"] == 42, result
    assert played["walk_ins_per_hour"] == {"9": 24.0, "10": 12.0, "14": 6.0}

    # The run's page says what it played, in both languages.
    boss = make_staff(demo_hall, "planner", role="supervisor")
    run = WhatIfRun.objects.create(
        hall=demo_hall,
        date=date,
        day_type=whatif.PLAN,
        walk_in_percent=300,
        counters={"9": 1},
        state=JobState.DONE,
        result=result,
    )
    client.force_login(boss)
    address = reverse("whatif:run", args=[demo_hall.slug, run.pk])
    zh = client.get(address, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    en = client.get(address, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "本次推演：本方案的客流，预约 3 个照实到场，现场取号 42 人" in zh
    assert "（方案按有记录的 2 天、分小时分业务预计 14.0 人的 300 %）" in zh
    assert "Played: this plan's demand, 3 bookings as booked and 42 walk-ins (300 % of the 14.0" in en


def test_a_what_if_of_a_day_type_says_it_is_not_the_plans_demand(client, hall, boss):
    result = {
        "hours": [],
        "tickets": 0,
        "called": 0,
        "not_called": 0,
        "within_target": None,
        "target_minutes": 15,
        "mean_wait": None,
        "most_inside": 0,
        "cap_inside": 50,
        "sent_outside": 0,
        "counter_hours": 9,
        "played": {"demand": "quiet", "walk_ins": 40, "walk_ins_expected": 80, "bookings_made": 5},
    }
    run = WhatIfRun.objects.create(
        hall=hall,
        date=plan_day(hall),
        day_type="quiet",
        walk_in_percent=50,
        counters={"9": 1},
        state=JobState.DONE,
        result=result,
    )
    client.force_login(boss)

    address = reverse("whatif:run", args=[hall.slug, run.pk])
    en = client.get(address, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    zh = client.get(address, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "Played: Quiet day (80 walk-ins), 40 walk-ins (50 % of its 80) and 5 bookings, not this plan" in en
    assert (
        "本次推演：清闲日（现场取号约 80 人），现场取号 40 人（其 80 人的 50 %），预约 5 个；不是本方案" in zh
    )
