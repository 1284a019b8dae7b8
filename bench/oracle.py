"""The ceiling of the wait estimate (issue 19 item 3): an oracle estimator for the simulated days.

At every ticket's issue it knows what the hall cannot know but a perfect model of the simulator would:

- each service's true handling time (the day type's mean, or the configured average, and its spread: a
  log-normal), the walk up to the counter (0.3-1.2 minutes), two persons taking 1.6 times as long, a ticket
  back from fetching papers half as long;
- the true rates of the disturbances: walk-ins who left (recalled until a no-show), tickets parked (back
  after 10-30 minutes to the same counter), transferred (to another service, at the head of its line);
  the further matters of bookings (known: they are booked);
- the bookings not checked in yet, each coming early, on time or late or not at all at the day type's
  rates, given that it has not come by now;
- the walk-ins still to come: the day type's total less those come so far, each at a moment drawn from the
  hour profile over the rest of the day (exactly the simulator's law given the count so far), with the
  day type's service mix and green-channel share, refused after the fixed last-ticket time;
- the staffing plan: which counters open and pause when (breaks, and the peak day's counter away at 10:00).

It does not know the draws of the day. It plays the hall from the moment of issue `plays` times with those
true laws and gives the figure that holds the most plays within 5 minutes (forecast.estimate_from, as the
live estimate reads its own 40 plays). Its share within 5 minutes is the ceiling of any estimator given the
hall's state at issue (up to the noise of its plays, and two simplifications: it ignores the walk-in
cut-off by estimate and the per-service quotas, and sees the counters' order of preference as the
simulator's stand-ins have it).

`Knobs` take one piece of knowledge away at a time (the ablation: what an estimator must learn first), most
by putting the live estimate's own in its place (its handling times, the walk-ins and bookings it expects).
Used by bench/simulate.py --oracle.
"""

import bisect
import datetime as dt
import heapq
import itertools
import math
import random
from dataclasses import dataclass

from appointments.models import Booking, BookingMatter, BookingState
from hall.models import Counter
from queueing import estimates, forecast, order
from queueing import services as queue
from queueing.models import CounterState, MatterState, Ticket, TicketMatter
from queueing.progress import ticket_progress
from simulation import engine, people
from simulation.scenario import SERVICE_MIX, WALK_IN_PROFILE

STEP = 1 / 60  # minutes: a counter calls one second after it is free (the simulator's STEP)
WALK = (0.3, 1.2)  # minutes from the call to the start of the service (engine._took)
END_AFTER = 6 * 60  # minutes: a play stops this long after its start (the ticket not called: inf)


@dataclass(frozen=True)
class Knobs:
    """What the oracle knows; each False takes one piece away (what the live estimate assumes instead)."""

    true_handling: bool = True  # else the hall's recent handling times (forecast.handling_from)
    random_walk_ins: bool = True  # else the walk-ins to come at evenly spread moments (in step)
    disturbances: bool = True  # else no walk-in leaves, nobody is parked or transferred
    punctuality: bool = True  # else every booking not come yet comes at its window's start
    schedule: bool = True  # else the counters open now stay open, the others closed
    true_walk_ins: bool = True  # else the walk-ins the live estimate expects (estimates.walking_in), in step
    true_bookings: bool = True  # else the bookings the live estimate expects (estimates.arriving)
    persons: bool = True  # else every ticket is one person with one matter
    gone: bool = True  # else no walk-in has left before the call (parked and transferred still)


FULL = Knobs()
# Each takes one piece of the oracle's knowledge away, most of them by putting the live estimate's own in its
# place: what the ceiling loses without it is what the live estimate could win by learning it.
ABLATIONS = {
    "ceiling": FULL,
    "live's handling times": Knobs(true_handling=False),
    "live's walk-ins": Knobs(true_walk_ins=False),
    "live's bookings": Knobs(true_bookings=False),
    "one person, one matter": Knobs(persons=False),
    "no walk-ins who leave": Knobs(gone=False),
    "no disturbances": Knobs(disturbances=False),
    "no staffing plan": Knobs(schedule=False),
}


