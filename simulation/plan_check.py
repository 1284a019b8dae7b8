"""A staffing plan checked by the simulator (issue 19, item 4): play the day with the plan's counters per
hour over several seeds; while fewer than the goal's share of the tickets are called within the hall's
target, add a counter in the hour whose tickets missed it most; then take counter-hours away, one at a
time, while the plan still meets the goal. The answer is the plan with the fewest counter-hours among
those tried that met the goal. The number of plans tried is bounded (`max_plans`), each plan costing one
simulated day per seed; docs/simulation.md.

A ticket never called by the end of the simulated day counts as a miss."""

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from hall.models import Hall
from reports.models import ReportSettings
from reports.plan import MIN_COUNTERS
from simulation.api import simulate_day
from simulation.log import DayLog
from simulation.scenario import DayType

# Share called within the hall's target when none is given: the default of the hall's own goal
# (ReportSettings.service_level_percent), which the plan check checks (plan_check_jobs.check).
GOAL = ReportSettings._meta.get_field("service_level_percent").default / 100
SEEDS = (1, 2, 3)
MAX_PLANS = 12

Counters = dict[int, int]  # local clock hour -> counters open


def counter_hours(counters: Counters) -> int:
    return sum(counters.values())


@dataclass(frozen=True)
class Trial:
    """One plan played over the seeds."""

    counters: Counters
    tickets: int
    within: int  # called within the target
    misses: dict[int, float]  # hour -> tickets over the target or never called (shared, see measure)
    seed_shares: tuple[float, ...]
    goal: float

    @property
    def share(self) -> float:
        return self.within / self.tickets if self.tickets else 1.0

    @property
    def meets(self) -> bool:
        return self.share >= self.goal

    @property
    def counter_hours(self) -> int:
        return counter_hours(self.counters)

    def as_dict(self) -> dict:
        return {
            "counters": {str(h): n for h, n in sorted(self.counters.items())},
            "counter_hours": self.counter_hours,
            "share": self.share,
            "tickets": self.tickets,
            "seed_shares": list(self.seed_shares),
            "meets": self.meets,
        }


@dataclass
class Check:
    start: Trial
    goal: float
    seeds: tuple[int, ...]
    max_plans: int
    tried: list[Trial] = field(default_factory=list)
    simulations: int = 0
    exhausted: bool = False  # the bound on plans stopped the search

    @property
    def best(self) -> Trial | None:
        """The fewest counter-hours among the plans tried that met the goal (then the higher share)."""
        meeting = [t for t in self.tried if t.meets]
        return min(meeting, key=lambda t: (t.counter_hours, -t.share)) if meeting else None

    def as_dict(self) -> dict:
        best = self.best
        return {
            "goal": self.goal,
            "seeds": list(self.seeds),
            "max_plans": self.max_plans,
            "simulations": self.simulations,
            "exhausted": self.exhausted,
            "start": self.start.as_dict(),
            "checked": best.as_dict() if best else None,
            "tried": [t.as_dict() for t in self.tried],
        }


Play = Callable[[Counters, int], DayLog]


def _spread(misses: dict, start: dt.datetime, minutes: int, tz) -> None:
    """One miss shared among the clock hours of [start, start + minutes] by the time in each."""
    end = start + dt.timedelta(minutes=minutes)
    moment = start
    while moment < end:
        local = moment.astimezone(tz)
        following = local.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        upto = min(end, following)
        misses[local.hour] = misses.get(local.hour, 0.0) + (upto - moment).total_seconds() / 60 / minutes
        moment = upto


def measure(counters: Counters, logs: Sequence[DayLog], goal: float) -> Trial:
    """The plan's share within the target over the days. Each miss is shared among the hours of its first
    `target` minutes of waiting: a counter more in any of them would have called it in time."""
    misses, tickets, within, shares = {}, 0, 0, []
    for log in logs:
        day_within = 0
        for ticket in log.tickets.values():
            wait = ticket.wait()
            if wait is not None and wait <= log.target_minutes:
                day_within += 1
            else:
                _spread(misses, ticket.issued_at, log.target_minutes, log.tz)
        tickets += len(log.tickets)
        within += day_within
        shares.append(day_within / len(log.tickets) if log.tickets else 1.0)
    return Trial(dict(counters), tickets, within, misses, tuple(shares), goal)


