"""Plays a day in the hall against the real services, in-process on the database, on a virtual clock
passed to every service as `now`. Events (arrivals, calls, the end of a service, staffing changes, a
citizen reading the ticket page) are taken from a heap in time order; ties keep their order of entry, so
the same seed gives the same day. See docs/simulation.md."""

import datetime as dt
import heapq
import itertools
import time
from collections.abc import Callable

from appointments.models import Booking
from hall.models import Counter, Hall, Service
from queueing import calls, estimates, forecast, order, walkins
from queueing import services as queue
from queueing.models import CounterState, MatterState, Outcome, Ticket, TicketMatter, TicketState
from queueing.progress import ticket_progress
from simulation import people
from simulation.log import DayLog, Interval, Occupancy, Reading, TicketLog
from simulation.scenario import SERVICE_MIX, DayType, Draws

ACTOR = queue.Actor("system")
STEP = dt.timedelta(seconds=1)
DRAIN = dt.timedelta(hours=2)  # after the last session, counters finish the queue for at most this long


def minutes(value: float) -> dt.timedelta:
    return dt.timedelta(minutes=value)


def current_service(ticket: Ticket) -> int:
    """The service a ticket is at now: its current matter's, for a visit of several matters."""
    matter = TicketMatter.objects.filter(ticket=ticket, state=MatterState.CURRENT)
    return matter.values_list("service_id", flat=True).first() or ticket.service_id


