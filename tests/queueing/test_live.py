"""Live events across web processes: real uvicorn servers, real Redis, real PostgreSQL."""

import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection, transaction

from queueing import events, live, walkins
from queueing import services as queue_services
from tests.makers import make_service
from tests.queueing.helpers import make_hall_open_today

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Server:
    def __init__(self, port: int | None = None, env: dict | None = None, graceful_seconds: int = 1):
        self.port = port or free_port()
        env = {**os.environ, "DATABASE_URL": database_url(), "DATABASE_POOL_MAX": "4", **(env or {})}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "hall.asgi:application",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--timeout-graceful-shutdown",
                str(graceful_seconds),
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("uvicorn did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Listener:
    """Reads one event stream in a thread and collects (id, event, data)."""

    def __init__(self, port: int, slug: str, last_event_id: str | None = None):
        self.events: list[tuple[str | None, str, dict]] = []
        self.ended_cleanly = False  # the server ended the response (its last chunk), not a cut connection
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        self.conn.request("GET", f"/api/v1/halls/{slug}/events", headers=headers)
        self.response = self.conn.getresponse()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        event_id, kind = None, None
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("id: "):
                    event_id = line[4:]
                elif line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    self.events.append((event_id, kind, json.loads(line[6:])))
                    event_id, kind = None, None
            self.ended_cleanly = True
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass  # the test closed the stream

    def wait_for(self, predicate, seconds=30.0):  # a bound against hanging, not a target
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(predicate(e) for e in self.events):
                return True
            time.sleep(0.05)
        return False

    def close(self):
        if self.conn.sock is not None:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        self.conn.close()
        self.thread.join(timeout=5)


@pytest.fixture
def servers():
    started = [Server(), Server()]
    yield started
    for server in started:
        server.stop()


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_event_made_in_one_process_reaches_stream_of_another(servers):
    hall = make_hall_open_today()
    service = make_service(hall)
    listener = Listener(servers[1].port, hall.slug)
    assert listener.wait_for(lambda e: e[1] == "snapshot")

    ticket = walkins.issue_walk_in(hall=hall, service=service, actor=queue_services.Actor("kiosk")).ticket

    assert listener.wait_for(lambda e: e[1] == "ticket.issued" and e[2]["number"] == ticket.number)
    listener.close()


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_reconnect_with_last_event_id_misses_nothing(servers):
    hall = make_hall_open_today()
    service = make_service(hall)
    first = Listener(servers[0].port, hall.slug)
    assert first.wait_for(lambda e: e[1] == "snapshot")
    walkins.issue_walk_in(hall=hall, service=service, actor=queue_services.Actor("kiosk"))
    assert first.wait_for(lambda e: e[1] == "ticket.issued")
    last_seen = [e for e in first.events if e[0]][-1][0]
    first.close()

    missed = [
        walkins.issue_walk_in(hall=hall, service=service, actor=queue_services.Actor("kiosk")).ticket.number
        for _ in range(3)
    ]
    again = Listener(servers[1].port, hall.slug, last_event_id=last_seen)
    assert again.wait_for(lambda e: e[1] == "snapshot")

    replayed = [e[2]["number"] for e in again.events if e[1] == "ticket.issued"]
    assert replayed == missed
    assert again.events[-1][1] == "snapshot"  # the snapshot follows the missed events
    again.close()


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_restarted_server_streams_again_with_a_snapshot_then_events(servers):
    """What a board's EventSource does after a restart: reconnect (retry 1 s) and get a snapshot, then the
    events after it. How fast is measured in bench/sse_clients.py, not asserted here."""
    hall = make_hall_open_today()
    service = make_service(hall)
    port = servers[0].port
    listener = Listener(port, hall.slug)
    assert listener.wait_for(lambda e: e[1] == "snapshot")

    servers[0].stop()
    servers[0] = Server(port)
    resumed = Listener(port, hall.slug)

    assert resumed.wait_for(lambda e: e[1] == "snapshot")
    ticket = walkins.issue_walk_in(hall=hall, service=service, actor=queue_services.Actor("kiosk")).ticket
    assert resumed.wait_for(lambda e: e[1] == "ticket.issued" and e[2]["number"] == ticket.number)
    resumed.close()
    listener.close()


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_server_asked_to_stop_ends_its_streams_at_once_instead_of_waiting_for_them():
    """Restarting the live process (deploy/'s uvicorn waits 5 s for open responses) used to wait the whole
    graceful time for streams that never end, then cut them: every board was dark that much longer. Here the
    graceful time is 60 s; the stream must end cleanly, and the server stop, well before."""
    hall = make_hall_open_today()
    server = Server(graceful_seconds=60)
    listener = Listener(server.port, hall.slug)
    assert listener.wait_for(lambda e: e[1] == "snapshot")

    server.proc.terminate()

    server.proc.wait(timeout=20)  # a bound against hanging: without the ending it takes 60 s
    # uvicorn re-raises the signal after its shutdown: it ends as a process told to terminate does.
    listener.thread.join(timeout=5)
    assert listener.ended_cleanly
    listener.close()


@pytest.mark.django_db(transaction=True)
def test_publish_only_after_commit():
    hall = make_hall_open_today()
    service = make_service(hall)

    with pytest.raises(RuntimeError), transaction.atomic():
        walkins.issue_walk_in(hall=hall, service=service, actor=queue_services.Actor("kiosk"))
        raise RuntimeError("rolled back")
    after_rollback = events.since(hall.pk, "0-0")
    ticket = walkins.issue_walk_in(hall=hall, service=service, actor=queue_services.Actor("kiosk")).ticket

    assert after_rollback == []
    assert [e["data"]["number"] for _, e in events.since(hall.pk, "0-0")] == [ticket.number]


def test_format_event_has_id_type_and_json():
    text = live.format_event("5-1", "ticket.called", {"number": "A001", "counter": 3})

    assert text == 'id: 5-1\nevent: ticket.called\ndata: {"number":"A001","counter":3}\n\n'


def test_not_after_compares_stream_ids():
    assert [live._not_after(a, "10-2") for a in ("9-9", "10-2", "10-3", "11-0", "bad")] == [
        True,
        True,
        False,
        False,
        False,
    ]


def run_in_own_loop(scenario):
    """asyncio.run in a thread: a browser test earlier in the session leaves Playwright's loop running."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(scenario())).result()


def test_streams_opened_together_share_one_snapshot_until_an_event():
    hub = live.Hub()
    made = []

    async def snapshot():
        made.append(len(made) + 1)
        await asyncio.sleep(0.01)
        return {"n": len(made)}

    async def scenario():
        together = await asyncio.gather(*(hub.shared_snapshot(1, snapshot) for _ in range(3)))
        again = await hub.shared_snapshot(1, snapshot)
        other_hall = await hub.shared_snapshot(2, snapshot)
        hub.dispatch(1, "1-0", {"type": "ticket.called", "data": {}})
        after_event = await hub.shared_snapshot(1, snapshot)
        return together, again, other_hall, after_event

    together, again, other_hall, after_event = run_in_own_loop(scenario)

    assert (together, again, other_hall, after_event) == ([{"n": 1}] * 3, {"n": 1}, {"n": 2}, {"n": 3})


def test_shared_snapshot_is_not_reused_when_old_or_failed(monkeypatch):
    hub = live.Hub()
    answers = iter([RuntimeError("database down"), {"n": 2}, {"n": 3}])

    async def snapshot():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def scenario():
        with pytest.raises(RuntimeError):
            await hub.shared_snapshot(1, snapshot)
        after_failure = await hub.shared_snapshot(1, snapshot)
        monkeypatch.setattr(live, "SHARED_SNAPSHOT_SECONDS", -1)
        when_old = await hub.shared_snapshot(1, snapshot)
        return after_failure, when_old

    assert run_in_own_loop(scenario) == ({"n": 2}, {"n": 3})


def test_a_stream_with_a_limit_ends_by_itself_after_its_snapshot():
    """Under WSGI a stream holds a worker thread: it ends after its seconds and the browser reconnects."""

    async def snapshot():
        return {"n": 1}

    async def scenario():
        lines = []
        async for line in live.stream(987654, None, snapshot, seconds=0.2):
            lines.append(line)
        return lines

    lines = run_in_own_loop(scenario)

    assert lines[0] == f"retry: {live.RETRY_MS}\n\n"
    assert lines[1] == 'event: snapshot\ndata: {"n":1}\n\n'
    assert set(lines[2:]) <= {": heartbeat\n\n"}  # and then it ended: the loop above finished


def test_a_quiet_stream_gets_the_hubs_heartbeat(monkeypatch):
    """A stream without events hears a heartbeat each HEARTBEAT_SECONDS (proxies close silent connections),
    from the hub's one timer for every stream, not a timer of its own per stream and per event."""
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.05)

    async def snapshot():
        return {"n": 1}

    async def scenario():
        lines = []
        stream = live.stream(987655, None, snapshot)
        async for line in stream:
            lines.append(line)
            if len(lines) == 4:
                break
        await stream.aclose()
        return lines

    lines = run_in_own_loop(scenario)

    assert lines[1] == 'event: snapshot\ndata: {"n":1}\n\n'
    assert lines[2:] == [": heartbeat\n\n", ": heartbeat\n\n"]