class _Budget(Exception):
    pass


class Search:
    def __init__(self, play: Play, seeds: Sequence[int], goal: float, max_plans: int, progress=None):
        self.play, self.seeds, self.goal, self.max_plans = play, tuple(seeds), goal, max_plans
        self.progress = progress  # called with each new Trial
        self.trials: dict[tuple, Trial] = {}
        self.order: list[Trial] = []
        self.simulations = 0

    def trial(self, counters: Counters) -> Trial:
        key = tuple(sorted(counters.items()))
        if key in self.trials:
            return self.trials[key]
        if len(self.order) >= self.max_plans:
            raise _Budget
        logs = []
        for seed in self.seeds:
            logs.append(self.play(counters, seed))
            self.simulations += 1
        found = measure(counters, logs, self.goal)
        self.trials[key] = found
        self.order.append(found)
        if self.progress:
            self.progress(found)
        return found

    def add(self, trial: Trial) -> Trial:
        """Add a counter in the planned hour with the most misses until the plan meets the goal."""
        while not trial.meets:
            hours = [h for h in trial.misses if h in trial.counters]
            if not hours:
                return trial
            worst = max(hours, key=lambda h: (trial.misses[h], -h))
            trial = self.trial({**trial.counters, worst: trial.counters[worst] + 1})
        return trial

    def remove(self, trial: Trial) -> Trial:
        """Take one counter-hour away at a time, first where the fewest tickets missed, while it meets. An
        hour where taking one away missed the goal is not tried again (fewer counters elsewhere would
        not make it meet). An hour the hall is open keeps one counter: with none, whoever comes with a
        booking, or in the green channel, in that hour finds no window open (the simulated day, which stops
        walk-ins before closing, would not notice)."""
        stuck: set[int] = set()
        taken = True
        while taken:
            taken = False
            hours = [h for h, n in trial.counters.items() if n > MIN_COUNTERS and h not in stuck]
            for hour in sorted(hours, key=lambda h: (trial.misses.get(h, 0), -trial.counters[h], h)):
                candidate = self.trial({**trial.counters, hour: trial.counters[hour] - 1})
                if candidate.meets:
                    trial, taken = candidate, True
                    break
                stuck.add(hour)
        return trial


def search(
    play: Play,
    start: Counters,
    *,
    seeds: Sequence[int] = SEEDS,
    goal: float = GOAL,
    max_plans: int = MAX_PLANS,
    progress: Callable[[Trial], None] | None = None,
) -> Check:
    """From `start` (Erlang C's counters per hour): add where it misses, then remove while it meets, at
    most `max_plans` plans of len(seeds) simulated days each."""
    search_ = Search(play, seeds, goal, max_plans, progress)
    first = search_.trial(dict(start))
    exhausted = False
    try:
        search_.remove(search_.add(first))
    except _Budget:
        exhausted = True
    return Check(first, goal, tuple(seeds), max_plans, search_.order, search_.simulations, exhausted)


def player(hall: Hall, day: DayType, date: dt.date | None = None) -> Play:
    """Plays `day` in `hall` with the given counters per hour (rolled back), quietly."""

    def play(counters: Counters, seed: int) -> DayLog:
        previous = logging.root.manager.disable
        logging.disable(logging.INFO)
        try:
            return simulate_day(hall, replace(day, counters=dict(counters)), seed=seed, date=date)
        finally:
            logging.disable(previous)

    return play


def check_plan(
    hall: Hall,
    day: DayType,
    start: Counters,
    *,
    date: dt.date | None = None,
    seeds: Sequence[int] | None = None,
    goal: float = GOAL,
    max_plans: int | None = None,
    progress: Callable[[Trial], None] | None = None,
) -> Check:
    """Search from `start` playing `day` in `hall` (rolled back); SEEDS and MAX_PLANS unless given."""
    return search(
        player(hall, day, date),
        start,
        seeds=SEEDS if seeds is None else seeds,
        goal=goal,
        max_plans=MAX_PLANS if max_plans is None else max_plans,
        progress=progress,
    )
