"""What a simulated day measured: the estimates against the waits, the share called within the hall's
target, the people inside against the cap, the counters' utilisation; per hour and per service."""

import statistics
from collections import defaultdict
from dataclasses import dataclass

from simulation.log import DayLog, Reading, TicketLog

WITHIN = 5  # minutes: an estimate this close to the wait counts as right (issue 19)


@dataclass(frozen=True)
class Errors:
    """Absolute errors (minutes) of one estimator over some readings."""

    count: int
    within: float  # share within WITHIN minutes
    median: float
    p90: float

    @classmethod
    def of(cls, errors: list[float]) -> "Errors":
        if not errors:
            return cls(0, 0.0, 0.0, 0.0)
        ordered = sorted(errors)
        return cls(
            len(ordered),
            sum(e <= WITHIN for e in ordered) / len(ordered),
            statistics.median(ordered),
            ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
        )


def _left(ticket: TicketLog, reading: Reading) -> float:
    return (ticket.called_at - reading.at).total_seconds() / 60


def pairs(logs: list[DayLog], *, at_issue: bool = True) -> list[tuple[float, int | None, int]]:
    """(actual wait left, new estimate, old estimate) of each called ticket's first reading (at issue,
    the kiosk slip), or of every reading (the ticket page, each time it was looked at)."""
    found = []
    for log in logs:
        for ticket in log.tickets.values():
            if ticket.called_at is None or not ticket.readings:
                continue
            readings = ticket.readings[:1] if at_issue else ticket.readings
            found += [(_left(ticket, r), r.minutes, r.old) for r in readings]
    return found


def error_table(logs: list[DayLog], *, at_issue: bool = True) -> dict[str, Errors | int]:
    """Old against new over the same readings; readings without a basis are counted, not scored."""
    found = pairs(logs, at_issue=at_issue)
    scored = [(actual, new, old) for actual, new, old in found if new is not None]
    return {
        "new": Errors.of([abs(new - actual) for actual, new, _old in scored]),
        "old": Errors.of([abs(old - actual) for actual, _new, old in scored]),
        "no_basis": len(found) - len(scored),
    }


def _hour(moment, log: DayLog) -> int:
    return moment.astimezone(log.tz).hour


def waits(log: DayLog, key) -> dict:
    """Per key (hour of issue or service): tickets, mean wait, share within the hall's target."""
    groups = defaultdict(list)
    for ticket in log.tickets.values():
        if ticket.called_at is not None:
            groups[key(ticket)].append(ticket.wait())
    return {
        k: {
            "tickets": len(v),
            "mean_wait": statistics.mean(v),
            "within_target": sum(w <= log.target_minutes for w in v) / len(v),
        }
        for k, v in sorted(groups.items())
    }


def utilisation(log: DayLog) -> dict[int, float]:
    """Per counter: time busy (from a call to the end of the service) over time open."""
    open_, busy = defaultdict(float), defaultdict(float)
    for interval in log.intervals:
        span = (interval.end - interval.start).total_seconds()
        (busy if interval.busy else open_)[interval.counter] += span
    return {n: busy[n] / open_[n] for n in sorted(open_) if open_[n]}


def summary(log: DayLog) -> dict:
    called = [t.wait() for t in log.tickets.values() if t.called_at is not None]
    outside = [o.outside for o in log.occupancy]
    return {
        "day": log.day_type,
        "seed": log.seed,
        "tickets": len(log.tickets),
        "bookings": log.bookings,
        "called": len(called),
        "refused": dict(log.refused),
        "within_target": sum(w <= log.target_minutes for w in called) / len(called) if called else 0.0,
        "target_minutes": log.target_minutes,
        "most_inside": max((o.inside for o in log.occupancy), default=0),
        "cap_inside": log.cap_inside,
        "sent_outside": sum(not t.inside for t in log.tickets.values()),
        "most_outside": max(outside, default=0),
        "utilisation": utilisation(log),
        "by_hour": waits(log, lambda t: _hour(t.issued_at, log)),
        "by_service": waits(log, lambda t: t.service),
        "estimates_at_issue": error_table([log]),
        "estimates_at_readings": error_table([log], at_issue=False),
        "seconds": log.seconds,
        "cpu_seconds": log.cpu_seconds,
    }
