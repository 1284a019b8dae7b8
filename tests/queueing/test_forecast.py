import datetime as dt

import pytest

from queueing.forecast import counter_queue, estimated_wait_minutes, handling_minutes
from queueing.order import APPOINTMENT, WALK_IN, Waiting

T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("ahead", "average", "counters", "expected"),
    [
        (0, 10, 2, 0),  # nobody ahead: next
        (1, 10, 1, 10),
        (3, 10, 2, 15),
        (1, 10, 3, 4),  # 3.3 minutes: rounded up, never promised too soon
        (1, 1, 5, 1),  # at least a minute while someone is ahead
        (2, 12, 0, 24),  # every counter closed or paused: reckoned as one
    ],
)
def test_estimated_wait_minutes(ahead, average, counters, expected):
    assert estimated_wait_minutes(ahead, average, counters) == expected


def item(id_, service_id=1, kind=WALK_IN, minutes=0, **kw):
    return Waiting(
        id=id_, service_id=service_id, kind=kind, issued_at=T0 + dt.timedelta(minutes=minutes), **kw
    )


def test_counter_queue_urgent_first_then_services_in_preference():
    waiting = [
        item(1, service_id=1, minutes=0),
        item(2, service_id=2, minutes=1),
        item(3, service_id=2, minutes=2, green=True),
        item(4, service_id=1, minutes=3, transferred=True),
        item(5, service_id=3, minutes=4),  # not this counter's service
    ]

    queue = counter_queue(waiting, services=[2, 1], now=T0)

    assert [w.id for w in queue] == [3, 4, 2, 1]


def test_counter_queue_interleaves_walk_ins_like_call_next():
    waiting = [
        item(1, kind=WALK_IN, minutes=0),
        item(2, kind=APPOINTMENT, minutes=1, booked_start=T0),
        item(3, kind=APPOINTMENT, minutes=2, booked_start=T0),
        item(4, kind=APPOINTMENT, minutes=3, booked_start=T0),
    ]

    queue = counter_queue(waiting, services=[1], now=T0 + dt.timedelta(minutes=5))

    assert [w.id for w in queue] == [2, 3, 1, 4]


def test_handling_minutes():
    assert [
        handling_minutes(T0, T0 + dt.timedelta(minutes=7, seconds=20)),
        handling_minutes(T0, T0 + dt.timedelta(seconds=10)),
        handling_minutes(None, T0),
    ] == [7, 1, None]