class Hallday:
    def __init__(
        self,
        hall: Hall,
        day: DayType,
        date: dt.date,
        seed: int,
        *,
        stand_ins: bool = False,
        staff: dict | None = None,
        readings: bool = True,
    ):
        """`stand_ins`: play on copies of the hall's counters (people.stand_in_counters), so that a day
        simulated while the hall works neither locks the sessions of the counters clerks are using nor
        finds them open with today's real tickets. `staff`: counter
        number -> the user who works it (the console's actor, so that the figures per staff member fill in);
        a counter without one is worked by the system. `readings`: waiting citizens read their estimate (what
        the simulator measures; more than half a day's CPU): off for a day kept only as history."""
        self.hall, self.day, self.date, self.draws = hall, day, date, Draws(seed)
        self.readings = readings
        self.actors = {number: queue.Actor("console", user) for number, user in (staff or {}).items()}
        self.sessions = people.sessions(hall, date)
        if not self.sessions:
            raise ValueError(f"{hall.slug} is closed on {date}")
        self.services = {s.code: s for s in Service.objects.filter(hall=hall, active=True)}
        self.stand_ins = stand_ins
        self.counters: dict[int, Counter] = {}  # made once the day is booked (_counters)
        self.serves: dict[int, set[int]] = {}
        self.averages = {s.pk: s.average_handling_minutes for s in self.services.values()}
        self.busy: dict[int, int] = {}  # counter number -> ticket id at it
        self.state: dict[int, str] = {}
        self.since: dict[int, dt.datetime] = {}  # counter number -> open since / busy since
        self.busy_since: dict[int, dt.datetime] = {}
        self.returned: dict[int, list[int]] = {}  # parked tickets back
        self.heap: list = []
        self.order = itertools.count()
        self.log = DayLog(date, seed, day.name, hall.max_waiting_inside, people.target_minutes(hall), hall.tz)

    def actor(self, number: int) -> queue.Actor:
        return self.actors.get(number, ACTOR)

    def at(self, moment: dt.datetime, action: Callable, *args) -> None:
        heapq.heappush(self.heap, (moment, next(self.order), action, args))

    def run(self) -> DayLog:
        started, cpu = time.monotonic(), time.process_time()
        self._plan()
        end = self.sessions[-1][1] + DRAIN
        while self.heap:
            moment, _n, action, args = heapq.heappop(self.heap)
            if moment > end:
                break
            action(moment, *args)
        self._close_all(min(moment, end) if self.heap else end)
        self.log.seconds = time.monotonic() - started
        self.log.cpu_seconds = time.process_time() - cpu
        return self.log

    def _counters(self) -> None:
        """The counters the plan staffs, made after the day is booked: a slot's places count the counters
        serving its service, so spare desks the plan adds (people.staff_counters), or stand-ins beside the
        hall's own, would add bookings to the day and make a plan with more counters a busier day."""
        self.counters = people.staff_counters(self.hall, max(self.day.counters.values(), default=1))
        if self.stand_ins:
            self.counters = people.stand_in_counters(self.hall, self.counters)
        self.serves = {n: set(c.services.values_list("pk", flat=True)) for n, c in self.counters.items()}
        self.state = dict.fromkeys(self.counters, CounterState.CLOSED)
        self.returned = {n: [] for n in self.counters}

    def _plan(self) -> None:
        opening = self.sessions[0][0]
        for booking in people.book_day(
            self.hall,
            self.day,
            self.date,
            self.draws,
            opening - dt.timedelta(days=1),
        ):
            self.log.bookings += 1
            arrival = self.draws.arrival(self.day)
            if arrival.offset_minutes is not None:
                self.at(booking.slot.start + minutes(arrival.offset_minutes), self._check_in, booking)
        self._counters()
        mix = {
            code: w for code, w in (self.day.mix or SERVICE_MIX).items() if code in self.services and w > 0
        }
        for moment in self.draws.walk_in_times(self.day, self.sessions):
            green = self.draws.chance("walk", self.day.green_share)
            self.at(moment, self._walk_in, self.draws.choice("walk", mix), green)
        first, last = opening.replace(minute=0), self.sessions[-1][1]
        moment = first
        while moment <= last:
            self.at(max(moment, opening - minutes(5)), self._staff)
            moment += dt.timedelta(hours=1)
        for pause in self.day.pauses:
            start = people.local(self.hall, self.date, pause.start)
            self.at(start, self._staff)
            self.at(start + minutes(pause.minutes), self._staff)
        moment = opening
        while self.readings and moment <= last:
            self.at(moment, self._read_all)
            moment += minutes(self.day.reading_minutes)

    # arrivals

    def _walk_in(self, now: dt.datetime, code: str, green: bool) -> None:
        try:
            ticket = walkins.issue_walk_in(
                hall=self.hall,
                service=self.services[code],
                actor=ACTOR,
                now=now,
                green_channel="elderly" if green else "",
            ).ticket
        except queue.QueueError as error:
            self._refused(error.code)
            return
        self._issued(now, ticket)

    def _check_in(self, now: dt.datetime, booking: Booking) -> None:
        try:
            ticket = queue.check_in(hall=self.hall, code=booking.code, actor=ACTOR, now=now)
        except queue.QueueError as error:
            if error.code == "too_early":  # the kiosk says when: they come back then
                self.at(
                    booking.slot.start - minutes(queue.rules_for(self.hall).early_minutes),
                    self._check_in,
                    booking,
                )
            elif error.code == "too_late":  # too late for the booking: a walk-in ticket instead
                self._refused("late_for_booking")
                self._walk_in(now, booking.service.code, False)
            else:
                self._refused(error.code)
            return
        self._issued(now, ticket)

    def _refused(self, code: str) -> None:
        self.log.refused[code] = self.log.refused.get(code, 0) + 1

    def _issued(self, now: dt.datetime, ticket: Ticket) -> None:
        self.log.tickets[ticket.pk] = TicketLog(
            ticket.pk,
            ticket.number,
            ticket.service.code,
            ticket.kind,
            bool(ticket.green_channel),
            now,
            ticket.inside,
        )
        if self.readings:
            self._read(now, ticket)
        self._wake(now, ticket.service_id)

    def _wake(self, now: dt.datetime, service_id: int) -> None:
        for number, state in self.state.items():
            if state == CounterState.OPEN and number not in self.busy and service_id in self.serves[number]:
                self.at(now + STEP, self._free, number)

    # readings

    def _read(self, now: dt.datetime, ticket: Ticket) -> None:
        standing = ticket_progress(ticket, now)
        if standing.people_ahead is None:
            return
        estimate = standing.estimate
        self.log.tickets[ticket.pk].readings.append(
            Reading(
                now,
                estimate.minutes,
                estimate.low,
                estimate.high,
                standing.old_wait_minutes,
                standing.people_ahead,
            )
        )

    def _read_all(self, now: dt.datetime) -> None:
        """Everyone waiting looks at the ticket page: the same estimate as ticket_progress gives, from one
        reading of the hall for all of them."""
        rows = Ticket.objects.today(self.hall, self.date).waiting().values_list("pk", "inside", "service_id")
        rows = list(rows)
        self.log.occupancy.append(Occupancy(now, sum(r[1] for r in rows), sum(not r[1] for r in rows)))
        if not rows:
            return
        per_walk_in = queue.rules_for(self.hall).appointments_per_walk_in
        hall = estimates.snapshot(
            self.hall, self.date, now, queue.waiting_items(self.hall, self.date), per_walk_in
        )
        for pk, _inside, service_id in rows:
            logged = self.log.tickets.get(pk)
            if logged is None:
                continue
            ahead = order.people_ahead(hall.waiting, pk, now=now, appointments_per_walk_in=per_walk_in)
            counters = sum(service_id in c.services for c in hall.counters)
            old = forecast.estimated_wait_minutes(ahead, self.averages[service_id], counters)
            estimate = hall.estimate(pk)
            logged.readings.append(Reading(now, estimate.minutes, estimate.low, estimate.high, old, ahead))

    # counters

    def _staff(self, now: dt.datetime) -> None:
        """Open the plan's counters for this hour, less those on a break or away."""
        local = now.astimezone(self.hall.tz)
        wanted = self.day.counters.get(local.hour, 0)
        away = {p.counter for p in self.day.pauses if people.within(self.hall, self.date, p, now)}
        target = [n for n in sorted(self.counters)[:wanted] if n not in away]
        for number in self.counters:
            want = CounterState.OPEN if number in target else CounterState.PAUSED
            if self.state[number] == CounterState.OPEN and want != CounterState.OPEN:
                calls.set_counter_state(
                    counter=self.counters[number], actor=self.actor(number), state=want, now=now
                )
                self._interval(number, now, busy=False)
            elif self.state[number] != CounterState.OPEN and want == CounterState.OPEN:
                calls.open_counter(counter=self.counters[number], actor=self.actor(number), now=now)
                self.since[number] = now
                self.at(now + STEP, self._free, number)
            self.state[number] = want if self.state[number] != want else self.state[number]

    def _interval(self, number: int, now: dt.datetime, *, busy: bool) -> None:
        start = (self.busy_since if busy else self.since).pop(number, None)
        if start is not None and now > start:
            self.log.intervals.append(Interval(number, start, now, busy))

    def _close_all(self, now: dt.datetime) -> None:
        for number, counter in self.counters.items():
            if self.state[number] == CounterState.OPEN:
                self._interval(number, now, busy=False)
            if number not in self.busy:
                calls.set_counter_state(
                    counter=counter, actor=self.actor(number), state=CounterState.CLOSED, now=now
                )

    def _free(self, now: dt.datetime, number: int) -> None:
        if self.state[number] != CounterState.OPEN or number in self.busy:
            return
        counter = self.counters[number]
        back = self.returned[number]
        if back:
            ticket = calls.call_ticket(
                counter=counter, ticket=Ticket.objects.get(pk=back.pop(0)), actor=self.actor(number), now=now
            )
            self._took(now, number, ticket, resumed=True)
            return
        ticket = calls.call_next(counter=counter, actor=self.actor(number), now=now)
        if ticket is not None:
            self._took(now, number, ticket, resumed=False)

    def _took(self, now: dt.datetime, number: int, ticket: Ticket, *, resumed: bool) -> None:
        self.busy[number] = ticket.pk
        self.busy_since[number] = now
        logged = self.log.tickets.get(ticket.pk)
        if logged is not None and logged.called_at is None:
            logged.called_at = now
        if not resumed and ticket.kind == "walk_in" and self.draws.chance("outcome", self.day.gone_rate):
            self.at(now + minutes(1), self._recall, number, ticket.pk)
            return
        walk = self.draws.uniform("outcome", 0.3, 1.2)
        self.at(now + minutes(walk), self._start, number, ticket.pk, resumed)

    def _recall(self, now: dt.datetime, number: int, ticket_id: int) -> None:
        ticket = calls.recall(ticket=Ticket.objects.get(pk=ticket_id), actor=self.actor(number), now=now)
        if ticket.state == TicketState.NO_SHOW:
            self._done(now, number)
        else:
            self.at(now + minutes(1), self._recall, number, ticket_id)

    def _start(self, now: dt.datetime, number: int, ticket_id: int, resumed: bool) -> None:
        ticket = Ticket.objects.select_related("service").get(pk=ticket_id)
        if ticket.state == TicketState.CALLED:
            ticket = calls.start_serving(ticket=ticket, actor=self.actor(number), now=now)
        took = self._handling(ticket) * (0.5 if resumed else 1)
        self.at(now + minutes(took), self._end, number, ticket_id, resumed)

    def _handling(self, ticket: Ticket) -> float:
        service = Service.objects.get(pk=current_service(ticket))
        code = service.code
        mean = self.day.handling.get(code, service.average_handling_minutes)
        persons = ticket.booking.persons if ticket.booking_id else 1
        return self.draws.handling_minutes(mean, self.day.handling_spread) * (1 + 0.6 * (persons - 1))

    def _end(self, now: dt.datetime, number: int, ticket_id: int, resumed: bool) -> None:
        ticket = Ticket.objects.select_related("service", "hall").get(pk=ticket_id)
        roll = self.draws.rng("outcome").random()
        day = self.day
        if not resumed and roll < day.park_rate:
            calls.park(ticket=ticket, actor=self.actor(number), now=now)
            self.at(now + minutes(self.draws.uniform("outcome", 10, 30)), self._back, number, ticket_id)
        elif roll < day.park_rate + day.transfer_rate:
            other = self.draws.choice(
                "outcome",
                {c: w for c, w in SERVICE_MIX.items() if c in self.services and c != ticket.service.code},
            )
            calls.transfer(ticket=ticket, actor=self.actor(number), service=self.services[other], now=now)
            self._wake(now, self.services[other].pk)
        else:
            missing = roll < day.park_rate + day.transfer_rate + day.missing_rate
            outcome = Outcome.MATERIALS_MISSING if missing else Outcome.DONE
            lacking = list(ticket.service.materials.all()[:1]) if missing else []
            ticket = calls.complete(
                ticket=ticket, actor=self.actor(number), outcome=outcome, missing=lacking, now=now
            )
            if (
                ticket.state in (TicketState.CALLED, TicketState.SERVING)
                and ticket.counter_id == self.counters[number].pk
            ):
                self.at(now, self._start, number, ticket_id, False)  # the next matter, here
                return
            if ticket.state == TicketState.WAITING:
                self._wake(now, current_service(ticket))
        self._done(now, number)

    def _back(self, now: dt.datetime, number: int, ticket_id: int) -> None:
        self.returned[number].append(ticket_id)
        if number not in self.busy:
            self.at(now + STEP, self._free, number)

    def _done(self, now: dt.datetime, number: int) -> None:
        self.busy.pop(number, None)
        self._interval(number, now, busy=True)
        self.at(now + STEP, self._free, number)
