"""Faults against the production server (uvicorn, DEPLOYMENT=production) on a PRIVATE PostgreSQL cluster and
a PRIVATE redis-server started for this module (bench/faults.py), never the shared ones: PostgreSQL
restarted while the app serves, its connections terminated, Redis restarted, the ASGI server restarted.
Figures from a full run are in docs/faults.md. The set-up (migrate, collectstatic, demo data) takes about
a minute, each scenario under 30 s."""

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import unavailable

pytestmark = pytest.mark.requires_postgres


def _missing() -> str | None:
    from bench import faults

    if not (faults.PG_BIN / "initdb").exists():
        return "PostgreSQL's initdb is not installed (apt-get install postgresql)"
    if not shutil.which("redis-server"):
        return "redis-server is not installed"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "runuser is needed to run initdb as the postgres user"
    return None


@pytest.fixture(scope="module")
def harness():
    if reason := _missing():
        unavailable(reason)
    from bench import faults

    # Not under pytest's own temporary folder: the postgres user must be able to reach the cluster's folder.
    folder = Path(tempfile.mkdtemp(prefix="ck-faults-"))
    harness = faults.set_up(folder)
    yield harness
    harness.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def faults():
    from bench import faults

    return faults


def test_postgres_restart_answers_try_again_then_recovers_without_restarting_the_app(harness, faults):
    assert harness.book().status == 201
    server = harness.web.process.pid
    harness.postgres.stop()

    zh, en, with_session, api, booking = faults.concurrently(
        lambda: harness.page("zh-hans"),
        lambda: harness.page("en"),
        lambda: harness.page(session="faults0session0cookie"),
        harness.api_halls,
        harness.book,
    )
    harness.postgres.start()
    restarted = time.monotonic()
    after = faults.until_healthy(harness, restarted, seconds=20)

    answers = (zh, en, with_session, api, booking)
    assert [a.status for a in answers] == [503, 503, 503, 503, 503]
    assert [a.retry_after for a in answers] == ["10", "10", "10", "10", "10"]
    assert "<h1>请稍后再试</h1>" in zh.text
    assert "<h1>请稍后再试</h1>" in with_session.text
    assert "服务暂时不可用，请几分钟后再试。" in zh.text
    assert "<h1>Please try again in a moment</h1>" in en.text
    assert "The service is temporarily unavailable. Please try again in a few minutes." in en.text
    unavailable = {"error": "unavailable", "message": "服务暂时不可用，请几分钟后再试。", "fields": {}}
    assert json.loads(api.text) == unavailable
    assert json.loads(booking.text) == unavailable
    assert after["healthy"] is True
    assert set(after["statuses"]) == {200}  # the pool replaced its dead connections: not even one 503
    assert harness.book().status == 201
    assert harness.web.process.pid == server


def test_terminated_connections_are_replaced_without_an_error(harness, faults):
    result = faults.pg_terminate(harness)

    assert result["terminated"] >= 1  # how many the pool holds depends on timing; every one of them goes
    assert result["statuses"] == [200] * 18 + [201]


def test_redis_restart_keeps_bookings_working_and_live_streams_resume(harness, faults):
    result = faults.redis_restart(harness)

    assert result["stream_connected"] is True
    assert result["during"] == {
        "API booking #0": 201,
        "API booking #1": 201,
        "home page (zh-hans) #2": 200,
        "API halls #3": 200,
        "API walk-in ticket #4": 201,  # a kiosk's valid token works without Redis (hall/security.py)
    }
    assert result["ticket_after_restart"] == 201
    assert result["event_after_restart_seconds"] is not None  # an event arrived; how fast: bench/faults.py
    assert result["server_errors"] == 0
    # The two bookings made during the outage each had a code texted (kept in PostgreSQL, not Redis) and a
    # confirmation: the sweep put those four messages on the queue once Redis was back.
    assert "'enqueued': 4" in result["sweep_after"]


def test_server_restart_brings_displays_back(harness, faults):
    """The stream reconnects by itself and the next call reaches it; the seconds it takes are figures of
    bench/faults.py (recorded in docs/faults.md), not asserts on a shared machine."""
    result = faults.server_restart(harness)

    assert result["first_event_after_up_seconds"] is not None
    assert result["event_after_restart_seconds"] is not None


def test_data_sound_after_the_faults(harness):
    assert harness.manage("check_invariants").startswith("All invariants hold")
