"""The demo hall's past days (simulation/history.py): played by the simulator and kept, by weekday, seeded,
once; silent (no message, no live event, the counters as they were), within the privacy rules; and started
by `dev.py run` without waiting for it. Days are played at a tenth of their walk-ins and bookings (`scale`)
so that a test takes seconds."""

import datetime as dt
import io
import itertools
import re
import signal

import django_rq
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rq import SimpleWorker

import dev
from appointments import housekeeping
from appointments.availability import rules_for
from appointments.models import Booking, BookingState
from hall.models import Hall
from notifications.models import Notification
from queueing import calls, invariants
from queueing.models import CounterSession, CounterState, Ticket, TicketKind
from queueing.services import Actor
from reports.models import FollowUp, Rating
from reports.plan import build_plan
from simulation import history, people
from simulation.api import rolled_back, simulate_day
from tests.races import all_at_once
from webhooks.models import Subscriber

pytestmark = pytest.mark.django_db
SCALE = 0.1


def today(hall):
    return hall.local_date(timezone.now())


def day_rows(hall, date) -> list[tuple]:
    return list(
        Ticket.objects.filter(hall=hall, date=date)
        .order_by("number")
        .values_list("number", "service__code", "kind", "state", "issued_at", "completed_at")
    )


def test_a_week_of_past_open_days_is_played_and_kept_the_busiest_on_monday(demo_hall):
    now = today(demo_hall)

    played = history.play_history(demo_hall, weeks=1, scale=SCALE)

    open_days = history.past_days(demo_hall, weeks=1, today=now)
    assert [d.date for d in played] == open_days  # the most recent first
    assert open_days and all(now - dt.timedelta(days=7) <= d < now for d in open_days)
    assert len(open_days) == 6 and all(d.weekday() != 6 for d in open_days)  # closed on Sundays
    walk_ins = {}
    for day in played:
        tickets = Ticket.objects.filter(hall=demo_hall, date=day.date)
        assert tickets.count() == day.tickets > 0
        assert day.day == ("normal" if day.date.weekday() == 0 else "quiet")
        walk_ins[day.date] = tickets.filter(kind=TicketKind.WALK_IN, transferred_from=None).count()
    monday = next(d for d in walk_ins if d.weekday() == 0)
    assert all(walk_ins[monday] > n for d, n in walk_ins.items() if d != monday)
    # Served by the hall's window staff, so that the report's figures per staff member fill in.
    served_by = set(
        Ticket.objects.filter(hall=demo_hall, state="done").values_list("owner__username", flat=True)
    )
    assert served_by and served_by <= {"wc_clerk1", "wc_clerk2", "wc_clerk3", "wc_clerk4"}
    # Some rate their visit, none poorly enough to open a follow-up case that would stand overdue.
    scores = set(Rating.objects.filter(hall=demo_hall).values_list("score", flat=True))
    assert scores and scores <= {3, 4, 5} and not FollowUp.objects.exists()
    assert not invariants.check_all()  # no ticket left waiting, no counter left open, ...


def test_playing_again_adds_nothing_and_a_real_day_is_left_alone(demo_hall):
    first = history.play_history(demo_hall, weeks=1, scale=SCALE, days=2)
    counts = (Ticket.objects.count(), Booking.objects.count())

    assert len(first) == 2
    assert history.play_history(demo_hall, weeks=1, scale=SCALE, days=2) != []  # the next two days
    again = history.play_history(demo_hall, weeks=1, scale=SCALE)
    assert {d.date for d in again}.isdisjoint({d.date for d in first})
    assert history.play_history(demo_hall, weeks=1, scale=SCALE) == []
    for day in first:
        assert len(day_rows(demo_hall, day.date)) == day.tickets
    assert Ticket.objects.count() > counts[0]


def test_the_same_seed_plays_the_same_day_and_another_seed_another(demo_hall):
    date = history.past_days(demo_hall, weeks=1, today=today(demo_hall))[0]

    def play(seed):
        def work():
            history.play_history(demo_hall, weeks=1, seed=seed, days=1, scale=SCALE)
            return day_rows(demo_hall, date)

        return rolled_back(work)

    first, second, other = play(3), play(3), play(4)
    assert first and first == second
    assert other != first


