"""The no-show rule, one per hall (BookingRules.no_show_grace_minutes): a booking may check in until the
grace after its arrival window ends; from the first moment after that it is a no-show. The sweep
(housekeeping.mark_no_shows), check-in (queueing.services.check_in), the console's lateness and the
per-person no-show block (limits) all ask this module, so that they cannot disagree at the boundary.
Pure apart from `rule_for`, which reads the hall's rules."""

import datetime as dt
import math
from dataclasses import dataclass

from appointments.availability import rules_for


@dataclass(frozen=True)
class NoShowRule:
    grace: dt.timedelta

    def check_in_closes(self, window_end: dt.datetime) -> dt.datetime:
        """The last moment a booking whose window ends at `window_end` may still check in."""
        return window_end + self.grace

    def is_no_show(self, window_end: dt.datetime, now: dt.datetime) -> bool:
        return now > self.check_in_closes(window_end)

    def windows_ended_before(self, now: dt.datetime) -> dt.datetime:
        """For queries: a booking still booked whose window ended strictly before this is a no-show."""
        return now - self.grace

    def minutes_late(self, window_end: dt.datetime, arrived: dt.datetime) -> int:
        """Whole minutes (rounded up) after the window's end; 0 within the window or before it."""
        return max(0, math.ceil((arrived - window_end).total_seconds() / 60))


def rule_of(rules) -> NoShowRule:
    """The rule of a hall's BookingRules."""
    return NoShowRule(grace=dt.timedelta(minutes=rules.no_show_grace_minutes))


def rule_for(hall) -> NoShowRule:
    return rule_of(rules_for(hall))
