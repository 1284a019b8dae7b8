"""The database pool's check of a connection before it hands it out (hall/settings.py).

psycopg_pool's own check (what Django's CONN_HEALTH_CHECKS gives it) runs an empty query on every
connection handed out: a round trip to PostgreSQL on every request. A connection that PostgreSQL ended (a
restart, `pg_terminate_backend`, an idle timeout) has been sent the server's farewell and the end of the
stream, so its socket is readable although nobody asked anything; an idle connection that is alive has
nothing to read. So the socket is looked at first (one non-blocking poll, no round trip), and only a
readable one gets the empty query, which fails for a dead connection: the pool then drops it and hands out
another (docs/faults.md).

Django builds the pool itself, with psycopg_pool's check when CONN_HEALTH_CHECKS is on; `use_socket_check`
(connected to `connection_created` in hall/apps.py) puts this one in its place once the pool exists.

Without the pool, a connection kept from one request to the next (DATABASE_CONN_MAX_AGE: each gunicorn sync
worker keeps its own, deploy/gunicorn.conf.py) is checked by Django at each request's first statement with
`SELECT 1`, a round trip; `use_socket_check` has it look at the socket the same way instead."""

import select
from functools import partial

import psycopg
from psycopg_pool import ConnectionPool


def check(connection) -> None:
    """Raise when `connection` is not usable (the pool then discards it and takes another)."""
    if connection.closed or connection.broken:
        ConnectionPool.check_connection(connection)  # raises for a closed connection
        return
    # poll, not select: a process holding thousands of event streams has descriptors above select's 1024
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN)
    if poller.poll(0):
        ConnectionPool.check_connection(connection)


def usable(db) -> bool:
    """Django's `is_usable` of the database wrapper `db` by `check`: no round trip for a live connection."""
    if db.connection is None:
        return False
    try:
        check(db.connection)
    except psycopg.Error:
        return False
    return True


def use_socket_check(sender, connection, **kwargs) -> None:
    """On `connection_created`: the pool of a PostgreSQL connection checks with `check`; without a pool, a
    connection kept between requests (CONN_HEALTH_CHECKS on) is checked by `usable`."""
    pool = getattr(connection, "pool", None)
    if pool is not None:
        if getattr(pool, "_check", None) is ConnectionPool.check_connection:
            pool._check = check
    elif connection.health_check_enabled and "is_usable" not in vars(connection):
        connection.is_usable = partial(usable, connection)
