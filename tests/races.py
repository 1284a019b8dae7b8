"""Helpers for race tests on PostgreSQL."""

import threading
import time

from django.db import connection, connections


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


def all_at_once(work, threads: int, timeout: float = 60) -> list:
    """Call work(i) from `threads` threads (i = 0, 1, ...) released together by a barrier; what each
    returned, in the order they finished. This thread's connection goes back to the pool first, and each
    thread hands its own back when done."""
    barrier = threading.Barrier(threads)
    results = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(work(i))
        finally:
            connections.close_all()

    connections.close_all()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=timeout)
    assert not any(worker.is_alive() for worker in workers)
    return results


def use_naive_booking_path(monkeypatch) -> None:
    """Book by check-then-write without a lock, and without the per-person advisory lock: the bug that the
    race tests must catch, so that each real race test has a twin showing it can fail at all."""
    from appointments import limits
    from appointments import services as booking_services
    from appointments.models import Slot

    def take_places_naively(slot, persons, held_back):
        fresh = Slot.objects.get(pk=slot.pk)
        if fresh.closed or fresh.taken + persons > fresh.capacity:
            return False
        Slot.objects.filter(pk=slot.pk).update(taken=fresh.taken + persons)
        return True

    monkeypatch.setattr(booking_services, "_take_places", take_places_naively)
    monkeypatch.setattr(limits, "lock_person", lambda *keys: None)
