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