def test_a_past_day_tells_nobody_and_leaves_the_counters_as_they_were(
    demo_hall, django_capture_on_commit_callbacks
):
    clerk = get_user_model().objects.get(username="wc_clerk1")
    counter = demo_hall.counters.get(number=1)
    calls.open_counter(counter=counter, actor=Actor("console", clerk))
    before = CounterSession.objects.get(counter=counter)
    counters = demo_hall.counters.count()

    with django_capture_on_commit_callbacks() as callbacks:
        played = history.play_history(demo_hall, weeks=1, scale=SCALE, days=3)

    assert sum(d.bookings for d in played) > 0 and sum(d.tickets for d in played) > 0
    assert callbacks == []  # no message enqueued, no live event to the hall's screens
    assert not Notification.objects.filter(hall=demo_hall).exists()
    after = CounterSession.objects.get(counter=counter)
    assert (after.state, after.user, after.changed_at) == (CounterState.OPEN, clerk, before.changed_at)
    assert demo_hall.counters.count() == counters  # no desk added: at most the hall's windows were open
    assert not Booking.objects.filter(hall=demo_hall, state=BookingState.BOOKED).exists()  # no-shows marked


def test_the_nightly_erasure_finds_nothing_due_then_erases_the_past_days_like_any(demo_hall):
    history.play_history(demo_hall, weeks=1, scale=SCALE, days=2)
    now = timezone.now()
    kept = Booking.objects.filter(hall=demo_hall)
    assert kept.exists() and not kept.filter(name="").exists()

    assert housekeeping.erase_expired_personal_data(now=now) == 0
    retention = rules_for(demo_hall).retention_days
    later = now + dt.timedelta(days=retention + 8)
    assert housekeeping.erase_expired_personal_data(now=later) == kept.count()
    assert not kept.exclude(name="").exists() and not kept.exclude(phone="").exists()
    assert not invariants.check_all()


def test_a_hall_with_webhook_subscribers_gets_no_made_up_days(demo_hall):
    Subscriber.objects.create(hall=demo_hall, name="city", url="https://example.org/hook", events=["ticket"])

    with pytest.raises(ValueError, match="webhook"):
        history.play_history(demo_hall, weeks=1, scale=SCALE)
    with pytest.raises(CommandError, match="webhook"):
        call_command("play_history", "--weeks", "1", "--scale", "0.1")
    assert not Ticket.objects.exists()


def test_the_command_plays_the_days_it_is_asked_for(demo_hall):
    out = io.StringIO()

    call_command("play_history", "--weeks", "1", "--days", "2", "--scale", "0.1", stdout=out)

    assert "wangchuan: 2 past days played." in out.getvalue()
    assert Ticket.objects.filter(hall=demo_hall).values("date").distinct().count() == 2
    with pytest.raises(CommandError, match="slug"):
        call_command("play_history", "--hall", "nowhere")


def test_the_command_enqueues_the_history_for_the_simulation_worker(demo_hall, settings):
    queue = django_rq.get_queue("simulation")
    queue.empty()
    try:
        call_command("play_history", "--enqueue", stdout=io.StringIO())
        call_command("play_history", "--enqueue", stdout=io.StringIO())  # already queued: one job

        assert [(job.id, job.func_name, job.args[0]) for job in queue.jobs] == [
            ("history-wangchuan", history.JOB, "wangchuan")
        ]
    finally:
        queue.empty()
    settings.RQ_QUEUES = {**settings.RQ_QUEUES, "simulation": {"URL": "redis://127.0.0.1:1/0"}}
    history.jobs._connection.cache_clear()
    try:
        with pytest.raises(CommandError, match="not reachable"):
            call_command("play_history", "--enqueue", stdout=io.StringIO())
    finally:
        history.jobs._connection.cache_clear()


@pytest.mark.django_db(transaction=True)
def test_the_worker_plays_the_enqueued_history(demo_hall, monkeypatch):
    monkeypatch.setattr(history, "play_history", _small(history.play_history))
    book_ahead = history.book_ahead
    monkeypatch.setattr(history, "book_ahead", lambda hall, **options: book_ahead(hall, **options, days=1))
    queue = django_rq.get_queue("simulation")
    queue.empty()
    history.enqueue(demo_hall.slug, weeks=1)

    SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)

    assert Ticket.objects.filter(hall=demo_hall).values("date").distinct().count() == 1
    assert Booking.objects.filter(hall=demo_hall, slot__date__gt=today(demo_hall)).exists()  # and ahead


def _small(play):
    return lambda hall, **options: play(hall, **{**options, "days": 1, "scale": SCALE})


