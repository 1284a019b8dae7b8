"""What the citizen and the clerk are told about the queue ahead: pure functions, no database."""

import datetime as dt
import heapq
import math
import random
import statistics
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from queueing import order


def estimated_wait_minutes(people_ahead: int, average_handling_minutes: int, open_counters: int) -> int:
    """Minutes until a ticket is likely called: the people ahead shared among the counters open for its
    service, each taking the service's average time. Rounded up, so that nobody is told "0 minutes"
    while someone is still ahead; with nobody ahead there is nothing to wait for. A service whose
    counters are all closed or paused is reckoned as one counter, not as an endless wait."""
    if people_ahead <= 0:
        return 0
    return max(1, math.ceil(people_ahead * average_handling_minutes / max(1, open_counters)))


def counter_queue(
    waiting: Iterable[order.Waiting],
    *,
    services: Sequence[int],
    now: dt.datetime,
    appointments_per_walk_in: int = 2,
    calls_since_walk_in: int = 0,
) -> list[order.Waiting]:
    """The order in which a counter serving `services` (in its order of preference) would call these
    tickets if nobody else arrived: what repeated order.next_for_counter would give, in one pass."""
    mine = [i for i in waiting if i.service_id in services]
    urgent = order.order(
        (i for i in mine if i.green or i.transferred),
        now=now,
        appointments_per_walk_in=appointments_per_walk_in,
    )
    result = list(urgent)
    for service_id in services:
        result += order.order(
            (i for i in mine if i.service_id == service_id and not (i.green or i.transferred)),
            now=now,
            appointments_per_walk_in=appointments_per_walk_in,
            calls_since_walk_in=calls_since_walk_in,
        )
    return result


def handling_minutes(started: dt.datetime | None, ended: dt.datetime | None) -> int | None:
    """Whole minutes a ticket took at the counter (at least 1 once it has ended)."""
    if started is None or ended is None:
        return None
    return max(1, round((ended - started).total_seconds() / 60))


# The live estimate (issue 19): what the hall is doing now, played forward. The counters open now call the
# waiting tickets in the hall's own order (order.next_for_counter), each taking its service's recent
# handling time, and the appointments due to arrive join the queue when they come; the ticket's wait is
# the moment a counter would call it. The spread of the recent handling times gives the range.

PRIOR_WEIGHT = 3  # the configured average counts as this many observed handling times
RANGE_FROM = 6  # minutes between low and high from which a range is shown rather than one figure
MAX_STEPS = 2000  # calls played forward at most (a queue that long is not estimated call by call)
SAMPLES = 40  # plays with drawn handling times that an estimate is read from
WITHIN = 5  # minutes: the estimate is the figure that the most plays call the ticket within this much of
# A play costs about the square of the people in it (each call ranks the queue). The plays of one reading
# stay within what 40 plays of 40 people cost; fewer than MIN_SAMPLES and one play at the means is read
# instead, its spread as quantiles (issue 20: at 200 waiting, 40 plays cost 7.7 times the ticket page's CPU).
PLAY_BUDGET = SAMPLES * 40 * 40
MIN_SAMPLES = 8
PERSON_SHARE = 0.6  # each further person of a booking takes this share of a handling time more
HISTORY_WEIGHT = 10  # a service's handling times on record count as this many observed today
_NORMAL = statistics.NormalDist()
_QUANTILES = tuple(_NORMAL.inv_cdf((i + 0.5) / 9) for i in range(9))


@dataclass(frozen=True)
class Handling:
    """A service's handling time at a counter now (minutes): mean, spread, and how many it rests on."""

    mean: float
    sd: float
    observed: int = 0


@dataclass(frozen=True)
class OpenCounter:
    services: tuple[int, ...]  # in its order of preference
    busy_for: float = 0.0  # minutes until its current ticket is likely done
    calls_since_walk_in: int = 0
    elapsed: float | None = None  # minutes its current ticket has been at it (None: busy_for is all we know)
    serving: int | None = None  # that ticket's service


@dataclass(frozen=True)
class Estimate:
    """Minutes until a ticket is likely called; `minutes` None: no basis yet (no counter open for it)."""

    minutes: int | None
    low: int | None = None
    high: int | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None and self.high is not None and self.high > self.low


NO_BASIS = Estimate(None)


@dataclass(frozen=True)
class Work:
    """A ticket that takes a counter longer than one matter of one person: a booking for several persons
    (each further one PERSON_SHARE of a handling time more) or with further matters (each a handling time of
    its service; played at the same counter, as a counter serving it takes it at once)."""

    persons: int = 1
    after: tuple[int, ...] = ()

    @property
    def factor(self) -> float:
        return 1 + PERSON_SHARE * (self.persons - 1)


