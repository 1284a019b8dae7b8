import datetime as dt

import pytest

from appointments import reminders
from appointments import services as booking_services
from notifications import delivery, sms
from notifications.models import Kind, Notification, State
from tests.notifications.helpers import MONDAY_9, TZ, WEB, book, slots

pytestmark = pytest.mark.django_db
MONDAY_18 = dt.datetime(2026, 11, 23, 18, 0, tzinfo=TZ)


def booked(service, told_at=MONDAY_9, **kw):
    """A booking for Tuesday whose confirmation was recorded at `told_at`."""
    booking = book(service, **kw)
    Notification.objects.filter(subject_id=booking.pk, kind=Kind.BOOKING_CONFIRMED).update(created_at=told_at)
    return booking


def day_before_reminders():
    return list(
        Notification.objects.filter(kind=Kind.REMINDER_DAY_BEFORE).values_list("subject_id", "key", "state")
    )


def test_day_before_reminder_recorded_at_six_keyed_by_slot_start(service):
    booking = booked(service, language="en")

    before = reminders.record_due(now=MONDAY_18 - dt.timedelta(minutes=1))
    recorded = reminders.record_due(now=MONDAY_18)

    row = Notification.objects.get(kind=Kind.REMINDER_DAY_BEFORE)
    start = booking.slot.start.astimezone(TZ)
    assert (before, recorded) == ([], [row.pk])
    assert (row.subject_id, row.key) == (booking.pk, booking.slot.start.astimezone(dt.UTC).isoformat())
    assert row.text.startswith(f"[North District Hall] Reminder: ID card renewal 2026-11-24 {start:%H:%M}-")
    assert row.text.endswith(f"/booking/{booking.manage_token}/")


def test_reminder_scan_is_idempotent(service):
    booked(service)

    first = reminders.record_due(now=MONDAY_18)
    second = reminders.record_due(now=MONDAY_18 + dt.timedelta(minutes=1))

    assert (len(first), second, len(day_before_reminders())) == (1, [], 1)


def test_reschedule_after_the_reminder_withdraws_it_the_move_message_tells_the_new_time(service):
    booking = booked(service)
    reminders.record_due(now=MONDAY_18)
    new_slot = slots(service)[4]

    booking_services.reschedule_booking(booking=booking, slot=new_slot, actor=WEB, now=MONDAY_18)
    Notification.objects.filter(kind=Kind.BOOKING_RESCHEDULED).update(
        created_at=MONDAY_18, next_attempt_at=MONDAY_18
    )
    again = reminders.record_due(now=MONDAY_18 + dt.timedelta(minutes=1))
    outcomes = {
        (row.kind, row.key): delivery.deliver(row.pk, now=MONDAY_18 + dt.timedelta(minutes=2))
        for row in Notification.objects.exclude(kind=Kind.BOOKING_CONFIRMED)
    }

    old_key, new_key = reminders.slot_key(booking.slot.start), reminders.slot_key(new_slot.start)
    assert again == []
    assert outcomes == {
        (Kind.REMINDER_DAY_BEFORE, old_key): State.WITHDRAWN,
        (Kind.BOOKING_RESCHEDULED, new_slot.start.isoformat()): State.SENT,
    }
    assert new_key == new_slot.start.isoformat()


def test_reschedule_moves_the_reminder(service):
    booking = booked(service)
    new_slot = slots(service)[4]
    booking_services.reschedule_booking(booking=booking, slot=new_slot, actor=WEB, now=MONDAY_9)
    Notification.objects.filter(kind=Kind.BOOKING_RESCHEDULED).update(created_at=MONDAY_9)

    reminders.record_due(now=MONDAY_18)
    outcome = delivery.deliver(Notification.objects.get(kind=Kind.REMINDER_DAY_BEFORE).pk, now=MONDAY_18)

    new_start = new_slot.start.astimezone(TZ)
    assert day_before_reminders() == [(booking.pk, reminders.slot_key(new_slot.start), State.SENT)]
    assert (outcome, f" {new_start:%H:%M}-" in sms.outbox[0].text) == (State.SENT, True)


def test_cancelled_booking_gets_no_reminder(service):
    booking = booked(service)
    booking_services.cancel_booking(booking=booking, actor=WEB, now=MONDAY_9)

    assert (reminders.record_due(now=MONDAY_18), day_before_reminders()) == ([], [])


def test_booking_made_after_six_needs_no_day_before_reminder(service):
    booked(service, told_at=MONDAY_18 + dt.timedelta(minutes=30))

    assert reminders.record_due(now=MONDAY_18) == []


def test_soon_reminder_two_hours_before_the_window(service):
    booking = booked(service)
    start = booking.slot.start

    early = reminders.record_due(now=start - dt.timedelta(hours=2, minutes=1))
    due = reminders.record_due(now=start - dt.timedelta(hours=2))

    row = Notification.objects.get(kind=Kind.REMINDER_SOON)
    assert (early, due, row.key) == ([], [row.pk], reminders.slot_key(start))


def test_soon_reminder_skipped_when_booked_within_two_hours(service):
    slot = slots(service)[0]
    booking = booked(service, slot=slot, told_at=slot.start - dt.timedelta(minutes=90))
    start = booking.slot.start

    assert reminders.record_due(now=start - dt.timedelta(minutes=60)) == []


def test_soon_reminder_held_by_quiet_hours_until_eight(service):
    booking = booked(service)  # the first window of the day: 08:30
    start = booking.slot.start

    reminders.record_due(now=start - dt.timedelta(hours=2))

    row = Notification.objects.get(kind=Kind.REMINDER_SOON)
    assert (start.astimezone(TZ).time(), row.not_before) == (
        dt.time(8, 30),
        dt.datetime(2026, 11, 24, 8, 0, tzinfo=TZ),
    )


def test_reminder_in_the_citizens_language(service):
    booked(service, language="zh-hans")

    reminders.record_due(now=MONDAY_18)

    text = Notification.objects.get(kind=Kind.REMINDER_DAY_BEFORE).text
    assert ("北区户政大厅" in text, "居民身份证换领" in text) == (True, True)
