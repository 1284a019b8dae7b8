"""A kept simulated day ends as the night ends a real one (queueing/dayend.py): whatever the drain after its
close left open ends unfinished, and no later day finds a ticket of it still open."""

import datetime as dt

from queueing import invariants
from queueing.models import OPEN_STATES, Ticket, TicketState
from simulation import engine
from simulation.api import simulate_day
from simulation.scenario import day_type

BUSY_SHORT = day_type("quiet", walk_ins=40, booking_fill=0.02, counters=dict.fromkeys(range(8, 20), 1))


def test_a_kept_day_cut_short_at_its_close_ends_what_was_left_open(demo_hall, monkeypatch):
    monkeypatch.setattr(engine, "DRAIN", dt.timedelta(0))  # no counter finishes the queue after the close
    log = simulate_day(demo_hall, BUSY_SHORT, seed=2, keep=True, readings=False)

    day = Ticket.objects.filter(hall=demo_hall, date=log.date)
    assert day.filter(state=TicketState.DAY_ENDED).exists()
    assert not day.filter(state__in=OPEN_STATES).exists()
    assert invariants.check_all() == []
