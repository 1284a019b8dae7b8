"""A video call the citizen joined but the clerk never completed ends with the day (video/dayend.py): the
booking is `unfinished`, no longer active and not a no-show; today's waiting room is left alone."""

import datetime as dt

import pytest

from appointments.models import BookingState
from tests.video.helpers import video_booking, video_setup
from video import calls, dayend

pytestmark = pytest.mark.django_db


def test_a_video_call_left_checked_in_yesterday_ends_unfinished_and_todays_stays():
    hall, service, _clerk = video_setup()
    today_start = dt.datetime.combine(hall.local_date(dt.datetime.now(dt.UTC)), dt.time(10), hall.tz)
    yesterday = video_booking(service, start=today_start - dt.timedelta(days=1), n=7)
    today = video_booking(service, start=today_start, n=8)
    assert calls.citizen_joins(yesterday, now=yesterday.slot.start + dt.timedelta(minutes=1))
    assert calls.citizen_joins(today, now=today.slot.start + dt.timedelta(minutes=1))

    ended = dayend.end_past_days(now=today_start + dt.timedelta(hours=1))

    yesterday.refresh_from_db()
    today.refresh_from_db()
    assert (ended, yesterday.state, today.state) == (
        {"bookings": 1},
        BookingState.UNFINISHED,
        BookingState.CHECKED_IN,
    )
    assert dayend.end_past_days(now=today_start + dt.timedelta(hours=1)) == {"bookings": 0}
