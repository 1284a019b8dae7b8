"""A citizen's booking draft (name, mobile, the ID number's hash) does not outlive the visit."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from hall.housekeeping import erase_expired_sessions
from tests.appointments.test_views import client, day, enter_details, service, slots  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_a_draft_expires_half_an_hour_after_the_last_step(client, service, day):  # noqa: F811 (fixtures)
    enter_details(client, service, day, slots(service, day)[0])

    assert "booking_draft" in client.session
    assert client.session.get_expiry_age() == 30 * 60


def test_expired_sessions_are_erased_and_live_ones_kept():
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="x", expire_date=now - dt.timedelta(seconds=1))
    Session.objects.create(session_key="live", session_data="x", expire_date=now + dt.timedelta(minutes=5))

    assert erase_expired_sessions(now=now) == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
