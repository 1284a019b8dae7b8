"""A small day of tickets with explicit timestamps, whose every figure was worked out by hand (the
expected values are in test_report.py, next to the arithmetic)."""

import datetime as dt
import secrets
import zoneinfo
from dataclasses import dataclass

from appointments.models import Booking, BookingState, Slot
from queueing.models import Outcome, Ticket, TicketEvent, TicketKind, TicketState
from reports.models import Score
from reports.services import rate_ticket
from tests.makers import make_counter, make_hall, make_service, make_staff, make_weekday_hours

DAY = dt.date(2026, 11, 24)  # a Tuesday
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@dataclass
class Day:
    hall: object
    a: object
    b: object
    c1: object
    c2: object
    clerk1: object
    clerk2: object
    supervisor: object
    tickets: dict


_codes = iter(range(1, 10_000))


def make_booking(hall, service, date, state, id_hash="", start=dt.time(9)):
    n = next(_codes)
    slot, _created = Slot.objects.get_or_create(
        hall=hall,
        service=service,
        start=at(start.hour, start.minute, date),
        defaults={"date": date, "end": at(start.hour, start.minute + 30, date), "capacity": 10},
    )
    return Booking.objects.create(
        code=f"K{n:05d}",
        manage_token=secrets.token_urlsafe(16),
        hall=hall,
        service=service,
        slot=slot,
        state=state,
        name="测试",
        phone_hash=f"phone-{n}",
        id_hash=id_hash or f"id-{n}",
        id_masked="1101**********0011",
    )


def make_ticket(
    hall, service, number, kind, state, issued, called=None, serving=None, completed=None, **fields
):
    """A ticket as queueing would have left it, with its events (issue, call, service, end)."""
    date = issued.astimezone(TZ).date()
    actor = fields.pop("actor_for_events", None)
    ticket = Ticket.objects.create(
        hall=hall,
        service=service,
        date=date,
        sequence=int(number[1:]),
        number=number,
        token=secrets.token_urlsafe(24),
        kind=kind,
        state=state,
        issued_at=issued,
        called_at=called,
        serving_at=serving,
        completed_at=completed,
        **fields,
    )
    counter = fields.get("counter")
    steps = [("", TicketState.WAITING, issued, None)]
    if called:
        steps.append((TicketState.WAITING, TicketState.CALLED, called, counter))
    if serving:
        steps.append((TicketState.CALLED, TicketState.SERVING, serving, counter))
    if completed:
        steps.append((steps[-1][1], state, completed, counter))
    for from_state, to_state, when, where in steps:
        TicketEvent.objects.create(
            ticket=ticket,
            from_state=from_state,
            to_state=to_state,
            counter=where,
            actor=actor if where else None,
            source="console" if where else "kiosk",
            at=when,
        )
    return ticket


