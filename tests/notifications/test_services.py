import datetime as dt
import logging

import pytest
from django.db import transaction

from appointments import availability
from appointments import services as booking_services
from notifications import services
from notifications.models import Kind, Notification, State
from queueing import calls
from queueing import services as queue_services
from queueing.models import Outcome
from queueing.services import Actor
from tests.makers import make_counter, make_staff
from tests.notifications.helpers import MONDAY_9, TUESDAY, TZ, book, citizen

pytestmark = pytest.mark.django_db
EVENING = dt.datetime(2026, 11, 23, 22, 30, tzinfo=TZ)


def record(hall, kind=Kind.REMINDER_SOON, now=MONDAY_9, subject_id=1, **kw):
    return services.record(
        hall=hall,
        kind=kind,
        subject_type="booking",
        subject_id=subject_id,
        phone=citizen().phone,
        language="en",
        render=lambda: "[Hall] text",
        now=now,
        **kw,
    )


def test_record_due_now_enqueues_after_commit(service, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        row = record(service.hall)

    assert (row.state, row.not_before, row.next_attempt_at, row.enqueued_at) == (
        State.QUEUED,
        None,
        MONDAY_9,
        MONDAY_9,
    )
    assert len(callbacks) == 1


def test_record_non_urgent_in_quiet_hours_held_until_morning(service, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        row = record(service.hall, now=EVENING)

    morning = dt.datetime(2026, 11, 24, 8, 0, tzinfo=TZ)
    assert (row.not_before, row.next_attempt_at, row.enqueued_at) == (morning, morning, None)
    assert callbacks == []


def test_record_urgent_kind_ignores_quiet_hours(service, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        row = record(service.hall, kind=Kind.WAITLIST_OFFER, now=EVENING)

    assert (row.not_before, row.next_attempt_at, len(callbacks)) == (None, EVENING, 1)


def test_record_urgent_override(service):
    row = record(service.hall, kind=Kind.CLOSURE, now=EVENING, urgent=True)

    assert row.not_before is None


def test_record_quiet_hours_off(service, settings):
    settings.NOTIFY_QUIET_HOURS = "off"

    assert record(service.hall, now=EVENING).not_before is None


def test_record_twice_keeps_one_row(service):
    first = record(service.hall)

    again = record(service.hall)

    assert (again, list(Notification.objects.all())) == (None, [first])


def test_record_renders_in_the_citizens_language(service):
    row = services.record(
        hall=service.hall,
        kind=Kind.REMINDER_SOON,
        subject_type="booking",
        subject_id=1,
        phone=citizen().phone,
        language="en",
        render=lambda: service.hall.name,
    )

    assert row.text == "North District Hall"


def test_rolled_back_booking_records_and_enqueues_nothing(service, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        book(service)
        raise RuntimeError("the request failed after booking")

    assert (Notification.objects.count(), callbacks) == (0, [])


def test_booking_commit_puts_one_send_job_on_the_queue(service, rq_queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(service)

    row = Notification.objects.get(subject_id=booking.pk)
    assert [(job.func_name, job.args) for job in rq_queue.get_jobs()] == [
        ("notifications.jobs.send", (row.pk,))
    ]


def test_redis_down_booking_still_succeeds(service, settings, caplog, django_capture_on_commit_callbacks):
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:9/0"}}  # nothing listens there

    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        booking = book(service)

    row = Notification.objects.get(subject_id=booking.pk)
    assert (row.state, row.enqueued_at) == (State.QUEUED, None)  # the sweeper will enqueue it
    assert [r.getMessage().split(":")[0] for r in caplog.records if r.name == "notifications.dispatch"] == [
        f"could not enqueue 1 notification(s), first {row.pk}"
    ]
    assert "13800138000" not in caplog.text


def test_daily_counts_by_local_day(service):
    hall = service.hall
    day = dt.date(2026, 11, 23)
    late = dt.datetime(2026, 11, 23, 23, 50, tzinfo=TZ)
    for n, (state, at) in enumerate(
        [
            (State.SENT, MONDAY_9),
            (State.SENT, late),
            (State.FAILED, MONDAY_9),
            (State.REFUSED, MONDAY_9),
            (State.SENT, late + dt.timedelta(minutes=20)),  # the next day in Beijing
            (State.QUEUED, None),
            (State.SENDING, None),
        ]
    ):
        row = record(hall, subject_id=n)
        Notification.objects.filter(pk=row.pk).update(state=state, last_attempt_at=at)

    assert services.daily_counts(hall, day) == {"sent": 2, "failed": 1, "refused": 1, "pending": 2}


def test_retry_now_requeues_failed_and_refused_not_sent(service, django_capture_on_commit_callbacks):
    rows = [record(service.hall, subject_id=n) for n in range(4)]
    for row, state in zip(rows, [State.FAILED, State.REFUSED, State.SENT, State.SENDING], strict=True):
        Notification.objects.filter(pk=row.pk).update(state=state, attempts=8)

    with django_capture_on_commit_callbacks() as callbacks:
        count = services.retry_now(notifications=Notification.objects.all(), now=MONDAY_9)

    states = dict(Notification.objects.values_list("pk", "state"))
    assert count == 2
    assert [states[r.pk] for r in rows] == [State.QUEUED, State.QUEUED, State.SENT, State.SENDING]
    assert Notification.objects.get(pk=rows[0].pk).attempts == 0
    assert len(callbacks) == 1


def test_completed_service_asks_for_a_rating(service):
    hall = service.hall
    clerk = make_staff(hall)
    counter = make_counter(hall, 2, [service])
    console = Actor("console", clerk)
    tuesday_9 = dt.datetime.combine(TUESDAY, dt.time(9), tzinfo=TZ)
    slot = availability.day_availability(service=service, date=TUESDAY, now=MONDAY_9).slots[1]
    booking = booking_services.book(
        slot=slot, citizen=citizen(language="en"), actor=booking_services.Actor("web"), now=MONDAY_9
    )
    queue_services.check_in(hall=hall, code=booking.code, actor=Actor("kiosk"), now=tuesday_9)
    calls.open_counter(counter=counter, actor=console, now=tuesday_9)
    ticket = calls.call_next(counter=counter, actor=console, now=tuesday_9)

    calls.complete(ticket=ticket, actor=console, outcome=Outcome.DONE, now=tuesday_9)

    row = Notification.objects.get(kind=Kind.RATING_REQUEST)
    assert (row.subject_type, row.subject_id, row.not_before) == ("ticket", ticket.pk, None)
    assert row.text == (
        f"[North District Hall] Thank you for your visit (ticket {ticket.number}). "
        f"Please rate our service: http://127.0.0.1:8000/t/{ticket.token}/"
    )
