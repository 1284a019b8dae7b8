"""The day's register (预约登记簿): one hall's bookings of a date by arrival window and service, with their
state and masked personal data, and the day's walk-in tickets, with totals per state. Reads only; three
queries whatever the number of bookings (tests/queueing/test_register.py counts them)."""

import datetime as dt
from dataclasses import dataclass, field
from itertools import groupby

from django.utils.translation import gettext_lazy as _

from appointments.models import Booking, BookingState
from hall.models import Hall
from queueing.models import Ticket, TicketKind, TicketState

BAD_DATE = _("Enter the date like 2026-12-07. The register of today is shown.")
DATE_OUT_OF_RANGE = _("Choose a date between %(first)s and %(last)s. The register of today is shown.")
FIRST_DATE = dt.date(2000, 1, 1)
DAYS_AHEAD = 366


class DateError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


def parse_date(text: str | None, today: dt.date) -> dt.date:
    """The `?date=` of the register: today when absent; DateError for a malformed or far-off date."""
    if not text:
        return today
    try:
        date = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise DateError(BAD_DATE) from None
    last = today + dt.timedelta(days=DAYS_AHEAD)
    if not FIRST_DATE <= date <= last:
        raise DateError(DATE_OUT_OF_RANGE % {"first": FIRST_DATE.isoformat(), "last": last.isoformat()})
    return date


@dataclass
class Entry:
    booking: Booking
    ticket: Ticket | None  # the ticket issued at check-in, if any


@dataclass
class ArrivalWindow:
    start: dt.datetime
    end: dt.datetime
    entries: list[Entry]


@dataclass
class Register:
    date: dt.date
    windows: list[ArrivalWindow] = field(default_factory=list)
    walk_ins: list[Ticket] = field(default_factory=list)
    booking_totals: list[tuple[str, str, int]] = field(default_factory=list)  # (state, label, count)
    walk_in_totals: list[tuple[str, str, int]] = field(default_factory=list)
    persons: int = 0  # persons of the bookings not cancelled

    @property
    def bookings(self) -> int:
        return sum(count for _state, _label, count in self.booking_totals)


def _totals(states, choices) -> list[tuple[str, str, int]]:
    return [(value, label, sum(1 for s in states if s == value)) for value, label in choices]


def build(hall: Hall, date: dt.date) -> Register:
    bookings = list(
        Booking.objects.of_day(hall, date)
        .select_related("service", "slot")
        .order_by("slot__start", "slot__end", "service__position", "service__code", "pk")
    )
    tickets = Ticket.objects.filter(hall=hall, date=date).select_related("service")
    checked_in = {
        t.booking_id: t for t in tickets.filter(booking__isnull=False, transferred_from__isnull=True)
    }
    walk_ins = list(
        tickets.filter(booking__isnull=True, kind=TicketKind.WALK_IN, transferred_from__isnull=True)
    )
    register = Register(date=date, walk_ins=walk_ins)
    for (start, end), group in groupby(bookings, key=lambda b: (b.slot.start, b.slot.end)):
        entries = [Entry(b, checked_in.get(b.pk)) for b in group]
        register.windows.append(ArrivalWindow(start, end, entries))
    register.booking_totals = _totals([b.state for b in bookings], BookingState.choices)
    register.walk_in_totals = [
        row for row in _totals([t.state for t in walk_ins], TicketState.choices) if row[2]
    ]
    register.persons = sum(b.persons for b in bookings if b.state != BookingState.CANCELLED)
    return register