def test_dev_run_enqueues_the_history_and_serves_without_waiting_for_it(monkeypatch):
    started, managed = [], []

    class Stopped:
        pid = 0

        def poll(self):
            return 0  # every process "stopped" at once: run() returns

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # no embedded Redis started
    monkeypatch.setenv("SITE_URL", "http://testserver")  # run() writes its environment into os.environ
    monkeypatch.delenv("DEMO_HISTORY", raising=False)
    monkeypatch.setattr(dev, "manage", lambda *args: managed.append(args))
    monkeypatch.setattr(dev, "spawn", lambda args, env: Stopped())
    monkeypatch.setattr(dev, "stop", lambda procs, redis=None: None)
    monkeypatch.setattr(dev.subprocess, "Popen", lambda args, **options: started.append(args) or Stopped())
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        assert dev.run() == 1
    finally:
        signal.signal(signal.SIGINT, handlers[0])
        signal.signal(signal.SIGTERM, handlers[1])

    assert managed == [("migrate", "--no-input", "-v", "0"), ("seed_demo",)]  # waited for: only these
    assert [args[1:] for args in started] == [
        ["manage.py", "play_history", "--hall", "wangchuan", "--enqueue"]
    ]


def test_after_the_history_the_plan_page_plans_from_it(client, demo_hall):
    now = today(demo_hall)
    history.play_history(demo_hall, weeks=1, scale=SCALE)
    played = history.past_days(demo_hall, weeks=1, today=now)
    # The next open day whose weekday was played last week.
    date = next(d for n in range(1, 8) if (d := now + dt.timedelta(days=n)) - dt.timedelta(weeks=1) in played)
    plan = build_plan(demo_hall, date)
    assert plan.days_on_record == 1 and sum(h.walk_ins for h in plan.hours) > 0
    client.force_login(get_user_model().objects.get(username="wc_supervisor"))

    page = client.get(
        reverse("reports:staffing", args=[demo_hall.slug]),
        {"date": date.isoformat()},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    text = re.sub(r"\s+", " ", page.content.decode())
    assert page.status_code == 200
    assert 'id="no-history"' not in text
    assert f"Roster suggestion (peak: {plan.peak} counters)" in text
    walk_ins = [f"{h.walk_ins:.1f}" for h in plan.hours if h.walk_ins]
    assert all(f'<td class="num">{w}</td>' in text for w in walk_ins)


def test_today_before_any_ticket_points_the_supervisor_to_the_last_day_played(client, demo_hall):
    played = history.play_history(demo_hall, weeks=1, scale=SCALE, days=1)
    client.force_login(get_user_model().objects.get(username="wc_supervisor"))
    address = reverse("reports:dashboard", args=[demo_hall.slug])

    english = re.sub(r"\s+", " ", client.get(address, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    chinese = re.sub(r"\s+", " ", client.get(address, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    last = played[0].date

    assert f"No tickets on this day. The last day with tickets was {last:%Y-%m-%d} {last:%A}." in english
    assert f'<a href="?date={last:%Y-%m-%d}">Show that day</a>' in english
    assert f"最近一个有取号的日子是 {last:%Y-%m-%d}" in chinese
    shown = client.get(address, {"date": last.isoformat()}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="no-tickets-yet"' not in shown
    assert f'data-figure="issued">{played[0].tickets}<' in shown


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_play_each_day_once(demo_hall):
    """The hall's row is locked while a day is checked and played: the second run finds the day played and
    plays the next one."""

    def run(_i):
        return history.play_history(Hall.objects.get(pk=demo_hall.pk), weeks=1, scale=SCALE, days=1)

    results = all_at_once(run, threads=2, timeout=120)

    dates = [day.date for result in results for day in result]
    assert len(dates) == 2 and len(set(dates)) == 2
    for date in dates:
        numbers = [row[0] for row in day_rows(demo_hall, date)]
        assert numbers and len(numbers) == len(set(numbers))


def test_a_past_day_is_the_same_day_without_the_citizens_readings(demo_hall):
    """History days skip the estimate readings (half the CPU): they draw nothing, so the day is the same."""
    date = history.past_days(demo_hall, weeks=1, today=today(demo_hall))[0]
    day = history.day_for(demo_hall, date, scale=SCALE)

    def rows(readings: bool) -> list[tuple]:
        def work():
            log = simulate_day(demo_hall, day, seed=5, date=date, keep=True, readings=readings)
            return log, day_rows(demo_hall, date)

        return rolled_back(work)

    (with_log, with_rows), (without_log, without_rows) = rows(True), rows(False)
    assert with_rows and with_rows == without_rows
    assert any(t.readings for t in with_log.tickets.values())
    assert not any(t.readings for t in without_log.tickets.values())


def test_after_the_history_the_what_if_starts_from_the_plans_own_demand(client, demo_hall):
    now = today(demo_hall)
    client.force_login(get_user_model().objects.get(username="wc_supervisor"))
    address = reverse("whatif:start", args=[demo_hall.slug])
    date = next(d for n in range(1, 8) if people_open(demo_hall, d := now + dt.timedelta(days=n)))

    before = client.get(address, {"date": date.isoformat()}).content.decode()
    history.play_history(demo_hall, weeks=1, scale=SCALE)  # a tenth of the walk-ins: like a quiet day
    after = client.get(address, {"date": date.isoformat()}).content.decode()
    chosen = client.get(address, {"date": date.isoformat(), "day": "peak"}).content.decode()

    assert '<option value="normal" selected>' in before  # no history: the default
    assert '<option value="plan" selected>' in after
    expected = round(sum(h.walk_ins for h in build_plan(demo_hall, date).hours))
    assert f"现场取号 {expected} 人" in after and expected > 0  # the page says what it will play
    assert '<option value="peak" selected>' in chosen  # the supervisor's choice stands


def people_open(hall, date) -> bool:
    return bool(people.sessions(hall, date))


def test_no_made_up_citizen_comes_back_within_the_reports_30_days(demo_hall):
    """Each day books citizens of its own: otherwise the report's "needed another visit" (最多跑一次) would
    count made-up citizens who happened to share an ID number with one of an earlier day."""
    start = today(demo_hall)
    days = [start - dt.timedelta(days=n) for n in range(70)]
    blocks = sorted(people.first_serial(d) for d in days)

    assert all(b - a >= people.CITIZEN_BLOCK for a, b in itertools.pairwise(blocks))
    assert blocks[0] >= 1000 and blocks[-1] + people.CITIZEN_BLOCK <= 15000  # people.citizen's distinct IDs
    played = history.play_history(demo_hall, weeks=1, scale=SCALE, days=2)
    ids = [set(Booking.objects.filter(slot__date=d.date).values_list("id_hash", flat=True)) for d in played]
    assert ids[0] and ids[1] and not ids[0] & ids[1]
    assert max(d.bookings for d in played) < people.CITIZEN_BLOCK


def test_after_the_history_the_ranking_ranks_the_windows_by_their_ratings(client, demo_hall):
    played = history.play_history(demo_hall, weeks=1, scale=SCALE, days=3)
    client.force_login(get_user_model().objects.get(username="wc_supervisor"))
    month = played[-1].date.strftime("%Y-%m")
    address = reverse("reports:ranking", args=[demo_hall.slug])

    zh = client.get(address, {"month": month}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    en = client.get(address, {"month": month}, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<th scope="col">名次</th>' in zh  # the rank, not 地点 (a place)
    assert '<th scope="col">Place</th>' in en
    assert "No ratings in this month." not in en


def test_the_coming_open_days_are_booked_ahead_quietly_and_once(demo_hall):
    made = history.book_ahead(demo_hall, days=2)

    dates = list(made)
    assert len(dates) == 2 and all(d > today(demo_hall) and people.sessions(demo_hall, d) for d in dates)
    assert made[dates[0]] > 0 and made[dates[1]] > 0
    assert made[dates[0]] >= made[dates[1]]  # the nearest day is the fullest
    booked = Booking.objects.filter(hall=demo_hall, slot__date__in=dates)
    assert booked.count() == sum(made.values())
    assert set(booked.values_list("state", flat=True)) == {BookingState.BOOKED}
    assert not Notification.objects.filter(subject_type="booking").exists()  # nobody was told
    assert history.book_ahead(demo_hall, days=2) == dict.fromkeys(dates, 0)  # once
    assert booked.count() == sum(made.values())
    assert not invariants.check_all()  # the slots' places add up


def test_a_day_booked_ahead_is_played_with_its_bookings_once_it_has_passed(demo_hall):
    made = history.book_ahead(demo_hall, days=1, now=timezone.now() - dt.timedelta(days=9))
    (date,) = made
    ahead = set(Booking.objects.filter(hall=demo_hall, slot__date=date).values_list("pk", flat=True))
    assert ahead and not history.played(demo_hall, date)

    played = history.play_history(demo_hall, weeks=2, scale=SCALE)

    assert date in {d.date for d in played}
    assert set(Booking.objects.filter(hall=demo_hall, slot__date=date).values_list("pk", flat=True)) == ahead
    came = Ticket.objects.filter(hall=demo_hall, date=date, kind=TicketKind.APPOINTMENT)
    assert came.exists() and set(came.values_list("booking_id", flat=True)) <= ahead
    assert not Booking.objects.filter(pk__in=ahead, state=BookingState.BOOKED).exists()  # came, or no-show
    assert not invariants.check_all()
