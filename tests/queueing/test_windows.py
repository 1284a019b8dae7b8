"""The open windows of a service, one rule (queueing/windows.py): the SQL agrees with the ORM's
Counter.objects.serving with the session open, and the ticket page counts it (progress.open_windows)."""

import pytest

from hall import rows
from hall.models import Counter, CounterKind
from queueing import estimates, progress, windows
from queueing.models import CounterSession, CounterState
from tests.makers import make_counter, make_hall, make_service

pytestmark = pytest.mark.django_db


def make_window(hall, number, services, state=None, **fields):
    counter = make_counter(hall, number, services, **fields)
    if state:
        CounterSession.objects.create(counter=counter, state=state)
    return counter


def test_open_windows_are_the_windows_in_use_serving_the_service_with_their_session_open():
    hall = make_hall()
    service, other = make_service(hall), make_service(hall, code="cert", prefix="B")
    open_one = make_window(hall, 1, [service], CounterState.OPEN)
    open_both = make_window(hall, 2, [service, other], CounterState.OPEN)
    make_window(hall, 3, [service], CounterState.PAUSED)
    make_window(hall, 4, [service])  # never opened: no session
    make_window(hall, 5, [service], CounterState.OPEN, active=False)
    make_window(hall, 6, [service], CounterState.OPEN, kind=CounterKind.ONLINE_ROOM)
    open_other = make_window(hall, 7, [other], CounterState.OPEN)

    found = {(counter, service_id) for counter, service_id, *_rest in rows.fetch(windows.OPEN_WINDOWS, [])}
    by_orm = {
        (counter.pk, s.pk)
        for s in (service, other)
        for counter in Counter.objects.serving(s).filter(session__state=CounterState.OPEN)
    }

    assert found == by_orm
    assert found == {
        (open_one.pk, service.pk),
        (open_both.pk, service.pk),
        (open_both.pk, other.pk),
        (open_other.pk, other.pk),
    }
    assert (progress.open_windows(service.pk), progress.open_windows(other.pk)) == (2, 2)


def test_the_live_estimate_counts_the_same_open_windows_and_no_other_halls():
    hall, elsewhere = make_hall(), make_hall(slug="elsewhere")
    service, other = make_service(hall), make_service(hall, code="cert", prefix="B")
    open_one = make_window(hall, 1, [service], CounterState.OPEN)
    make_window(hall, 2, [service], CounterState.OPEN, kind=CounterKind.ONLINE_ROOM)  # video, not the hall's
    make_window(hall, 3, [other], CounterState.PAUSED)
    make_window(elsewhere, 1, [make_service(elsewhere)], CounterState.OPEN)

    read = estimates._services(hall)

    assert {(service_id, counter_id) for service_id, _average, counter_id, _streak in read} == {
        (service.pk, open_one.pk),
        (other.pk, None),  # a service no open window calls keeps its row
    }