class Truth:
    """The day type's laws for one simulated day (read once, after the day is booked)."""

    def __init__(self, day: "Observed"):
        d = day.day
        self.day = d
        self.hall, self.date = day.hall, day.date
        self.code = {s.pk: code for code, s in day.services.items()}
        sigma = math.sqrt(math.log(1 + d.handling_spread**2))
        self.shape = {
            s.pk: (math.log(d.handling.get(code, s.average_handling_minutes)) - sigma**2 / 2, sigma)
            for code, s in day.services.items()
        }
        rules = queue.rules_for(day.hall)
        self.per_walk_in = rules.appointments_per_walk_in
        self.gone_minutes = float(rules.recall_limit)  # recalled every minute until the limit
        self.last_ticket = dt.timedelta(minutes=rules.last_ticket_minutes)
        # counters: number -> services in order of preference (as estimates.open_counters reads them)
        by_pk = {c.pk: n for n, c in day.counters.items()}
        services: dict[int, list[int]] = {n: [] for n in day.counters}
        links = Counter.services.through.objects.filter(counter_id__in=by_pk, service__active=True)
        for counter_id, service_id in links.order_by("service__position", "service_id").values_list(
            "counter_id", "service_id"
        ):
            services[by_pk[counter_id]].append(service_id)
        self.numbers = sorted(day.counters)
        self.serves = {n: tuple(services[n]) for n in self.numbers}
        self.pk_of = {n: c.pk for n, c in day.counters.items()}
        # the staffing plan: (moment, counters open from then), as engine._plan schedules engine._staff
        opening, last = day.sessions[0][0], day.sessions[-1][1]
        moments, moment = [], opening.replace(minute=0)
        while moment <= last:
            moments.append(max(moment, opening - dt.timedelta(minutes=5)))
            moment += dt.timedelta(hours=1)
        for pause in d.pauses:
            start = people.local(day.hall, day.date, pause.start)
            moments += [start, start + dt.timedelta(minutes=pause.minutes)]
        self.staffing = sorted((m, self._open_at(m)) for m in set(moments))
        self.end = last + engine.DRAIN
        # walk-ins: the simulator's minutes and weights (scenario.Draws.walk_in_times)
        profile = WALK_IN_PROFILE if d.profile is None else d.profile
        self.minutes, cum, total = [], [0.0], 0.0
        for start, end in day.sessions:
            moment = start
            while moment < end:
                total += profile.get(moment.hour, 0.2 if d.profile is None else 0.0)
                self.minutes.append(moment)
                cum.append(total)
                moment += dt.timedelta(minutes=1)
        self.cum = cum
        self.walk_ins = d.walk_ins
        mix = {c: w for c, w in (d.mix or SERVICE_MIX).items() if c in day.services and w > 0}
        self.mix_ids = [day.services[c].pk for c in mix]
        self.mix_weights = list(itertools.accumulate(mix.values()))
        self.transfer_to = {}
        for pk, code in self.code.items():
            others = {c: w for c, w in SERVICE_MIX.items() if c in day.services and c != code}
            self.transfer_to[pk] = (
                [day.services[c].pk for c in others],
                list(itertools.accumulate(others.values())),
            )
        self.cut_off = [(start, end - self.last_ticket) for start, end in day.sessions]

    def _open_at(self, moment: dt.datetime) -> frozenset[int]:
        local = moment.astimezone(self.hall.tz)
        wanted = self.day.counters.get(local.hour, 0)
        away = {p.counter for p in self.day.pauses if people.within(self.hall, self.date, p, moment)}
        return frozenset(n for n in self.numbers[:wanted] if n not in away)

    def walk_in_at(self, mass: float) -> dt.datetime:
        """The moment at this cumulative profile weight (continuous within a minute)."""
        i = max(0, min(len(self.minutes) - 1, bisect.bisect_right(self.cum, mass) - 1))
        weight = self.cum[i + 1] - self.cum[i]
        part = (mass - self.cum[i]) / weight if weight else 0.0
        return self.minutes[i] + dt.timedelta(seconds=60 * min(max(part, 0.0), 0.9999))

    def mass_at(self, moment: dt.datetime) -> float:
        i = bisect.bisect_right(self.minutes, moment) - 1
        if i < 0:
            return 0.0
        part = min(1.0, (moment - self.minutes[i]).total_seconds() / 60)
        return self.cum[i] + part * (self.cum[i + 1] - self.cum[i])

    def refused(self, moment: dt.datetime) -> bool:
        return not any(start <= moment <= last for start, last in self.cut_off)


