import datetime as dt
import time

import pytest

from appointments import services as booking_services
from appointments.reminders import slot_key
from notifications import delivery, sms
from notifications.models import Kind, Notification, State
from tests.notifications.helpers import MONDAY_9, WEB, book, citizen, slots
from tests.races import all_at_once

T0 = MONDAY_9 + dt.timedelta(minutes=5)


def confirmation(service, **kw):
    booking = book(service, **kw)
    row = Notification.objects.get(subject_id=booking.pk, kind=Kind.BOOKING_CONFIRMED)
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=MONDAY_9)  # recorded on the real clock
    return row


def reminder(booking, key=None):
    return Notification.objects.create(
        hall=booking.hall,
        kind=Kind.REMINDER_SOON,
        subject_type="booking",
        subject_id=booking.pk,
        key=key or slot_key(booking.slot.start),
        phone=booking.phone,
        text="[Hall] soon",
        next_attempt_at=MONDAY_9,
    )


@pytest.mark.django_db
def test_deliver_sends_once_and_records_the_gateway_id(service):
    row = confirmation(service)

    outcomes = [delivery.deliver(row.pk, now=T0), delivery.deliver(row.pk, now=T0)]

    row.refresh_from_db()
    assert outcomes == [State.SENT, None]
    assert (row.state, row.attempts, row.gateway_id, row.sent_at, row.claimed_at) == (
        State.SENT,
        1,
        "memory-1",
        T0,
        None,
    )
    assert [(m.notification_id, m.reference, m.phone) for m in sms.outbox] == [
        (row.pk, row.idempotency_key.hex, citizen().phone)
    ]


@pytest.mark.django_db
def test_deliver_not_yet_due_sends_nothing(service):
    row = confirmation(service)
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=T0 + dt.timedelta(seconds=1))

    assert (delivery.deliver(row.pk, now=T0), sms.outbox) == (None, [])


@pytest.mark.django_db
def test_deliver_row_being_sent_elsewhere_sends_nothing(service):
    row = confirmation(service)
    Notification.objects.filter(pk=row.pk).update(state=State.SENDING, claimed_at=T0)

    assert (delivery.deliver(row.pk, now=T0), sms.outbox) == (None, [])


@pytest.mark.django_db
def test_deliver_missing_row_does_nothing():
    assert delivery.deliver(123456, now=T0) is None


@pytest.mark.django_db
def test_reminder_of_cancelled_booking_withdrawn(service):
    booking = book(service)
    row = reminder(booking)
    booking_services.cancel_booking(booking=booking, actor=WEB, now=MONDAY_9)

    outcome = delivery.deliver(row.pk, now=T0)

    row.refresh_from_db()
    assert (outcome, row.state, sms.outbox) == (State.WITHDRAWN, State.WITHDRAWN, [])


@pytest.mark.django_db
def test_reminder_for_the_old_time_withdrawn_after_reschedule(service):
    booking = book(service)
    row = reminder(booking)
    booking_services.reschedule_booking(booking=booking, slot=slots(service)[3], actor=WEB, now=MONDAY_9)

    assert (delivery.deliver(row.pk, now=T0), sms.outbox) == (State.WITHDRAWN, [])


@pytest.mark.django_db
def test_row_without_mobile_refused(service):
    row = confirmation(service)
    Notification.objects.filter(pk=row.pk).update(phone="")

    outcome = delivery.deliver(row.pk, now=T0)

    row.refresh_from_db()
    assert (outcome, row.state, row.last_error) == (State.REFUSED, State.REFUSED, "no mobile number")


class BrokenBackend(sms.Backend):
    def send(self, message):
        raise KeyError("a bug")


@pytest.mark.django_db
def test_backend_bug_retried_later(service, settings):
    settings.SMS_BACKEND = "tests.notifications.test_delivery.BrokenBackend"
    row = confirmation(service)

    outcome = delivery.deliver(row.pk, now=T0)

    row.refresh_from_db()
    assert (outcome, row.state, row.attempts) == (State.QUEUED, State.QUEUED, 1)
    assert (row.next_attempt_at, row.last_error) == (T0 + dt.timedelta(minutes=1), "KeyError: 'a bug'")


@pytest.mark.django_db
def test_attempt_that_outlived_its_claim_cannot_overwrite_the_next(service):
    row = confirmation(service)
    first = delivery.claim(row.pk, T0)
    Notification.objects.filter(pk=row.pk).update(state=State.QUEUED)  # the sweeper gave up on it
    second = delivery.claim(row.pk, T0 + dt.timedelta(minutes=3))

    stale_write = delivery._finish(first, T0, state=State.SENT)

    row.refresh_from_db()
    assert (first.attempts, second.attempts, stale_write) == (1, 2, False)
    assert (row.state, row.attempts) == (State.SENDING, 2)


class SlowBackend(sms.MemoryBackend):
    def send(self, message):
        time.sleep(0.2)
        return super().send(message)


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_jobs_for_one_row_send_once(service, settings):
    settings.SMS_BACKEND = "tests.notifications.test_delivery.SlowBackend"
    row = confirmation(service)
    outcomes = all_at_once(lambda _i: delivery.deliver(row.pk), 8)

    row.refresh_from_db()
    assert sorted(outcomes, key=str) == [None] * 7 + [State.SENT]
    assert (len(sms.outbox), row.attempts) == (1, 1)
