"""A gateway pushing one reply several times at once (its retries after a slow answer) confirms or cancels
once: real concurrent clients on PostgreSQL."""

import phonenumbers
import pytest

from appointments.models import BookingEvent, BookingState, PlaceHold
from appointments.sms_replies import Reply, handle
from notifications.models import Kind, Notification
from tests.notifications.test_sms_replies import MONDAY_20, reminded
from tests.races import all_at_once

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]
PHONE = phonenumbers.parse("13800138000", "CN")


def test_one_reply_pushed_four_times_at_once_confirms_once(service):
    booking, _reminder = reminded(service)

    outcomes = all_at_once(lambda i: handle(Reply("aliyun", PHONE, "1", MONDAY_20), now=MONDAY_20), 4)

    assert sorted(outcomes) == ["already", "already", "already", "confirmed"]
    assert BookingEvent.objects.filter(booking=booking, source="sms").count() == 1
    assert Notification.objects.filter(kind=Kind.REPLY_CONFIRMED).count() == 1


def test_one_cancelling_reply_pushed_four_times_at_once_cancels_once(service):
    booking, _reminder = reminded(service)

    outcomes = all_at_once(lambda i: handle(Reply("tencent", PHONE, "2", MONDAY_20), now=MONDAY_20), 4)

    booking.refresh_from_db()
    assert outcomes.count("cancelled") == 1 and booking.state == BookingState.CANCELLED
    assert PlaceHold.objects.filter(slot=booking.slot).count() == 1
    assert Notification.objects.filter(kind=Kind.BOOKING_CANCELLED, subject_id=booking.pk).count() == 1
