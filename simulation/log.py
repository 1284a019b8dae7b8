"""What a simulated day records as it goes: per ticket, its estimates and its call; per counter, when it
was open and when busy. Plain data, read by simulation.measures."""

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reading:
    """One look at the ticket page: the live estimate (with its range) and the old one."""

    at: dt.datetime
    minutes: int | None  # None: no basis yet
    low: int | None
    high: int | None
    old: int
    ahead: int | None = None  # people ahead of the same service (order.people_ahead)


@dataclass
class TicketLog:
    id: int
    number: str
    service: str  # code
    kind: str
    green: bool
    issued_at: dt.datetime
    inside: bool
    called_at: dt.datetime | None = None
    readings: list[Reading] = field(default_factory=list)

    def wait(self) -> float | None:
        if self.called_at is None:
            return None
        return (self.called_at - self.issued_at).total_seconds() / 60


@dataclass(frozen=True)
class Interval:
    counter: int  # number
    start: dt.datetime
    end: dt.datetime
    busy: bool  # False: open (staffed) time


@dataclass(frozen=True)
class Occupancy:
    at: dt.datetime
    inside: int
    outside: int


@dataclass
class DayLog:
    date: dt.date
    seed: int
    day_type: str
    cap_inside: int
    target_minutes: int
    tz: dt.tzinfo = dt.UTC  # the hall's: hours are reported in its local time
    tickets: dict[int, TicketLog] = field(default_factory=dict)
    intervals: list[Interval] = field(default_factory=list)
    occupancy: list[Occupancy] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)  # walk-ins and check-ins turned away, by reason
    bookings: int = 0
    seconds: float = 0.0  # wall-clock time the simulation took
    cpu_seconds: float = 0.0  # of this process (the machine may be shared)

    def timeline(self) -> list[tuple]:
        """The tickets as (number, service, kind, issued, called): what "the same day" means."""
        return [
            (t.number, t.service, t.kind, t.issued_at, t.called_at)
            for t in sorted(self.tickets.values(), key=lambda t: (t.issued_at, t.number))
        ]
