"""A reminder for a visit with several services names them all, as the confirmation does."""

import datetime as dt

import pytest

from appointments import reminders, services
from notifications.models import Kind, Notification
from tests.appointments.test_matters import NOW, TZ, WEB, _english, citizen, hall, slot_at, trio  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_day_before_reminder_names_every_service_of_the_visit(trio):  # noqa: F811 (the fixture)
    booking = services.book(slot=slot_at(trio[0]), citizen=citizen(), also=[trio[1]], actor=WEB, now=NOW)
    Notification.objects.filter(subject_id=booking.pk).update(created_at=NOW)  # confirmed in the morning
    booking.language = "en"
    booking.save(update_fields=["language"])

    reminders.record_due(now=dt.datetime(2026, 11, 23, 18, 0, tzinfo=TZ))

    text = Notification.objects.get(kind=Kind.REMINDER_DAY_BEFORE, subject_id=booking.pk).text
    assert text.startswith(
        "[North District Hall] Reminder: ID card renewal + Household certificate 2026-11-24 09:00-"
    )
