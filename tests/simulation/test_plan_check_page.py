"""The plan page's "Check this plan" button: the supervisor asks, the RQ job (run here in-process, as
`manage.py rqworker --burst` would) plays the plan and the plans the search tries, and the page then says
what the simulation found, in Chinese and in English."""

import datetime as dt
import re

import django_rq
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rq import SimpleWorker

from reports.models import ReportSettings
from reports.plan import build_plan
from simulation import people, plan_check, plan_check_jobs, plan_demand
from simulation.api import next_open_day
from simulation.job_models import JobState
from simulation.plan_check_models import PlanCheck
from simulation.scenario import Draws, day_type
from tests.races import all_at_once

pytestmark = pytest.mark.django_db(transaction=True)  # the job enqueued on commit; the job's own reads


def run_jobs() -> None:
    queue = django_rq.get_queue("simulation")
    SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)


@pytest.fixture
def booked_day(demo_hall):
    """A Tuesday two weeks ahead with some bookings: the plan asks for counters."""
    date = next_open_day(demo_hall, timezone.localdate() + dt.timedelta(days=14))
    people.book_day(demo_hall, day_type("quiet", booking_fill=0.1), date, Draws(1), timezone.now())
    return date


@pytest.fixture
def supervisor(client, demo_hall):
    client.force_login(get_user_model().objects.get(username="wc_supervisor"))
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_supervisor_checks_the_plan_and_reads_the_result_in_both_languages(
    supervisor, demo_hall, booked_day, monkeypatch
):
    monkeypatch.setattr(plan_check, "SEEDS", (1,))
    monkeypatch.setattr(plan_check, "MAX_PLANS", 2)
    django_rq.get_queue("simulation").empty()
    page = f"{reverse('reports:staffing', args=[demo_hall.slug])}?date={booked_day.isoformat()}"
    erlang = sum(h.needed for h in build_plan(demo_hall, booked_day).hours)
    assert erlang > 0
    before = text(supervisor.get(page))
    assert "检验此方案" in before and "模拟检验" in before

    asked = supervisor.post(reverse("plan_check:start", args=[demo_hall.slug]), {"date": booked_day})

    assert asked.status_code == 302 and asked["Location"].endswith("#plan-check")
    row = PlanCheck.objects.get()
    assert (row.hall, row.date, row.state) == (demo_hall, booked_day, JobState.QUEUED)
    waiting = text(supervisor.get(page))
    assert "检验等待开始" in waiting and "检验此方案" not in waiting  # one check at a time
    run_jobs()
    row.refresh_from_db()
    assert row.state == JobState.DONE and row.result["seeds"] == [1]
    assert row.result["start"]["counter_hours"] == erlang
    zh = text(supervisor.get(page))
    assert "Erlang C 方案（本页）" in zh and "窗口时数" in zh and "15 分钟内叫号" in zh
    assert f'<th scope="row">Erlang C 方案（本页）</th><td class="num">{erlang}</td>' in zh
    assert "共模拟 " in zh and "检验此方案" in zh  # and it can be checked again
    en = text(supervisor.get(page, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Checked by simulation" in en and "Counter-hours" in en
    assert f'<th scope="row">Erlang C (this page)</th><td class="num">{erlang}</td>' in en
    assert "simulated days in all" in en
    assert call_command("check_invariants") is None


def test_a_bad_day_is_refused_in_the_users_language(supervisor, demo_hall):
    response = supervisor.post(
        reverse("plan_check:start", args=[demo_hall.slug]), {"date": "2026-13-45"}, follow=True
    )

    assert response.status_code == 200
    assert "请选择有效的日期" in text(response)
    assert not PlanCheck.objects.exists()


def test_window_staff_cannot_start_a_check(client, demo_hall):
    client.force_login(get_user_model().objects.get(username="wc_clerk1"))

    response = client.post(reverse("plan_check:start", args=[demo_hall.slug]), {"date": "2027-12-07"})

    assert response.status_code == 403 and not PlanCheck.objects.exists()


def test_a_check_asked_for_while_redis_is_down_fails_and_can_be_asked_again(
    supervisor, demo_hall, booked_day, settings
):
    settings.RQ_QUEUES = {**settings.RQ_QUEUES, "simulation": {"URL": "redis://127.0.0.1:1/0"}}
    page = f"{reverse('reports:staffing', args=[demo_hall.slug])}?date={booked_day.isoformat()}"

    asked = supervisor.post(reverse("plan_check:start", args=[demo_hall.slug]), {"date": booked_day})

    assert asked.status_code == 302
    assert PlanCheck.objects.get().state == JobState.FAILED
    shown = text(supervisor.get(page, HTTP_ACCEPT_LANGUAGE="en"))
    assert "failed. You can start it again." in shown and "Check this plan" in shown


@pytest.mark.requires_postgres
def test_clicks_at_once_queue_one_check(demo_hall, booked_day):
    """A double click, or two supervisors at once: one check is queued, the others are told it runs."""
    django_rq.get_queue("simulation").empty()
    boss = get_user_model().objects.get(username="wc_supervisor")
    url = reverse("plan_check:start", args=[demo_hall.slug])

    def click(_i):
        client = Client()
        client.force_login(boss)
        return client.post(url, {"date": booked_day}).status_code

    answers = all_at_once(click, threads=6)

    assert answers == [302] * 6
    assert PlanCheck.objects.count() == 1
    assert django_rq.get_queue("simulation").count == 1


@pytest.mark.parametrize("goal", [None, 85])
def test_the_plan_page_states_one_goal_and_the_check_checks_it(
    supervisor, demo_hall, booked_day, goal, monkeypatch
):
    """Erlang C's plan and the simulated check aim at the same share: the hall's own (90 % unless set)."""
    if goal is not None:
        ReportSettings.objects.create(hall=demo_hall, service_level_percent=goal)
    expected = goal or 90
    page = f"{reverse('reports:staffing', args=[demo_hall.slug])}?date={booked_day.isoformat()}"

    en = text(supervisor.get(page, HTTP_ACCEPT_LANGUAGE="en"))

    erlang = re.findall(r"so that (\d+)% of citizens", en)  # the plan's lead
    checked = re.findall(r"(?:fewer than|reaches) (\d+)%", en)  # the check's description
    assert erlang == [str(expected)] and checked == [str(expected)] * 2
    asked = {}
    monkeypatch.setattr(plan_check, "check_plan", lambda *args, **options: asked.update(options) or _stop())
    with pytest.raises(_Stopped):
        plan_check_jobs.check(PlanCheck(hall=demo_hall, date=booked_day))
    assert asked["goal"] == expected / 100


class _Stopped(Exception):
    pass


def _stop():
    raise _Stopped


def test_a_checked_plan_with_more_counters_than_windows_says_so(supervisor, demo_hall, booked_day):
    """The plan's own table marks an hour that needs more than the windows in service; so does the check's."""
    plan = build_plan(demo_hall, booked_day)
    counters = plan_demand.plan_counters(plan)
    busy = max(counters, key=counters.get)
    more = {**counters, busy: plan.available + 1}
    trial = plan_check.Trial(more, 100, 95, {}, (0.95,), plan.goal / 100)
    start = plan_check.Trial(counters, 100, 70, {}, (0.7,), plan.goal / 100)
    result = plan_check.Check(start, plan.goal / 100, (1,), 12, [start, trial], 2).as_dict()
    PlanCheck.objects.create(hall=demo_hall, date=booked_day, state=JobState.DONE, result=result)
    page = f"{reverse('reports:staffing', args=[demo_hall.slug])}?date={booked_day.isoformat()}"

    en = text(supervisor.get(page, HTTP_ACCEPT_LANGUAGE="en"))
    zh = text(supervisor.get(page))

    hours = re.search(r'id="plan-check-hours".*?</table>', en).group(0)
    assert hours.count("(more than available)") == 1
    assert f"<strong>{plan.available + 1}</strong> <strong>(more than available)</strong>" in hours
    assert "(超过现有窗口)" in re.search(r'id="plan-check-hours".*?</table>', zh).group(0)
