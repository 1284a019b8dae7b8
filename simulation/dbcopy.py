"""On SQLite, a simulation job plays its rolled-back days on a copy of the database (docs/simulation.md,
"On SQLite: a copy of the database"; docs/decisions.md).

A simulated day writes bookings, tickets and counters' states for tens of seconds (a plan check: minutes)
inside one transaction that is rolled back. On PostgreSQL it locks only rows of its own. On SQLite the
transaction holds the database's single write lock all that time, so every write of the hall meanwhile (a
check-in, a call, a booking, a sign-in's session) waits for the busy timeout (hall/settings.py, 20 s) and
then fails. So on SQLite `on_a_copy()` copies the database with sqlite3's online backup (in WAL mode the
copy reads a snapshot and blocks no writer), points this thread's default connection at the copy for the
block, and afterwards closes the copy, points the connection back and deletes the copy. What the job keeps
(its result on its row) is written after the block, to the real database.

Inside an atomic block of the caller (the rows of its open transaction would not be in the copy, and the
backup would wait for that transaction), and on any other database, the block runs on the database as it
is."""

import contextlib
import logging
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections

log = logging.getLogger(__name__)


def copies(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether `on_a_copy` would play on a copy here: SQLite, outside an atomic block."""
    connection = connections[alias]
    return connection.vendor == "sqlite" and not connection.in_atomic_block


@contextlib.contextmanager
def on_a_copy(alias: str = DEFAULT_DB_ALIAS) -> Iterator[bool]:
    """Run the block with this thread's `alias` connection on a copy of the database, on SQLite (yields
    True); elsewhere on the database itself (yields False)."""
    if not copies(alias):
        yield False
        return
    original = connections[alias]
    original.ensure_connection()
    with tempfile.TemporaryDirectory(prefix="chuangkou-simulation-") as folder:
        path = Path(folder) / "copy.sqlite3"
        started = time.monotonic()
        target = sqlite3.connect(path)
        try:
            with original.wrap_database_errors:
                original.connection.backup(target)
        finally:
            target.close()
        log.info("simulation: copied the database in %.2f s", time.monotonic() - started)
        copy = original.__class__({**original.settings_dict, "NAME": str(path)}, alias)
        connections[alias] = copy
        try:
            yield True
        finally:
            connections[alias] = original
            copy.close()