def build_day(slug="north") -> Day:
    hall = make_hall(slug)
    make_weekday_hours(hall)
    a = make_service(hall, "id-renewal", "A")
    b = make_service(hall, "certificate", "B", name_zh_hans="户籍证明", name_en="Household certificate")
    c1, c2 = make_counter(hall, 1, [a, b]), make_counter(hall, 2, [b])
    clerk1 = make_staff(hall, f"{slug}-clerk1")
    clerk2 = make_staff(hall, f"{slug}-clerk2")
    supervisor = make_staff(hall, f"{slug}-supervisor", role="supervisor")
    appt, walk = TicketKind.APPOINTMENT, TicketKind.WALK_IN
    done, served = TicketState.DONE, BookingState.SERVED

    booking_a1 = make_booking(hall, a, DAY, served, id_hash="h-a1")
    booking_b1 = make_booking(hall, b, DAY, served, id_hash="h-b1")
    make_booking(hall, a, DAY, BookingState.NO_SHOW, start=dt.time(10))  # booked, never came
    make_booking(hall, b, DAY, BookingState.CANCELLED, start=dt.time(10))
    make_booking(hall, b, DAY + dt.timedelta(days=1), BookingState.CANCELLED)  # another day

    t = {}
    on1 = {"counter": c1, "actor_for_events": clerk1}
    on2 = {"counter": c2, "actor_for_events": clerk2}
    t["A001"] = make_ticket(
        hall,
        a,
        "A001",
        appt,
        done,
        at(9, 0),
        at(9, 10),
        at(9, 12),
        at(9, 22),
        booking=booking_a1,
        owner=clerk1,
        outcome=Outcome.DONE,
        **on1,
    )
    t["A002"] = make_ticket(
        hall,
        a,
        "A002",
        walk,
        done,
        at(9, 5),
        at(9, 25),
        at(9, 31),  # completed from "called": queueing sets serving_at to the completion time
        at(9, 31),
        owner=clerk1,
        outcome=Outcome.MATERIALS_MISSING,
        id_hash="h-a2",
        **on1,
    )
    t["A003"] = make_ticket(
        hall,
        a,
        "A003",
        walk,
        TicketState.NO_SHOW,
        at(9, 20),
        at(9, 32),
        None,
        at(9, 35),
        green_channel="elderly",
        **on1,
    )
    t["A004"] = make_ticket(
        hall,
        a,
        "A004",
        walk,
        TicketState.TRANSFERRED,
        at(9, 30),
        at(9, 36),
        at(9, 37),
        at(9, 40),
        owner=clerk1,
        **on1,
    )
    t["B001"] = make_ticket(
        hall,
        b,
        "B001",
        appt,
        done,
        at(9, 0),
        at(9, 4),
        at(9, 5),
        at(9, 20),
        booking=booking_b1,
        id_hash="h-b1",
        owner=clerk2,
        outcome=Outcome.DONE,
        **on2,
    )
    t["B002"] = make_ticket(
        hall,
        b,
        "B002",
        walk,
        done,
        at(9, 10),
        at(9, 40),
        at(9, 41),
        at(10, 5),
        phone_hash="p-b2",
        owner=clerk2,
        outcome=Outcome.DONE,
        **on2,
    )
    t["B003"] = make_ticket(hall, b, "B003", walk, TicketState.CANCELLED, at(10, 0))
    t["B004"] = make_ticket(
        hall,
        b,
        "B004",
        walk,
        done,
        at(9, 40),
        at(10, 6),
        at(10, 6),
        at(10, 16),
        transferred_from=t["A004"],
        owner=clerk1,
        outcome=Outcome.DONE,
        **on2,
    )
    # Earlier visits: the citizen of A002 was served for A ten days before (a repeat visit); the citizen
    # of B001 forty days before (outside the 30-day window).
    before = DAY - dt.timedelta(days=10)
    make_ticket(
        hall,
        a,
        "A001",
        walk,
        done,
        at(9, 0, before),
        at(9, 1, before),
        None,
        at(9, 9, before),
        id_hash="h-a2",
        outcome=Outcome.MATERIALS_MISSING,
    )
    long_before = DAY - dt.timedelta(days=40)
    make_ticket(
        hall,
        b,
        "B001",
        walk,
        done,
        at(9, 0, long_before),
        at(9, 1, long_before),
        None,
        at(9, 9, long_before),
        id_hash="h-b1",
    )
    # The previous day: one walk-in, 5 minutes' wait, 10 minutes' handling.
    yesterday = DAY - dt.timedelta(days=1)
    make_ticket(
        hall,
        a,
        "A001",
        walk,
        done,
        at(9, 0, yesterday),
        at(9, 5, yesterday),
        None,
        at(9, 15, yesterday),
        **on1,
    )

    rate_ticket(t["A001"], Score.VERY_SATISFIED, "窗口服务很好", now=at(9, 30))
    rate_ticket(t["B002"], Score.DISSATISFIED, "等了半小时", now=at(10, 10))
    rate_ticket(t["B004"], Score.SATISFIED, "", now=at(10, 20))
    return Day(hall, a, b, c1, c2, clerk1, clerk2, supervisor, t)