def handling_from(recent: Sequence[float], configured: float) -> Handling:
    """Recent handling times weighed with the configured average, which counts as PRIOR_WEIGHT
    observations, so that a first quick ticket does not halve every estimate. The spread likewise."""
    n = len(recent)
    mean = (PRIOR_WEIGHT * configured + sum(recent)) / (PRIOR_WEIGHT + n)
    prior_var = (configured * 0.5) ** 2
    observed_var = sum((x - mean) ** 2 for x in recent)
    sd = math.sqrt((PRIOR_WEIGHT * prior_var + observed_var) / (PRIOR_WEIGHT + n))
    return Handling(mean, sd, n)


def pooled(today: Handling, record: Handling | None) -> Handling:
    """Today's handling (recent times weighed with the configured average) pooled with the service's times
    on record (the hall's history), which count as HISTORY_WEIGHT observations: ten recent times of a
    spread of half the mean leave the mean uncertain by a seventh, the record by far less."""
    if record is None or record.observed <= 0 or record.mean <= 0:
        return today
    weight = min(HISTORY_WEIGHT, record.observed)
    mine = PRIOR_WEIGHT + today.observed
    mean = (weight * record.mean + mine * today.mean) / (weight + mine)
    sd = math.sqrt((weight * record.sd**2 + mine * today.sd**2) / (weight + mine))
    return Handling(mean, sd, today.observed)


def lognormal(handling: Handling) -> tuple[float, float]:
    """(mu, sigma) of the log-normal with the handling time's mean and spread (sd > 0)."""
    sigma = math.sqrt(math.log(1 + (handling.sd / handling.mean) ** 2))
    return math.log(handling.mean) - sigma**2 / 2, sigma


def time_left(elapsed: float, handling: Handling) -> float:
    """Minutes a ticket at a counter for `elapsed` minutes will likely still take: the mean time left of a
    log-normal handling time with the service's mean and spread, given that it has lasted `elapsed`
    (E[X - t | X > t]). A long ticket is not about to end the moment it passes the mean: with a spread of
    half the mean, what is left stays near half the mean however long it has taken."""
    if elapsed <= 0 or handling.mean <= 0:
        return max(handling.mean, 0.0)
    if handling.sd <= 0:
        return max(handling.mean - elapsed, 0.0)
    mu, sigma = lognormal(handling)
    z = (math.log(elapsed) - mu) / sigma
    survives = math.erfc(z / math.sqrt(2)) / 2  # P(X > t)
    beyond = handling.mean * math.erfc((z - sigma) / math.sqrt(2)) / 2  # E[X; X > t]
    if survives < 1e-12:  # far in the tail: the log-normal's time left grows slowly with t
        return elapsed * sigma / max(z, 1.0)
    return max(beyond / survives - elapsed, 0.0)


def live_estimate(
    ticket_id: int,
    waiting: Iterable[order.Waiting],
    *,
    counters: Sequence[OpenCounter],
    handling: dict[int, Handling],
    now: dt.datetime,
    arriving: Iterable[order.Waiting] = (),
    appointments_per_walk_in: int = 2,
    work: dict[int, Work] | None = None,
) -> Estimate:
    """The wait of a waiting ticket, playing the open counters forward over the queue (see above) SAMPLES
    times with drawn handling times (`waits`), read with `estimate_from`. `arriving`: tickets expected to
    join (booked appointments not yet checked in), each from its `issued_at`. `work`: the tickets (waiting
    or arriving, by id) that take longer than one matter of one person."""
    queue = list(waiting)
    target = next((w for w in queue if w.id == ticket_id), None)
    if target is None or not any(target.service_id in c.services for c in counters):
        return NO_BASIS
    found = waits(
        queue,
        counters,
        handling,
        now=now,
        arriving=arriving,
        appointments_per_walk_in=appointments_per_walk_in,
        wanted={ticket_id},
        work=work,
    )
    return estimate_from(found.get(ticket_id))


