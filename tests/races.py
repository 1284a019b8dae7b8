"""Helpers for race tests on PostgreSQL."""

import threading
import time

from django.db import connection


def wait_until_blocked_by_me_or_done(thread: threading.Thread, timeout: float = 10) -> bool:
    """Wait until another backend waits for a lock this transaction holds (True), or until `thread` ended
    (False)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while thread.is_alive():
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks "
                "WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid)))"
            )
            if cursor.fetchone()[0]:
                return True
            assert time.monotonic() < deadline, "the competitor neither waited for us nor finished"
            time.sleep(0.01)
    return False
