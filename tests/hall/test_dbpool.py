"""The pool's check of a connection before a request gets it (hall/dbpool.py): a live connection costs no
round trip, one that PostgreSQL ended is refused (the pool then takes another) instead of failing the
request that would have used it."""

import time

import psycopg
import pytest
from django.db import connection
from psycopg_pool import ConnectionPool

from hall import dbpool

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db]


@pytest.fixture
def own_connection():
    params = {
        k: v for k, v in connection.get_connection_params().items() if k not in ("context", "cursor_factory")
    }
    with psycopg.connect(**params, autocommit=True) as conn:
        yield conn


def test_a_live_connection_is_checked_without_a_round_trip(own_connection, monkeypatch):
    asked = []
    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(asked.append))

    dbpool.check(own_connection)

    assert asked == []
    assert own_connection.execute("SELECT 1").fetchone() == (1,)


def test_a_connection_postgresql_ended_is_refused(own_connection):
    backend = own_connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the farewell reaches the socket at once on loopback
        try:
            dbpool.check(own_connection)
        except psycopg.OperationalError:
            return
        time.sleep(0.05)
    pytest.fail("the check let a terminated connection through")


def test_the_pool_of_the_app_uses_this_check(client):
    client.get("/api/v1/halls")
    assert connection.pool._check is dbpool.check


# Without the pool: a gunicorn sync worker keeps one connection from request to request
# (deploy/gunicorn.conf.py: DATABASE_POOL=off, DATABASE_CONN_MAX_AGE).


@pytest.fixture
def kept():
    """A second wrapper of the test database as a sync worker's is set: no pool, kept, health-checked."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    options = {k: v for k, v in connection.settings_dict["OPTIONS"].items() if k != "pool"}
    kept = {"OPTIONS": options, "CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True}
    db = DatabaseWrapper({**connection.settings_dict, **kept}, alias="kept")
    yield db
    db.close()


def test_a_kept_connection_is_checked_without_a_round_trip(kept):
    with kept.cursor() as cursor:
        cursor.execute("SELECT 'last before the check'")
    kept.health_check_done = False  # a new request

    kept.close_if_health_check_failed()  # what a request's first statement does first

    assert kept.connection is not None
    pid = kept.connection.info.backend_pid
    with connection.cursor() as cursor:  # Django's own check would have sent SELECT 1
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        assert cursor.fetchone() == ("SELECT 'last before the check'",)


def test_a_kept_connection_postgresql_ended_is_replaced_at_the_next_request(kept):
    kept.ensure_connection()
    ended = kept.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [ended])
    time.sleep(0.2)  # the farewell reaches the socket at once on loopback
    kept.health_check_done = False  # a new request

    with kept.cursor() as cursor:  # no error: a new connection
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != ended


def test_settings_without_the_pool_keep_connections_only_when_asked(monkeypatch):
    from hall.settings import _database

    url = "postgres://u@127.0.0.1:5432/ck"
    monkeypatch.setenv("DATABASE_POOL", "off")
    monkeypatch.delenv("DATABASE_CONN_MAX_AGE", raising=False)
    assert (_database(url)["CONN_MAX_AGE"], _database(url)["CONN_HEALTH_CHECKS"]) == (0, False)

    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "600")
    config = _database(url)
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (600, True)
    assert "pool" not in config.get("OPTIONS", {})


def test_gunicorn_sync_workers_keep_their_connection(monkeypatch):
    """deploy/gunicorn.conf.py, run by gunicorn's master, leaves its sync workers without the pool."""
    import os
    import runpy

    from django.conf import settings

    unset = ("DATABASE_POOL", "DATABASE_CONN_MAX_AGE", "GUNICORN_WORKER_CLASS")
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    monkeypatch.setattr(os, "environ", environ)

    runpy.run_path(str(settings.BASE_DIR / "deploy" / "gunicorn.conf.py"))

    assert (environ["DATABASE_POOL"], environ["DATABASE_CONN_MAX_AGE"]) == ("off", "600")
