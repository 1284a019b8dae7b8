"""Which recorded changes are webhook events (pure: no database)."""

import pytest

from webhooks.events import booking_event, ticket_event


@pytest.mark.parametrize(
    ("from_state", "to_state", "note", "event"),
    [
        ("", "booked", "", "booking.created"),
        ("", "booked", "waiting list", "booking.created"),
        ("booked", "booked", "slot 3 -> 9", "booking.rescheduled"),
        ("booked", "booked", "closure 2026-11-24: flood", None),
        ("booked", "cancelled", "", "booking.cancelled"),
        ("booked", "checked_in", "A001", "booking.checked_in"),
        ("booked", "no_show", "", "booking.no_show"),
        ("checked_in", "no_show", "", "booking.no_show"),
        ("checked_in", "served", "", "booking.served"),
        ("checked_in", "unfinished", "A001", "booking.unfinished"),  # its ticket's day ended
    ],
)
def test_booking_changes(from_state, to_state, note, event):
    assert booking_event(from_state, to_state, note) == event


@pytest.mark.parametrize(
    ("from_state", "to_state", "event"),
    [
        ("", "waiting", "ticket.issued"),
        ("called", "waiting", None),  # back in the queue, not a new ticket
        ("waiting", "called", "ticket.called"),
        ("called", "called", "ticket.called"),  # called again
        ("called", "serving", None),
        ("serving", "done", "ticket.served"),
        ("called", "no_show", "ticket.not_served"),
        ("waiting", "cancelled", "ticket.not_served"),
        ("waiting", "rebooked", "ticket.not_served"),
        ("serving", "day_ended", "ticket.not_served"),
    ],
)
def test_ticket_changes(from_state, to_state, event):
    assert ticket_event(from_state, to_state) == event
