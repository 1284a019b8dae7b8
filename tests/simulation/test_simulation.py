"""A short simulated day in the demo hall: the same seed plays the same day, and the day leaves the data as
every invariant wants it."""

import pytest

from queueing import invariants
from simulation import measures
from simulation.api import simulate_day
from simulation.scenario import Pause, day_type

SHORT = day_type(
    "quiet",
    walk_ins=12,
    booking_fill=0.02,
    counters=dict.fromkeys(range(8, 20), 3),
    pauses=(Pause(1, "09:00", 30),),
    reading_minutes=60,
    park_rate=0.2,
    transfer_rate=0.2,
    missing_rate=0.2,
    gone_rate=0.1,
)


@pytest.fixture
def short_day(demo_hall):
    return lambda seed, **kw: simulate_day(demo_hall, SHORT, seed=seed, **kw)


def test_same_seed_plays_the_same_day(short_day):
    first, again, other = short_day(3), short_day(3), short_day(4)

    assert first.timeline() == again.timeline()
    assert len(first.timeline()) >= 12
    assert other.timeline() != first.timeline()


def test_a_kept_day_leaves_every_invariant_holding(short_day):
    log = short_day(5, keep=True)

    assert log.tickets and all(t.called_at for t in log.tickets.values())
    assert invariants.check_all() == []


def test_each_called_ticket_has_its_estimate_at_issue_measured(short_day):
    log = short_day(6)
    summary = measures.summary(log)

    called = [t for t in log.tickets.values() if t.called_at]
    assert summary["estimates_at_issue"]["new"].count + summary["estimates_at_issue"]["no_basis"] == len(
        called
    )
    assert summary["called"] == len(called)
    assert min(summary["by_hour"]) >= 8  # the hall's local hours, from its opening at 08:30
