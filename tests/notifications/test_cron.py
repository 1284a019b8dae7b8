import redis
from django.core.management import call_command

from notifications.management.commands import runcron


def test_cron_runs_the_sweep_every_minute_the_erasure_and_the_days_end_daily():
    scheduler = runcron.Scheduler()
    scheduler.load_config_from_file(runcron.CONFIG)

    assert sorted((job.func_name, job.interval, job.cron) for job in scheduler.get_jobs()) == [
        ("notifications.jobs.end_the_day", None, "0 17 * * *"),
        ("notifications.jobs.erase_personal_data", None, "30 19 * * *"),
        ("notifications.jobs.sweep", 60, None),
    ]


def test_runcron_waits_out_a_redis_outage(monkeypatch):
    outcomes = [redis.ConnectionError("down"), redis.ConnectionError("still down"), None]
    starts, sleeps = [], []

    def start(self):
        starts.append(1)
        outcome = outcomes.pop(0)
        if outcome:
            raise outcome

    monkeypatch.setattr(runcron.Scheduler, "start", start)
    monkeypatch.setattr(runcron.time, "sleep", sleeps.append)

    call_command("runcron")

    assert (len(starts), sleeps) == (3, [runcron.RETRY_SECONDS] * 2)


def test_runcron_stops_when_asked_even_if_redis_is_down(monkeypatch):
    starts = []

    def start(self):
        starts.append(1)
        self.stopping = True  # SIGTERM arrived; saying goodbye to Redis then failed
        raise redis.ConnectionError("down")

    monkeypatch.setattr(runcron.Scheduler, "start", start)
    monkeypatch.setattr(runcron.time, "sleep", lambda s: None)

    call_command("runcron")

    assert starts == [1]
