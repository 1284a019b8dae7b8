"""Day types and the seeded draws of a simulated day: pure, no database. The same seed gives the same
visitors, the same handling times and the same outcomes (docs/simulation.md)."""

import datetime as dt
import math
import random
from dataclasses import dataclass, field, replace

# Share of walk-ins per clock hour: a morning peak, a smaller one after lunch (hours without a session
# of the hall get none).
WALK_IN_PROFILE = {
    8: 0.6,
    9: 1.4,
    10: 1.5,
    11: 1.0,
    12: 0.3,
    13: 0.5,
    14: 1.0,
    15: 0.9,
    16: 0.6,
    17: 0.4,
    18: 0.3,
}
SERVICE_MIX = {
    "id-card-renewal": 30,
    "id-card-first": 8,
    "id-card-lost": 6,
    "temp-id-card": 6,
    "hukou-certificate": 10,
    "move-in": 5,
    "move-out": 4,
    "newborn": 3,
    "residence-permit": 8,
    "pickup": 9,
}
BOOKED_SERVICES = ("id-card-renewal", "id-card-first", "hukou-certificate", "move-in", "residence-permit")


@dataclass(frozen=True)
class Pause:
    """A counter (by its number) away from `start` (local "HH:MM") for `minutes`: a break or an event."""

    counter: int
    start: str
    minutes: int


@dataclass(frozen=True)
class DayType:
    name: str
    walk_ins: int  # over the day, spread by WALK_IN_PROFILE
    booking_fill: float  # share of each booked service's bookable places taken
    counters: dict[int, int]  # clock hour -> counters open (the lowest numbers first)
    pauses: tuple[Pause, ...] = ()
    no_show_rate: float = 0.1
    early_share: float = 0.3  # of those who come: early (5-25 min), late (5-20 min), the rest on time
    late_share: float = 0.15
    green_share: float = 0.05
    second_matter_share: float = 0.1  # bookings with a further service in the same window
    two_persons_share: float = 0.1
    handling_spread: float = 0.5  # coefficient of variation of the log-normal handling times
    handling: dict[str, float] = field(default_factory=dict)  # service code -> mean minutes (else configured)
    missing_rate: float = 0.08
    transfer_rate: float = 0.03
    park_rate: float = 0.03
    gone_rate: float = 0.03  # walk-ins who left before their call (recalled, then a no-show)
    reading_minutes: int = 10  # how often a waiting citizen looks at the ticket page
    profile: dict[int, float] | None = None  # walk-ins' weight per clock hour (else WALK_IN_PROFILE)
    mix: dict[str, float] | None = None  # walk-ins' share per service code (else SERVICE_MIX)
    # (service code, local hour) -> bookings, each for one person with no further matter, in that hour's
    # slots: a real day's bookings as booked (simulation.plan_demand.day_of_plan); else booking_fill
    bookings: dict[tuple[str, int], int] | None = None


def _hours(counters: int, first=8, last=19) -> dict[int, int]:
    return dict.fromkeys(range(first, last), counters)


DAY_TYPES = {
    "quiet": DayType("quiet", walk_ins=80, booking_fill=0.1, counters=_hours(3)),
    "normal": DayType(
        "normal",
        walk_ins=150,
        booking_fill=0.15,
        counters={**_hours(4), 9: 5, 10: 5, 14: 5, 15: 5},
        pauses=(Pause(1, "11:00", 20), Pause(2, "15:30", 20)),
    ),
    # About 300 visitors; counter 2 closes at 10:00 for an hour, unannounced.
    "peak": DayType(
        "peak",
        walk_ins=200,
        booking_fill=0.15,
        counters={**_hours(6), 9: 7, 10: 7, 14: 7, 15: 7},
        pauses=(Pause(2, "10:00", 60),),
    ),
}


def day_type(name: str, **changes) -> DayType:
    return replace(DAY_TYPES[name], **changes)


@dataclass(frozen=True)
class Arrival:
    """A booked citizen's arrival (None: does not come)."""

    offset_minutes: float | None


class Draws:
    """Every random choice of a day, from one seeded generator per purpose, so that a change in how many
    draws one purpose takes does not shift the others."""

    def __init__(self, seed: int):
        self._rngs = {name: random.Random(f"{seed}:{name}") for name in ("book", "walk", "handle", "outcome")}

    def rng(self, purpose: str) -> random.Random:
        return self._rngs[purpose]

    def arrival(self, day: DayType) -> Arrival:
        rng = self.rng("book")
        if rng.random() < day.no_show_rate:
            return Arrival(None)
        roll = rng.random()
        if roll < day.early_share:
            return Arrival(-rng.uniform(5, 25))
        if roll < day.early_share + day.late_share:
            return Arrival(rng.uniform(5, 20))
        return Arrival(rng.uniform(-5, 5))

    def handling_minutes(self, mean: float, spread: float) -> float:
        """Log-normal with this mean and coefficient of variation."""
        sigma = math.sqrt(math.log(1 + spread**2))
        return self.rng("handle").lognormvariate(math.log(mean) - sigma**2 / 2, sigma)

    def walk_in_times(
        self, day: DayType, sessions: list[tuple[dt.datetime, dt.datetime]]
    ) -> list[dt.datetime]:
        """Walk-in arrival moments: the day's total shared among the open minutes by the hour profile."""
        rng = self.rng("walk")
        profile = WALK_IN_PROFILE if day.profile is None else day.profile
        weights = []
        for start, end in sessions:
            moment = start
            while moment < end:
                weights.append((moment, profile.get(moment.hour, 0.2 if day.profile is None else 0.0)))
                moment += dt.timedelta(minutes=1)
        if not weights or not any(w for _m, w in weights):
            return []
        moments = rng.choices([m for m, _ in weights], [w for _, w in weights], k=day.walk_ins)
        return sorted(m + dt.timedelta(seconds=rng.uniform(0, 59)) for m in moments)

    def choice(self, purpose: str, weights: dict[str, float]) -> str:
        return self.rng(purpose).choices(list(weights), list(weights.values()))[0]

    def chance(self, purpose: str, rate: float) -> bool:
        return self.rng(purpose).random() < rate

    def uniform(self, purpose: str, low: float, high: float) -> float:
        return self.rng(purpose).uniform(low, high)
