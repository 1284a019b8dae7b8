import datetime as dt

import pytest

from appointments import housekeeping
from appointments import services as booking_services
from appointments.models import BookingState
from notifications import delivery, sms, sweeper
from notifications.models import Kind, Notification, State
from tests.notifications.helpers import MONDAY_9, TZ, WEB, book, slots

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=TZ)


def row(hall, n=1, **fields):
    return Notification.objects.create(
        hall=hall,
        kind=Kind.BOOKING_CONFIRMED,
        subject_type="booking",
        subject_id=n,
        phone="+8613800138000",
        text="[Hall] booked",
        **fields,
    )


def queued_ids(rq_queue):
    return sorted(job.args[0] for job in rq_queue.get_jobs())


def test_recover_stale_requeues_rows_whose_worker_died(service):
    hall = service.hall
    dead = row(hall, 1, state=State.SENDING, attempts=1, claimed_at=NOW - dt.timedelta(seconds=121))
    busy = row(hall, 2, state=State.SENDING, attempts=1, claimed_at=NOW - dt.timedelta(seconds=119))
    last = row(hall, 3, state=State.SENDING, attempts=8, claimed_at=NOW - dt.timedelta(minutes=5))

    recovered = sweeper.recover_stale(NOW)

    states = {r.pk: (r.state, r.next_attempt_at, r.enqueued_at) for r in Notification.objects.all()}
    assert recovered == 1
    assert states[dead.pk] == (State.QUEUED, NOW, None)
    assert states[busy.pk][0] == State.SENDING
    assert states[last.pk][0] == State.FAILED


def test_enqueue_due_finds_rows_without_a_live_job(service, rq_queue, django_capture_on_commit_callbacks):
    hall = service.hall
    held = row(hall, 1, next_attempt_at=NOW - dt.timedelta(seconds=1))  # end of quiet hours
    lost = row(
        hall, 2, next_attempt_at=NOW - dt.timedelta(minutes=5), enqueued_at=NOW - dt.timedelta(minutes=3)
    )
    fresh = row(hall, 3, next_attempt_at=NOW, enqueued_at=NOW - dt.timedelta(seconds=30))
    later = row(hall, 4, next_attempt_at=NOW + dt.timedelta(seconds=1))
    sent = row(hall, 5, next_attempt_at=NOW - dt.timedelta(hours=1), state=State.SENT)

    with django_capture_on_commit_callbacks(execute=True):
        count = sweeper.enqueue_due(NOW)

    enqueued = dict(Notification.objects.values_list("pk", "enqueued_at"))
    assert (count, queued_ids(rq_queue)) == (2, sorted([held.pk, lost.pk]))
    assert (enqueued[held.pk], enqueued[lost.pk]) == (NOW, NOW)
    assert (enqueued[fresh.pk], enqueued[later.pk], enqueued[sent.pk]) == (
        NOW - dt.timedelta(seconds=30),
        None,
        None,
    )


def test_enqueue_due_with_redis_down_leaves_rows_for_the_next_sweep(
    service, settings, django_capture_on_commit_callbacks
):
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:9/0"}}
    held = row(service.hall, 1, next_attempt_at=NOW)

    with django_capture_on_commit_callbacks(execute=True):
        sweeper.enqueue_due(NOW)

    held.refresh_from_db()
    assert held.enqueued_at is None


def test_two_sweeps_send_each_message_once(service, rq_queue, django_capture_on_commit_callbacks):
    booking = book(service)
    Notification.objects.update(created_at=MONDAY_9, next_attempt_at=MONDAY_9, enqueued_at=None)
    evening = dt.datetime(2026, 11, 23, 18, 5, tzinfo=TZ)

    with django_capture_on_commit_callbacks(execute=True):
        first = sweeper.sweep(now=evening)
        second = sweeper.sweep(now=evening + dt.timedelta(seconds=30))
    for job in rq_queue.get_jobs():
        delivery.deliver(*job.args, now=evening + dt.timedelta(minutes=1))

    sent = sorted((m.kind, m.notification_id) for m in sms.outbox)
    rows = dict(Notification.objects.values_list("kind", "pk"))
    assert (first["reminders"], first["enqueued"], second["reminders"], second["enqueued"]) == (1, 2, 0, 0)
    assert sent == sorted(
        [
            (Kind.BOOKING_CONFIRMED, rows[Kind.BOOKING_CONFIRMED]),
            (Kind.REMINDER_DAY_BEFORE, rows[Kind.REMINDER_DAY_BEFORE]),
        ]
    )
    assert booking.pk == Notification.objects.get(kind=Kind.REMINDER_DAY_BEFORE).subject_id


def test_sweep_runs_housekeeping(service):
    booking = book(service)
    other = book(service, slot=slots(service)[1], n=2, phone="13800138002")
    booking_services.cancel_booking(booking=other, actor=WEB, now=MONDAY_9)
    after_window = booking.slot.end + dt.timedelta(minutes=16)

    done = sweeper.sweep(now=after_window)

    booking.refresh_from_db()
    assert (done["no_shows"], done["released"], booking.state) == (1, 1, BookingState.NO_SHOW)


def test_sweep_failing_task_does_not_stop_the_others(service, monkeypatch):
    booking_services.cancel_booking(booking=book(service), actor=WEB, now=MONDAY_9)

    def broken(**kw):
        raise RuntimeError("no-shows broke")

    monkeypatch.setattr(housekeeping, "mark_no_shows", broken)

    with pytest.raises(RuntimeError):
        sweeper.sweep(now=NOW)

    assert booking_services.release_due_places(now=NOW) == 0  # already released by the failed sweep
