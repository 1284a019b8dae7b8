"""The hall's side of a simulated day: its sessions, its counters (more added when the plan needs more than
the hall has), and the day's bookings made through the booking service."""

import datetime as dt

import phonenumbers
from django.db.models import Exists, Max, OuterRef

from appointments import services as booking
from appointments.availability import sync_slots
from appointments.models import Booking, BookingEvent, BookingMatter, BookingState
from hall import calendar
from hall.models import Counter, CounterKind, Hall
from hall.privacy import check_digit, hash_phone
from queueing.models import Ticket
from reports.report import settings_for
from simulation.scenario import BOOKED_SERVICES, DayType, Draws, Pause

BOOKER = booking.Actor("staff")
FIRST_BIRTHDAY = dt.date(1950, 1, 1)


def local(hall: Hall, date: dt.date, clock: str | dt.time) -> dt.datetime:
    if isinstance(clock, str):
        clock = dt.time.fromisoformat(clock)
    return dt.datetime.combine(date, clock, hall.tz)


def sessions(hall: Hall, date: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    day = calendar.day_schedule(hall.schedule(), date)
    return [(local(hall, date, s.start), local(hall, date, s.end)) for s in day.sessions]


def within(hall: Hall, date: dt.date, pause: Pause, now: dt.datetime) -> bool:
    start = local(hall, date, pause.start)
    return start <= now < start + dt.timedelta(minutes=pause.minutes)


def target_minutes(hall: Hall) -> int:
    return settings_for(hall).target_wait_minutes


def staff_counters(hall: Hall, wanted: int) -> dict[int, Counter]:
    """The hall's active counters by number; when the plan needs more, comprehensive ones (every service)
    are added, as a hall opens spare desks on a busy day."""
    windows = Counter.objects.filter(hall=hall, active=True, kind=CounterKind.WINDOW)
    counters = {c.number: c for c in windows.order_by("number")}
    number = Counter.objects.filter(hall=hall).aggregate(top=Max("number"))["top"] or 0  # online room too
    services = list(hall.services.filter(active=True))
    while len(counters) < wanted:
        number += 1
        counter = Counter.objects.create(hall=hall, number=number, label=f"simulated {number}")
        counter.services.set(services)
        counters[number] = counter
    return counters


def stand_in_counters(hall: Hall, counters: dict[int, Counter]) -> dict[int, Counter]:
    """`counters` each replaced by a new copy serving the same services, numbered above the hall's (rows of
    the simulated day, rolled back with it)."""
    top = Counter.objects.filter(hall=hall).aggregate(top=Max("number"))["top"] or 0
    result = {}
    for number, counter in sorted(counters.items()):
        stand_in = Counter.objects.create(hall=hall, number=top + number, label=f"stand-in {number}")
        stand_in.services.set(counter.services.all())
        result[number] = stand_in
    return result


def citizen(serial: int) -> booking.Citizen:
    birth = FIRST_BIRTHDAY + dt.timedelta(days=serial % 15000)
    first17 = f"110105{birth:%Y%m%d}{serial % 1000:03d}"
    phone = phonenumbers.parse(f"+86138{serial:08d}")
    return booking.Citizen(f"市民{serial}", phone, id_number=first17 + check_digit(first17))


# Each day's citizens are numbered from first_serial(date): clear of the numbers 1-999, within citizen()'s
# 15000 distinct ID numbers, and different for 70 days running, so that a booking a kept day leaves active
# (checked in, its ticket unfinished) does not refuse the same person's booking on a later day as a duplicate,
# and no made-up citizen comes back within the report's 30 days of "needed another visit" (最多跑一次).
CITIZEN_BLOCK = 200  # bookings of a day at most (the demo hall's busiest history day books about 60)
CITIZEN_BLOCKS = 70


def first_serial(date: dt.date) -> int:
    return 1000 + date.toordinal() % CITIZEN_BLOCKS * CITIZEN_BLOCK


def made_up(date: dt.date) -> set[str]:
    """The phone hashes of the citizens book_day makes up for `date` (its block of numbers): how the
    simulation knows its own bookings among a day's."""
    first = first_serial(date)
    return {hash_phone(citizen(serial).phone) for serial in range(first + 1, first + CITIZEN_BLOCK + 1)}


def booked_ahead(hall: Hall, date: dt.date) -> list[Booking]:
    """The made-up bookings of `date` made ahead of the day (simulation.history.book_ahead) that nobody
    came for, with their slots, in the order of their windows, all booked: those the hall's no-show sweep
    marked before the day was played (it runs on the real clock, the history plays later) are booked again,
    recorded, since the day had not happened for them yet."""
    found = list(
        Booking.objects.of_day(hall, date)
        .filter(
            state__in=(BookingState.BOOKED, BookingState.NO_SHOW),
            phone_hash__in=made_up(date),
        )
        .exclude(Exists(Ticket.objects.filter(booking=OuterRef("pk"))))
        .select_related("slot")
        .order_by("slot__start", "pk")
    )
    for ahead in found:
        if ahead.state == BookingState.NO_SHOW:
            Booking.objects.filter(pk=ahead.pk).update(state=BookingState.BOOKED)
            BookingMatter.objects.filter(booking=ahead).update(active_id_hash=ahead.id_hash)
            BookingEvent.objects.create(
                booking=ahead,
                from_state=BookingState.NO_SHOW,
                to_state=BookingState.BOOKED,
                source="system",
                note="demo: its day is played now",
            )
            ahead.state = BookingState.BOOKED
    return found


def book_day(hall: Hall, day: DayType, date: dt.date, draws: Draws, now: dt.datetime) -> list[Booking]:
    """Bookings filling `day.booking_fill` of each booked service's places, some for two persons and some
    with a further service in the same window; the citizens are numbered from first_serial(date) + 1.
    With `day.bookings`, those bookings instead (book_as_given). A day booked ahead (the demo's coming days,
    once they are played) keeps the bookings it has instead."""
    if day.bookings is not None:
        return book_as_given(hall, day.bookings, date, now)
    ahead = booked_ahead(hall, date)
    if ahead:
        return ahead
    rng = draws.rng("book")
    services = {s.code: s for s in hall.services.filter(active=True, bookable=True, code__in=BOOKED_SERVICES)}
    made, serial = [], first_serial(date)
    for code in sorted(services):
        for slot in sync_slots(service=services[code], date=date):
            places = slot.capacity * day.booking_fill
            count = int(places) + (rng.random() < places - int(places))
            for _n in range(count):
                serial += 1
                persons = 2 if rng.random() < day.two_persons_share else 1
                also = []
                if rng.random() < day.second_matter_share:
                    also = [services[rng.choice([c for c in sorted(services) if c != code])]]
                made += _book(slot, citizen(serial), persons, also, now)
    return made


def book_as_given(
    hall: Hall, wanted: dict[tuple[str, int], int], date: dt.date, now: dt.datetime
) -> list[Booking]:
    """`wanted[code, hour]` one-person bookings of the service in the slots beginning in that local hour,
    shared among them in turn (a full slot is passed over; what no slot holds is not booked)."""
    services = {s.code: s for s in hall.services.filter(active=True, bookable=True)}
    made, serial = [], first_serial(date)
    for code, hour in sorted(wanted):
        if code not in services or wanted[code, hour] <= 0:
            continue
        slots = [
            s
            for s in sync_slots(service=services[code], date=date)
            if s.start.astimezone(hall.tz).hour == hour
        ]
        left = wanted[code, hour]
        while left > 0 and slots:
            for slot in list(slots):
                if left <= 0:
                    break
                serial += 1
                booked = _book(slot, citizen(serial), 1, [], now)
                if booked:
                    made += booked
                    left -= 1
                else:
                    slots.remove(slot)
    return made


def _book(slot, person: booking.Citizen, persons: int, also: list, now: dt.datetime) -> list[Booking]:
    """One booking, made simpler when the place or the further service is not to be had."""
    for size, further in ((persons, also), (1, also), (1, [])):
        try:
            return [
                booking.book(slot=slot, citizen=person, persons=size, actor=BOOKER, now=now, also=further)
            ]
        except booking.BookingError:
            continue
    return []