@dataclass
class Job:
    """A ticket as a play moves it: its place in the queue, persons, the matters after the current one."""

    item: order.Waiting
    persons: int = 1
    after: tuple[int, ...] = ()


@dataclass
class State:
    """The hall at the moment of issue, as a perfect observer sees it (no future draw)."""

    now: dt.datetime
    jobs: list[Job]
    open: frozenset[int]
    busy: dict[int, tuple]  # number -> (phase, elapsed, Job, resumed, service, factor)
    returned: dict[int, list[Job]]
    parked: list[tuple[int, float, Job]]  # (counter number, minutes since parked, job)
    streaks: dict[int, int]
    bookings: list[tuple[int, int, dt.datetime, bool, int, tuple[int, ...]]]  # pk, service, start, green,
    # persons, further matters
    walk_ins_left: int
    handling: dict[int, forecast.Handling]  # the hall's recent (for the ablation)
    expected: list[order.Waiting]  # the bookings and walk-ins the live estimate expects (for the ablation)


class Observed(engine.Hallday):
    """A simulated day that keeps what the oracle needs to see of its counters (the phase of each counter's
    ticket, the tickets parked and since when, the walk-ins come so far) and asks the oracles at each issue.
    The day itself is the same as engine.Hallday's (the oracle draws from its own generators)."""

    oracles: dict[str, Knobs] = {}
    plays = 200
    # name -> queueing.forecast attributes ("estimates.A": queueing.estimates'): the live estimate at issue
    # with these set (the estimator before a change, measured on the same tickets as the live one after it)
    alternatives: dict[str, dict] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.phase: dict[int, tuple] = {}  # number -> (phase, since, ticket id, resumed, service, factor)
        self.parked_at: dict[int, tuple[int, dt.datetime]] = {}  # ticket -> (counter number, since)
        self.parked_once: set[int] = set()
        self.came = 0  # walk-ins arrived so far (refused or not)
        self._late = False
        self.truth: Truth | None = None
        self.log.oracle = {name: {} for name in (*self.alternatives, *self.oracles)}

    def _check_in(self, now, booking):
        self._late = True
        try:
            super()._check_in(now, booking)
        finally:
            self._late = False

    def _walk_in(self, now, code, green):
        if not self._late:
            self.came += 1
        super()._walk_in(now, code, green)

    def _took(self, now, number, ticket, *, resumed):
        self.phase[number] = ("called", now, ticket.pk, resumed, ticket.kind == order.WALK_IN)
        super()._took(now, number, ticket, resumed=resumed)

    def _start(self, now, number, ticket_id, resumed):
        ticket = Ticket.objects.select_related("booking").get(pk=ticket_id)
        persons = ticket.booking.persons if ticket.booking_id else 1
        factor = (1 + 0.6 * (persons - 1)) * (0.5 if resumed else 1)
        self.phase[number] = ("serving", now, ticket_id, resumed, engine.current_service(ticket), factor)
        super()._start(now, number, ticket_id, resumed)

    def _end(self, now, number, ticket_id, resumed):
        super()._end(now, number, ticket_id, resumed)
        ticket = Ticket.objects.only("state").get(pk=ticket_id)
        if ticket.state == "parked":
            self.parked_at[ticket_id] = (number, now)

    def _back(self, now, number, ticket_id):
        self.parked_at.pop(ticket_id, None)
        self.parked_once.add(ticket_id)
        super()._back(now, number, ticket_id)

    def _done(self, now, number):
        self.phase.pop(number, None)
        super()._done(now, number)

    def _read(self, now, ticket):
        super()._read(now, ticket)
        if ticket.pk not in self.log.tickets:
            return
        for name, attributes in self.alternatives.items():
            kept = {a: getattr(*_attribute(a)) for a in attributes}
            try:
                for a, value in attributes.items():
                    setattr(*_attribute(a), value)
                self.log.oracle[name][ticket.pk] = ticket_progress(ticket, now).wait_minutes
            finally:
                for a, value in kept.items():
                    setattr(*_attribute(a), value)
        if not self.oracles:
            return
        if self.truth is None:
            self.truth = Truth(self)
        state = self.state_now(now)
        if not any(j.item.id == ticket.pk for j in state.jobs):
            return
        for name, knobs in self.oracles.items():
            times = oracle_waits(self.truth, state, ticket.pk, knobs, self.plays)
            self.log.oracle[name][ticket.pk] = forecast.estimate_from(times).minutes

    def state_now(self, now: dt.datetime) -> State:
        waiting = queue.waiting_items(self.hall, self.date)
        ids = [w.id for w in waiting]
        persons = dict(
            Ticket.objects.filter(pk__in=ids, booking__isnull=False).values_list("pk", "booking__persons")
        )
        after: dict[int, list[int]] = {}
        for ticket_id, service_id in (
            TicketMatter.objects.filter(ticket_id__in=ids, state=MatterState.PENDING)
            .order_by("position")
            .values_list("ticket_id", "service_id")
        ):
            after.setdefault(ticket_id, []).append(service_id)

        jobs = [Job(w, persons.get(w.id, 1), tuple(after.get(w.id, ()))) for w in waiting]
        busy = {}
        for number, (phase, since, ticket_id, resumed, *rest) in self.phase.items():
            elapsed = (now - since).total_seconds() / 60
            if phase == "called":
                busy[number] = ("called", elapsed, self._job(ticket_id, now), resumed, rest[0], 1.0)
            else:
                service, factor = rest
                busy[number] = ("serving", elapsed, self._job(ticket_id, now), resumed, service, factor)
        parked = [
            (number, (now - since).total_seconds() / 60, self._job(ticket_id, now))
            for ticket_id, (number, since) in self.parked_at.items()
        ]
        returned = {n: [self._job(t, now) for t in back] for n, back in self.returned.items()}
        pks = [self.counters[n].pk for n in self.counters]
        streaks_by_pk = dict(
            Counter.objects.filter(pk__in=pks).values_list("pk", "session__calls_since_walk_in")
        )
        streaks = {n: streaks_by_pk.get(c.pk) or 0 for n, c in self.counters.items()}
        bookings = self._bookings()
        handling, expected = {}, []
        if any(not (k.true_handling and k.true_walk_ins and k.true_bookings) for k in self.oracles.values()):
            per_walk_in = queue.rules_for(self.hall).appointments_per_walk_in
            live = estimates.snapshot(self.hall, self.date, now, waiting, per_walk_in)
            handling, expected = live.handling, live.arriving
        return State(
            now,
            jobs,
            frozenset(n for n, s in self.state.items() if s == CounterState.OPEN),
            busy,
            returned,
            parked,
            streaks,
            bookings,
            max(0, self.day.walk_ins - self.came),
            handling,
            expected,
        )

    def _job(self, ticket_id: int, now: dt.datetime) -> Job:
        """A ticket at a counter or parked: its current matter's service and what follows (for the play)."""
        ticket = Ticket.objects.select_related("booking").get(pk=ticket_id)
        service = engine.current_service(ticket)
        after = tuple(
            TicketMatter.objects.filter(ticket_id=ticket_id, state=MatterState.PENDING)
            .order_by("position")
            .values_list("service_id", flat=True)
        )
        item = order.Waiting(
            ticket_id, service, ticket.kind, ticket.issued_at, ticket.booked_start, bool(ticket.green_channel)
        )
        return Job(item, ticket.booking.persons if ticket.booking_id else 1, after)

    def _bookings(self):
        rows = list(
            Booking.objects.filter(
                hall=self.hall, slot__date=self.date, state=BookingState.BOOKED
            ).values_list("pk", "service_id", "slot__start", "green_channel", "persons")
        )
        further: dict[int, list[int]] = {}
        for booking_id, service_id in (
            BookingMatter.objects.filter(booking_id__in=[r[0] for r in rows])
            .order_by("position")
            .values_list("booking_id", "service_id")
        ):
            further.setdefault(booking_id, []).append(service_id)
        rows.sort(key=lambda r: (r[2], r[0]))
        return [(pk, s, start, bool(g), p, tuple(further.get(pk, ()))) for pk, s, start, g, p in rows]