class Draws:
    """Handling times of one play, drawn from a log-normal with each service's mean and spread; seeded by
    the play's number, so the same hall gives the same estimate, and every ticket's estimate of one reading
    rests on the same plays."""

    def __init__(self, play: int):
        self.rng = random.Random(play)
        self._shapes: dict[tuple[float, float], tuple[float, float]] = {}

    def _shape(self, handling: Handling) -> tuple[float, float]:
        key = (handling.mean, handling.sd)
        if key not in self._shapes:
            self._shapes[key] = lognormal(handling)
        return self._shapes[key]

    def whole(self, handling: Handling) -> float:
        if handling.sd <= 0 or handling.mean <= 0:
            return handling.mean
        mu, sigma = self._shape(handling)
        return self.rng.lognormvariate(mu, sigma)

    def left(self, handling: Handling, elapsed: float) -> float:
        """What is left of a ticket at the counter for `elapsed` minutes: the log-normal given X > elapsed."""
        if handling.sd <= 0 or handling.mean <= 0:
            return max(handling.mean - elapsed, 0.0)
        if elapsed <= 0:
            return self.whole(handling)
        mu, sigma = self._shape(handling)
        below = _NORMAL.cdf((math.log(elapsed) - mu) / sigma)
        u = min(below + (1 - below) * self.rng.random(), 1 - 1e-12)
        return max(math.exp(mu + sigma * _NORMAL.inv_cdf(u)) - elapsed, 0.0)


def calls(
    waiting: Iterable[order.Waiting],
    counters: Sequence[OpenCounter],
    handling: dict[int, Handling],
    now: dt.datetime,
    arriving: Iterable[order.Waiting] = (),
    appointments_per_walk_in: int = 2,
    draws: Draws | None = None,
    work: dict[int, Work] | None = None,
) -> Iterator[tuple[int, float, float]]:
    """The open counters played forward (see live_estimate): (ticket id, minutes from `now` until it is
    called, variance of that time) for each call, in order, up to MAX_STEPS. The order does not depend on
    which ticket one asks about: one play gives every waiting ticket's wait (`waits`). Without `draws`
    every ticket takes its service's mean (and the variances add up); with them, a drawn time each (a
    counter busy now: the rest of its ticket, drawn given the time it has taken), and the variance is 0."""
    queue = order.Lines(waiting)  # the heads of its lines, not the whole queue sorted at every call
    pending = sorted(arriving, key=lambda w: w.issued_at)
    free = [(_first_free(c, handling, draws), i, _busy_variance(c, handling)) for i, c in enumerate(counters)]
    streaks = [c.calls_since_walk_in for c in counters]
    heapq.heapify(free)
    for _step in range(MAX_STEPS):
        if not free:
            return
        at, index, variance = heapq.heappop(free)
        moment = now + dt.timedelta(minutes=at)
        while pending and pending[0].issued_at <= moment:
            queue.add(pending.pop(0))
        services = counters[index].services
        nxt = queue.next_for_counter(
            services=services,
            now=moment,
            appointments_per_walk_in=appointments_per_walk_in,
            calls_since_walk_in=streaks[index],
        )
        if nxt is None:
            later = next((w for w in pending if w.service_id in services), None)
            if later is not None:  # idle until someone it serves arrives
                idle = (later.issued_at - now).total_seconds() / 60
                heapq.heappush(free, (idle, index, variance))
            continue
        yield nxt.id, at, variance
        queue.take(nxt)
        streaks[index] = 0 if nxt.kind == order.WALK_IN else streaks[index] + (not nxt.green)
        took = handling_of(handling, nxt.service_id)
        longer = work.get(nxt.id) if work else None
        if longer is not None:
            parts = (took, *(handling_of(handling, s) for s in longer.after))
            if draws is None:
                mean, spread = sum(p.mean for p in parts), sum(p.sd**2 for p in parts)
                heapq.heappush(free, (at + longer.factor * mean, index, variance + longer.factor**2 * spread))
            else:
                heapq.heappush(free, (at + longer.factor * sum(draws.whole(p) for p in parts), index, 0.0))
        elif draws is None:
            heapq.heappush(free, (at + took.mean, index, variance + took.sd**2))
        else:
            heapq.heappush(free, (at + draws.whole(took), index, 0.0))


def _first_free(counter: OpenCounter, handling: dict[int, Handling], draws: Draws | None) -> float:
    if draws is None or not counter.busy_for or counter.elapsed is None:
        return counter.busy_for
    serving = counter.serving if counter.serving is not None else counter.services[0]
    return draws.left(handling_of(handling, serving), counter.elapsed)


