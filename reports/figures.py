"""The report's figures: a Row for each service, counter, staff member or day, the ratings in it, and the
Report that holds them with its headline counts and the comparison with the previous period."""

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from hall.models import Hall
from queueing.models import Outcome, TicketState
from reports import stats
from reports.models import Score


@dataclass
class Ratings:
    count: int = 0
    total: int = 0
    by_score: dict[int, int] = field(default_factory=lambda: dict.fromkeys(Score.values, 0))

    def add(self, score: int) -> None:
        self.count += 1
        self.total += score
        self.by_score[score] += 1

    @property
    def average(self) -> float | None:
        return self.total / self.count if self.count else None

    @property
    def distribution(self) -> list[tuple[str, int]]:
        return [(Score(score).label, self.by_score[score]) for score in sorted(self.by_score, reverse=True)]


@dataclass
class Row:
    """Figures for one service, counter, staff member, day or the whole hall."""

    key: object = None
    label: str = ""
    issued: int = 0
    served: int = 0
    no_show: int = 0
    materials_missing: int = 0
    rebooked: int = 0  # booked for the next open day at closing (queueing.closing)
    day_ended: int = 0  # still open when the day ended (queueing.dayend)
    waits: list[float] = field(default_factory=list)
    handlings: list[float] = field(default_factory=list)
    open_minutes: float | None = None
    ratings: Ratings = field(default_factory=Ratings)
    repeat_citizens: int = 0
    repeaters: int = 0
    target: float = 15
    _visits_missing: set = field(default_factory=set, repr=False, compare=False)

    def add(self, t, wait: float | None, handling: float | None, *, visits: bool = False) -> None:
        """One ticket, or one matter of a ticket that carried several. With `visits` (the hall's total, a
        day, an hour) served counts the citizen's visit once: its first matter done, not the further ones,
        as issued counts it once, and materials missing once however many of its matters lacked them; and a
        visit is a no-show only when its first matter was (a citizen served for one matter who left before
        the next was called is a visit served, and a no-show of that next matter's service). A service,
        counter or staff member counts each matter done there."""
        visit = not (visits and t.further)  # a further matter of a visit counts for its service only
        self.no_show += t.state == TicketState.NO_SHOW and visit
        self.rebooked += t.state == TicketState.REBOOKED and visit
        self.day_ended += t.state == TicketState.DAY_ENDED and visit
        if wait is not None:
            self.waits.append(wait)
        if handling is not None:
            self.served += visit
            self.handlings.append(handling)
            if t.outcome == Outcome.MATERIALS_MISSING:
                if not visits:
                    self.materials_missing += 1
                elif t.id not in self._visits_missing:  # a visit lacking papers for two matters is one
                    self._visits_missing.add(t.id)
                    self.materials_missing += 1

    # Read once the rows are complete (templates read each figure several times).
    @cached_property
    def wait(self) -> stats.Summary:
        return stats.summarise(self.waits)

    @cached_property
    def handling(self) -> stats.Summary:
        return stats.summarise(self.handlings)

    @cached_property
    def sla_percent(self) -> float | None:
        return stats.share_below(self.waits, self.target)

    @property
    def idle_minutes(self) -> float | None:
        if self.open_minutes is None:
            return None
        return max(0.0, self.open_minutes - sum(self.handlings))

    @property
    def repeat_percent(self) -> float | None:
        return 100 * self.repeaters / self.repeat_citizens if self.repeat_citizens else None


@dataclass
class Report:
    hall: Hall
    first: dt.date
    last: dt.date
    target: int
    total: Row
    appointments: int = 0
    walk_ins: int = 0
    green_channel: int = 0
    tickets_cancelled: int = 0
    after_hours: int = 0  # waiting at closing, served after hours (延时服务)
    no_show_bookings: int = 0
    cancelled: int = 0
    by_service: list[Row] = field(default_factory=list)
    by_counter: list[Row] = field(default_factory=list)
    by_staff: list[Row] = field(default_factory=list)
    by_day: list[Row] = field(default_factory=list)
    hours: list[tuple[int, int, int]] = field(default_factory=list)  # (hour, arrivals, served)
    previous: "Report | None" = None
    tickets: list = field(default_factory=list, repr=False)
    measured: list = field(default_factory=list, repr=False)  # (ticket, wait, handling) in minutes

    @property
    def issued(self) -> int:
        return self.total.issued

    @property
    def served(self) -> int:
        return self.total.served

    @property
    def rebooked(self) -> int:
        """Visits waiting at closing, given a priority booking for the next open day."""
        return self.total.rebooked

    @property
    def day_ended(self) -> int:
        """Visits still open when the day ended: nobody finished them (queueing.dayend)."""
        return self.total.day_ended

    @property
    def no_show(self) -> int:
        """Tickets called but not answered, and bookings never checked in."""
        return self.total.no_show + self.no_show_bookings

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def comparison(self) -> list[tuple[str, float | None, float | None, float | None]]:
        """(figure, now, before, change %) for the headline figures."""
        if self.previous is None:
            return []
        p = self.previous
        pairs = [
            ("issued", self.issued, p.issued),
            ("served", self.served, p.served),
            ("no_show", self.no_show, p.no_show),
            ("cancelled", self.cancelled, p.cancelled),
            ("wait_mean", self.total.wait.mean, p.total.wait.mean),
            ("wait_p90", self.total.wait.p90, p.total.wait.p90),
            ("handling_mean", self.total.handling.mean, p.total.handling.mean),
            ("sla_percent", self.total.sla_percent, p.total.sla_percent),
            ("rating", self.total.ratings.average, p.total.ratings.average),
        ]
        return [(name, now, before, stats.change_percent(now, before)) for name, now, before in pairs]