def _attribute(name: str) -> tuple[object, str]:
    """ "A" is queueing.forecast's attribute A, "estimates.A" queueing.estimates'."""
    module, _dot, attribute = name.rpartition(".")
    return {"": forecast, "forecast": forecast, "estimates": estimates}[module], attribute


def oracle_waits(truth: Truth, state: State, target: int, knobs: Knobs, plays: int) -> tuple[float, ...]:
    """The target's minutes until called in each play (inf: not called in the play)."""
    return tuple(Play(truth, state, knobs, random.Random(number)).until(target) for number in range(plays))


class Play:
    """One play of the hall from the moment of issue, with the true laws (see the module's docstring)."""

    def __init__(self, truth: Truth, state: State, knobs: Knobs, rng: random.Random):
        self.t, self.s, self.k, self.rng = truth, state, knobs, rng
        self.heap: list = []
        self.seq = itertools.count()
        self.lines = order.Lines(j.item for j in state.jobs)
        self.jobs = {j.item.id: self.plain(j) for j in state.jobs}
        self.open = set(state.open)
        self.busy: dict[int, bool] = {}
        self.streak = dict(state.streaks)
        self.returned = {n: [self.plain(j) for j in v] for n, v in state.returned.items()}
        self.ids = itertools.count(-10_000_000, -1)

    def at(self, minute: float, kind: str, *args) -> None:
        heapq.heappush(self.heap, (minute, next(self.seq), kind, args))

    def moment(self, minute: float) -> dt.datetime:
        return self.s.now + dt.timedelta(minutes=minute)

    def minute(self, moment: dt.datetime) -> float:
        return (moment - self.s.now).total_seconds() / 60

    # drawn times

    def handling(self, service: int, factor: float, elapsed: float = 0.0) -> float:
        """Minutes left of a service (elapsed minutes into it), the whole of it when elapsed is 0."""
        if self.k.true_handling:
            mu, sigma = self.t.shape[service]
        else:
            h = forecast.handling_of(self.s.handling, service)
            if h.sd <= 0:
                return max(h.mean * factor - elapsed, 0.0)
            mu, sigma = forecast.lognormal(h)
        if elapsed <= 0:
            return factor * self.rng.lognormvariate(mu, sigma)
        below = forecast._NORMAL.cdf((math.log(elapsed / factor) - mu) / sigma)
        u = min(below + (1 - below) * self.rng.random(), 1 - 1e-12)
        return max(factor * math.exp(mu + sigma * forecast._NORMAL.inv_cdf(u)) - elapsed, 0.0)

    def plain(self, job: Job) -> Job:
        """The job as the play sees it: one person with one matter when the oracle does not know better."""
        return job if self.k.persons else Job(job.item)

    def walk(self) -> float:
        return self.rng.uniform(*WALK) if self.k.true_handling else 0.0

    def chance(self, rate: float) -> bool:
        return self.k.disturbances and self.rng.random() < rate

    # the play

    def until(self, target: int) -> float:
        self.target = target
        for number in self.t.numbers:
            self.busy[number] = False
        for number, (phase, elapsed, job, resumed, extra, factor) in self.s.busy.items():
            self.busy[number] = True
            if not self.k.persons:
                factor = 0.5 if resumed else 1.0
            self._resume(number, phase, elapsed, self.plain(job), resumed, extra, factor)
        for number in self.open:
            if not self.busy[number]:
                self.at(0.0, "free", number)
        for number, elapsed, job in self.s.parked:
            job = self.plain(job)
            low = max(10.0, elapsed)
            back = self.rng.uniform(low, max(low, 30.0)) - elapsed if self.k.disturbances else 0.0
            self.at(back, "back", number, job)
        if self.k.schedule:
            for moment, opened in self.t.staffing:
                if moment > self.s.now:
                    self.at(self.minute(moment), "staff", opened)
        if self.k.true_bookings:
            self._bookings()
        if self.k.true_walk_ins:
            self._walk_ins()
        self._expected()
        end = min(END_AFTER, self.minute(self.t.end))
        while self.heap:
            minute, _n, kind, args = heapq.heappop(self.heap)
            if minute > end:
                break
            found = getattr(self, "_" + kind)(minute, *args)
            if found is not None:
                return found
        return math.inf

    def _resume(self, number, phase, elapsed, job, resumed, extra, factor):
        if phase == "called":
            walk_in = extra
            gone = (
                self.t.day.gone_rate
                if walk_in and not resumed and self.k.disturbances and self.k.gone
                else 0.0
            )
            if elapsed >= WALK[1]:
                is_gone = gone > 0
            else:
                stays = 1.0 if elapsed < WALK[0] else (WALK[1] - elapsed) / (WALK[1] - WALK[0])
                is_gone = self.rng.random() < gone / (gone + (1 - gone) * stays) if gone else False
            if is_gone:
                self.at(max(0.0, self.t.gone_minutes - elapsed) + STEP, "free", number)
                self.busy[number] = True
                return
            walk = max(self.rng.uniform(max(WALK[0], elapsed), WALK[1]) - elapsed, 0.0)
            persons = 1 + 0.6 * (job.persons - 1)
            took = walk + self.handling(job.item.service_id, persons * (0.5 if resumed else 1))
            self.at(took, "end", number, job, resumed)
        else:
            service = extra
            item = (
                job.item
                if job.item.service_id == service
                else order.Waiting(
                    job.item.id,
                    service,
                    job.item.kind,
                    job.item.issued_at,
                    job.item.booked_start,
                    job.item.green,
                )
            )
            self.at(
                self.handling(service, factor, elapsed),
                "end",
                number,
                Job(item, job.persons, job.after),
                resumed,
            )

    def _expected(self):
        """What the live estimate expects in place of the truth's bookings or walk-ins (the ablation)."""
        if self.k.true_walk_ins and self.k.true_bookings:
            return
        further = {pk: (persons, after) for pk, _s, _start, _g, persons, after in self.s.bookings}
        for item in self.s.expected:
            if item.kind == order.WALK_IN and not self.k.true_walk_ins:
                item = order.Waiting(next(self.ids), item.service_id, order.WALK_IN, item.issued_at)
                self.at(max(0.0, self.minute(item.issued_at)), "arrive", Job(item))
            elif item.kind == order.APPOINTMENT and not self.k.true_bookings:
                persons, after = further.get(-item.id, (1, ()))
                job = self.plain(Job(item, persons, after))
                self.at(max(0.0, self.minute(item.issued_at)), "arrive", job)

    def _bookings(self):
        """The bookings not come yet, each drawn when it may first come (25 minutes before its window),
        one after another: a play that calls its ticket soon draws only the first few."""
        self.booking = 0
        self._next_booking(0.0)

    def _next_booking(self, minute):
        if self.booking < len(self.s.bookings):
            start = self.s.bookings[self.booking][2]
            self.at(max(minute, self.minute(start) - 25), "book")

    def _book(self, minute):
        day = self.t.day
        pk, service, start, green, persons, further = self.s.bookings[self.booking]
        self.booking += 1
        self._next_booking(minute)
        since = self.minute(start)  # minutes from now to the window's start
        if not self.k.punctuality:
            arrives = max(0.0, since)
        else:
            arrives = None
            for _try in range(100):  # drawn given that it has not come by now
                if self.rng.random() < day.no_show_rate:
                    break
                roll = self.rng.random()
                if roll < day.early_share:
                    offset = -self.rng.uniform(5, 25)
                elif roll < day.early_share + day.late_share:
                    offset = self.rng.uniform(5, 20)
                else:
                    offset = self.rng.uniform(-5, 5)
                if since + offset > 0:
                    arrives = since + offset
                    break
            if arrives is None:
                return None
        item = order.Waiting(-pk, service, order.APPOINTMENT, self.moment(arrives), start, green)
        self.at(max(arrives, minute), "arrive", self.plain(Job(item, persons, further)))
        return None

    def _walk_ins(self):
        left = self.s.walk_ins_left
        if not left:
            return
        low, high = self.t.mass_at(self.s.now), self.t.cum[-1]
        if high <= low:
            return
        self.walks = (low, high, left, 0.0, 0)
        self._next_walk_in()

    def _next_walk_in(self):
        low, high, left, u, k = self.walks
        if k >= left:
            return
        if self.k.random_walk_ins:  # the next of `left` sorted uniforms (sequentially, from the smallest)
            u = 1 - (1 - u) * self.rng.random() ** (1 / (left - k))
        else:
            u = (k + 0.5) / left
        self.walks = (low, high, left, u, k + 1)
        moment = self.t.walk_in_at(low + u * (high - low))
        minute = max(0.0, self.minute(moment))
        if minute > END_AFTER:
            return
        self.at(minute, "walk", moment)

    def _walk(self, minute, moment):
        self._next_walk_in()
        if self.t.refused(moment):
            return None
        service = self.t.mix_ids[
            bisect.bisect_right(self.t.mix_weights, self.rng.random() * self.t.mix_weights[-1])
        ]
        green = self.rng.random() < self.t.day.green_share
        item = order.Waiting(next(self.ids), service, order.WALK_IN, moment, None, green)
        return self._arrive(minute, Job(item))

    def _arrive(self, minute, job):
        self.jobs[job.item.id] = job
        self.lines.add(job.item)
        for number in self.open:
            if not self.busy[number] and job.item.service_id in self.t.serves[number]:
                self.at(minute + STEP, "free", number)
        return None

    def _staff(self, minute, opened):
        for number in opened - self.open:
            self.at(minute + STEP, "free", number)
        self.open = set(opened)
        return None

    def _free(self, minute, number):
        if number not in self.open or self.busy[number]:
            return None
        back = self.returned.get(number)
        if back:
            job = back.pop(0)
            self.busy[number] = True
            self._serve(minute, number, job, resumed=True, walk=True)
            return None
        nxt = self.lines.next_for_counter(
            services=self.t.serves[number],
            now=self.moment(minute),
            appointments_per_walk_in=self.t.per_walk_in,
            calls_since_walk_in=self.streak[number],
        )
        if nxt is None:
            return None
        if nxt.id == self.target:
            return minute
        self.lines.take(nxt)
        self.streak[number] = 0 if nxt.kind == order.WALK_IN else self.streak[number] + (not nxt.green)
        self.busy[number] = True
        job = self.jobs.get(nxt.id) or Job(nxt)
        if nxt.kind == order.WALK_IN and self.k.gone and self.chance(self.t.day.gone_rate):
            self.at(minute + self.t.gone_minutes, "done", number)
            return None
        self._serve(minute, number, job, resumed=False, walk=True)
        return None

    def _serve(self, minute, number, job, *, resumed, walk):
        factor = (1 + 0.6 * (job.persons - 1)) * (0.5 if resumed else 1)
        took = (self.walk() if walk else 0.0) + self.handling(job.item.service_id, factor)
        self.at(minute + took, "end", number, job, resumed)

    def _end(self, minute, number, job, resumed):
        day = self.t.day
        roll = self.rng.random() if self.k.disturbances else 1.0
        if not resumed and roll < day.park_rate:
            self.at(minute + self.rng.uniform(10, 30), "back", number, job)
        elif roll < day.park_rate + day.transfer_rate:
            ids, weights = self.t.transfer_to[job.item.service_id]
            service = ids[bisect.bisect_right(weights, self.rng.random() * weights[-1])]
            self._requeue(minute, job, service)
        elif job.after:
            nxt, rest = job.after[0], job.after[1:]
            moved = Job(self._item(job, nxt, minute, requeued=False), job.persons, rest)
            if nxt in self.t.serves[number]:  # the next matter here
                self._serve(minute, number, moved, resumed=False, walk=False)
                return None
            self._requeue(minute, Job(job.item, job.persons, rest), nxt)
        return self._done(minute, number)

    def _item(self, job, service, minute, *, requeued=True):
        i = job.item
        return order.Waiting(
            next(self.ids), service, i.kind, self.moment(minute), i.booked_start, i.green, requeued
        )

    def _requeue(self, minute, job, service):
        self._arrive(minute, Job(self._item(job, service, minute), job.persons, job.after))

    def _back(self, minute, number, job):
        self.returned.setdefault(number, []).append(job)
        if not self.busy[number]:
            self.at(minute + STEP, "free", number)
        return None

    def _done(self, minute, number):
        self.busy[number] = False
        self.at(minute + STEP, "free", number)
        return None


def tables(logs) -> dict:
    """Per oracle, its errors at issue over the tickets the live estimate is scored on (measures.pairs);
    where the oracle has no figure (no play reached the ticket: rare), the live estimate's."""
    from simulation.measures import Errors

    result = {}
    for name in next(iter(logs)).oracle if logs else ():
        errors = []
        for log in logs:
            for ticket in log.tickets.values():
                if ticket.called_at is None or not ticket.readings or ticket.readings[0].minutes is None:
                    continue
                first = ticket.readings[0]
                figure = log.oracle[name].get(ticket.id)
                figure = first.minutes if figure is None else figure
                errors.append(abs(figure - (ticket.called_at - first.at).total_seconds() / 60))
        result[name] = Errors.of(errors).__dict__
    return result