def waits(
    waiting: Sequence[order.Waiting],
    counters: Sequence[OpenCounter],
    handling: dict[int, Handling],
    *,
    wanted: set[int] | None = None,
    samples: int | None = None,
    **play,
) -> dict[int, tuple[float, ...]]:
    """The minutes until called of every ticket of `waiting` (or of `wanted`) in each of `samples` plays
    (SAMPLES; one when every handling time is certain) with drawn handling times (`Draws`), `inf` in a play
    that does not reach it; tickets no play reaches are left out. `play`: calls' `now`, `arriving`,
    `appointments_per_walk_in` and `work`. `estimate_from` makes them the ticket's Estimate."""
    waiting = list(waiting)
    play["arriving"] = list(play.get("arriving", ()))
    wanted = {w.id for w in waiting} if wanted is None else set(wanted)
    certain = all(h.sd <= 0 for h in handling.values()) and all(
        w.service_id in handling for w in (*waiting, *play.get("arriving", ()))
    )
    budget = min(SAMPLES, PLAY_BUDGET // max(1, len(waiting)) ** 2)
    plays = 1 if certain else (budget if samples is None else samples)
    if not certain and plays < MIN_SAMPLES:
        return _mean_play(waiting, counters, handling, wanted, play)
    found: dict[int, list[float]] = {}
    for number in range(plays):
        reached: set[int] = set()
        for called, at, _variance in calls(waiting, counters, handling, draws=Draws(number), **play):
            if called in wanted:
                found.setdefault(called, [math.inf] * plays)[number] = at
                reached.add(called)
                if len(reached) == len(wanted):
                    break
    return {pk: tuple(times) for pk, times in found.items()}


def _mean_play(waiting, counters, handling, wanted: set[int], play: dict) -> dict[int, tuple[float, ...]]:
    """A long queue's waits from one play at the means: each ticket's call time and its spread (the
    variances added up) as nine quantiles of a normal, read by `estimate_from` as it reads plays."""
    found: dict[int, tuple[float, ...]] = {}
    for called, at, variance in calls(waiting, counters, handling, **play):
        if called in wanted:
            spread = math.sqrt(variance)
            found[called] = tuple(max(0.0, at + z * spread) for z in _QUANTILES)
            if len(found) == len(wanted):
                break
    return found


def estimate_from(wait: Sequence[float] | None, later_by: float = 0.0) -> Estimate:
    """A ticket's Estimate from its minutes until called in the plays of `waits`, asked `later_by` minutes
    after the play's `now` (the counters have been at work meanwhile); None: no play reached it. The figure
    is the middle of the 2 x WITHIN minutes that hold the most of the plays' calls (the figure most likely
    to be within WITHIN minutes of the call); the range, when wide, the middle two thirds of the plays."""
    if not wait:
        return NO_BASIS
    times = sorted(x - later_by for x in wait)
    finite = [x for x in times if math.isfinite(x)]
    if not finite:
        return NO_BASIS
    median = statistics.median(times)
    point = _likeliest(finite, median if math.isfinite(median) else finite[-1])
    if point < 0.5:  # called at once, or as good as
        return Estimate(0, 0, 0)
    minutes = max(1, round(point))
    low_at, high_at = times[int(0.16 * (len(times) - 1))], times[math.ceil(0.84 * (len(times) - 1))]
    if not math.isfinite(low_at):  # most plays never reach it: the range is what the others say
        low_at = finite[0]
    if not math.isfinite(high_at):
        high_at = finite[-1]
    low, high = min(minutes, max(1, math.floor(low_at))), max(minutes, math.ceil(high_at))
    if high - low < RANGE_FROM:
        return Estimate(minutes, minutes, minutes)
    if minutes >= 15:  # a range in whole five minutes reads as the estimate it is
        low, high = max(5, 5 * math.floor(low / 5)), 5 * math.ceil(high / 5)
    return Estimate(minutes, low, high)


def _likeliest(times: Sequence[float], middle: float) -> float:
    """The middle of the 2 x WITHIN minutes holding the most of the sorted `times`; of several such
    stretches, the one nearest `middle` (the median)."""
    best, count, end = times[0], 0, 0
    for start, first in enumerate(times):
        while end < len(times) and times[end] - first <= 2 * WITHIN:
            end += 1
        centre = (first + times[end - 1]) / 2
        if end - start > count or (end - start == count and abs(centre - middle) < abs(best - middle)):
            best, count = centre, end - start
    return best


def handling_of(handling: dict[int, Handling], service_id: int) -> Handling:
    return handling.get(service_id) or Handling(10.0, 5.0)


def _busy_variance(counter: OpenCounter, handling: dict[int, Handling]) -> float:
    """What is left of a ticket at the counter is uncertain too (a quarter of a whole one's variance)."""
    return handling_of(handling, counter.services[0]).sd ** 2 / 4 if counter.busy_for else 0.0
