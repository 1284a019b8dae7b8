import datetime as dt

import pytest

from appointments import services as booking_services
from appointments.models import BookingState
from notifications import delivery, registry, sms, sweeper
from notifications.models import Kind, Notification, State
from tests.notifications.helpers import MONDAY_9, TZ, WEB, book, slots

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=TZ)


def row(hall, n=1, **fields):
    return Notification.objects.create(
        hall=hall,
        kind=Kind.BOOKING_CONFIRMED,
        subject_type="booking",
        subject_id=1_000_000 + n,  # of no booking a test makes: a new booking's messages are its own
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

    tasks = [
        registry.Periodic(p.name, broken, p.before_enqueue) if p.name == "no_shows" else p
        for p in registry.PERIODIC
    ]
    monkeypatch.setattr(registry, "PERIODIC", tasks)

    with pytest.raises(RuntimeError):
        sweeper.sweep(now=NOW)

    assert booking_services.release_due_places(now=NOW) == 0  # already released by the failed sweep


# A row whose worker died mid-send: the gateway is asked before it is sent again.

CLAIMED = NOW - dt.timedelta(seconds=121)


def stale(hall, n=1, attempts=1, claimed_at=CLAIMED):
    return row(hall, n, state=State.SENDING, attempts=attempts, claimed_at=claimed_at)


def sent_by_the_dead_worker(notification):
    """The memory gateway took the message; the worker died before it wrote `sent`."""
    sms.MemoryBackend().send(delivery.message_for(notification))


def test_recover_stale_row_the_gateway_took_is_sent_not_sent_again(service):
    taken = stale(service.hall, 1)
    last = stale(service.hall, 2, attempts=8)
    for notification in (taken, last):
        sent_by_the_dead_worker(notification)

    recovered = sweeper.recover_stale(NOW)
    again = delivery.deliver(taken.pk, now=NOW + dt.timedelta(minutes=1))

    taken.refresh_from_db()
    last.refresh_from_db()
    assert (recovered, again, len(sms.outbox)) == (2, None, 2)
    assert (taken.state, taken.gateway_id, taken.sent_at, taken.claimed_at, taken.last_error) == (
        State.SENT,
        "memory-1",
        CLAIMED,
        None,
        sweeper.FOUND_TAKEN,
    )
    assert (last.state, last.gateway_id) == (State.SENT, "memory-2")


def test_recover_stale_row_the_gateway_did_not_take_is_sent_once_more(service):
    lost = stale(service.hall, 1)

    recovered = sweeper.recover_stale(NOW)
    outcome = delivery.deliver(lost.pk, now=NOW)

    lost.refresh_from_db()
    assert (recovered, outcome, len(sms.outbox)) == (1, State.SENT, 1)
    assert (lost.state, lost.attempts, lost.last_error) == (State.SENT, 2, "")


class SilentBackend(sms.Backend):
    """A gateway that cannot say what it took; counts the questions."""

    asked = 0

    def send(self, message):
        return "silent"

    def lookup(self, message, *, since):
        SilentBackend.asked += 1
        return sms.Fate.no_answer("gateway answered HTTP 503")


@pytest.fixture
def silent(settings):
    settings.SMS_BACKEND = f"{__name__}.SilentBackend"
    settings.NOTIFY_LOOKUP_PATIENCE = 600
    SilentBackend.asked = 0
    return SilentBackend


def test_recover_stale_cannot_tell_waits_then_sends_again_at_least_once(service, silent):
    unknown = stale(service.hall, 1)
    patience_ends = CLAIMED + dt.timedelta(seconds=120 + 600)

    waiting = [sweeper.recover_stale(patience_ends - dt.timedelta(seconds=s)) for s in (479, 1)]
    state_while_waiting = Notification.objects.get(pk=unknown.pk).state
    recovered = sweeper.recover_stale(patience_ends)

    unknown.refresh_from_db()
    assert (waiting, state_while_waiting, recovered) == ([0, 0], State.SENDING, 1)
    assert (unknown.state, unknown.next_attempt_at, unknown.last_error) == (
        State.QUEUED,
        patience_ends,
        sweeper.NO_ANSWER,
    )


def test_recover_stale_cannot_tell_at_the_last_attempt_fails_after_the_patience(service, silent):
    last = stale(service.hall, 1, attempts=8)

    early = sweeper.recover_stale(NOW)
    early_state = Notification.objects.get(pk=last.pk).state
    sweeper.recover_stale(CLAIMED + dt.timedelta(seconds=720))

    last.refresh_from_db()
    assert (early, early_state) == (0, State.SENDING)
    assert (last.state, last.last_error) == (State.FAILED, sweeper.NO_ANSWER)


def test_recover_stale_stops_asking_a_gateway_that_does_not_answer(service, silent):
    for n in range(6):
        stale(service.hall, n + 1)

    sweeper.recover_stale(NOW)

    assert silent.asked == sweeper.UNANSWERED_PER_SWEEP
    assert Notification.objects.filter(state=State.SENDING).count() == 6


def test_recover_stale_backend_that_breaks_counts_as_no_answer(service, settings, monkeypatch):
    def broken(self, message, *, since):
        raise RuntimeError("a bug in a backend")

    monkeypatch.setattr(sms.MemoryBackend, "lookup", broken)
    row_ = stale(service.hall, 1)

    recovered = sweeper.recover_stale(NOW)

    row_.refresh_from_db()
    assert (recovered, row_.state) == (0, State.SENDING)


def test_recover_stale_row_settled_by_another_sweep_meanwhile_is_left_alone(service, monkeypatch):
    row_ = stale(service.hall, 1)
    original = sms.MemoryBackend.lookup

    def slow_lookup(self, message, *, since):
        # Another sweep settles the row while this one waits for the gateway.
        Notification.objects.filter(pk=row_.pk).update(state=State.QUEUED, claimed_at=None)
        return original(self, message, since=since)

    monkeypatch.setattr(sms.MemoryBackend, "lookup", slow_lookup)

    recovered = sweeper.recover_stale(NOW)

    row_.refresh_from_db()
    assert (recovered, row_.state, row_.last_error) == (0, State.QUEUED, "")


def test_sweep_with_a_misconfigured_gateway_still_does_the_rest(service, settings):
    settings.SMS_BACKEND = "aliyun"
    settings.SMS_ALIYUN_ACCESS_KEY_ID = ""  # ImproperlyConfigured when the backend is built
    stale(service.hall, 1)
    booking_services.cancel_booking(booking=book(service), actor=WEB, now=MONDAY_9)

    done = sweeper.sweep(now=NOW)

    assert (done["recovered"], done["released"]) == (0, 1)
    assert Notification.objects.filter(state=State.SENDING).count() == 1


def test_recover_stale_out_of_time_asks_no_more(service, silent, monkeypatch):
    monkeypatch.setattr(sweeper, "LOOKUP_SECONDS", -1)  # the sweep's time for questions is used up
    stale(service.hall, 1)

    recovered = sweeper.recover_stale(NOW)

    assert (recovered, silent.asked) == (0, 0)
