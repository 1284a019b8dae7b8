"""Availability reads are kept for AVAILABILITY_CACHE_SECONDS (a release-time rush reloads the same day)."""

import socket

import pytest
from django.core.cache import cache

from appointments import availability
from appointments.models import CapacityOverride, Slot
from tests.api.helpers import get

pytestmark = pytest.mark.django_db


def _remaining(client, day, language="zh-hans"):
    url = "/api/v1/halls/north/availability"
    body = get(client, url, language, service="id-renewal", date=day.isoformat()).json()
    return body["slots"][0]["remaining"]


def _take_one(service, day):
    first = availability.sync_slots(service=service, date=day)[0]
    Slot.objects.filter(pk=first.pk).update(taken=1)


def test_a_kept_read_shows_the_places_of_a_moment_ago_until_it_expires(client, service, day, settings):
    settings.AVAILABILITY_CACHE_SECONDS = 60
    CapacityOverride.objects.create(service=service, date=day, capacity=3)
    assert _remaining(client, day) == 3

    _take_one(service, day)

    assert _remaining(client, day) == 3  # the kept read
    assert _remaining(client, day, "en") == 2  # each language is kept on its own (the reason is translated)
    cache.clear()  # as when the seconds have passed
    assert _remaining(client, day) == 2


def test_without_keeping_a_read_shows_a_booking_at_once(client, service, day, settings):
    settings.AVAILABILITY_CACHE_SECONDS = 0
    CapacityOverride.objects.create(service=service, date=day, capacity=3)
    assert _remaining(client, day) == 3

    _take_one(service, day)

    assert _remaining(client, day) == 2


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_availability_answers_from_the_database_while_redis_is_down(client, service, day, settings):
    """docs/faults.md: the JSON API keeps working during a Redis outage. A real client against a port where
    no Redis listens: the cache read and write fail, the answer is computed."""
    settings.AVAILABILITY_CACHE_SECONDS = 60
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        }
    }
    CapacityOverride.objects.create(service=service, date=day, capacity=3)
    assert _remaining(client, day) == 3

    _take_one(service, day)

    assert _remaining(client, day) == 2  # nothing was kept: each read is fresh
