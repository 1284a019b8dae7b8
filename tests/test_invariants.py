"""queueing/invariants.py and `manage.py check_invariants`: sound data pass every check, and each check
finds a row broken on purpose (behind the services' back, as a bug or a hand edit would)."""

import datetime as dt
import zoneinfo

import phonenumbers
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone

from appointments import availability
from appointments import services as booking_services
from appointments.models import Booking, BookingState, HoldReason, PlaceHold, Slot, WaitlistEntry
from notifications.models import Kind, Notification, State
from queueing import calls, invariants, services, walkins
from queueing.invariants import Finding
from queueing.models import DaySequence, Ticket, TicketState
from queueing.services import Actor
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_staff, make_weekday_hours

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=TZ)  # Tuesday
YESTERDAY = NOW - dt.timedelta(days=1)
WEB = booking_services.Actor("web")
KIOSK = Actor("kiosk")


def citizen(n):
    return booking_services.Citizen(
        name="王五", phone=phonenumbers.parse(f"1390000{n:04d}", "CN"), id_number=make_id_number(n)
    )


@pytest.fixture
def day():
    """A morning in one hall through the services: a booking checked in and called, one cancelled (its
    place on hold), one moved to a later slot, one offered a place from the waiting list, two walk-ins
    waiting, a second counter serving one of them."""
    hall = make_hall(max_waiting_inside=30, seat_rows=2, seats_per_row=4)
    make_weekday_hours(hall)
    service = make_service(hall)
    clerk, other_clerk = make_staff(hall), make_staff(hall, username="clerk2")
    counter, counter_2 = make_counter(hall, 1, [service]), make_counter(hall, 2, [service])
    certificate = make_service(
        hall, code="certificate", prefix="B", name_zh_hans="户籍证明", name_en="Certificate"
    )
    make_counter(hall, 3, [certificate])
    calls.open_counter(counter=counter, actor=Actor("console", clerk), now=NOW)
    calls.open_counter(counter=counter_2, actor=Actor("console", other_clerk), now=NOW)
    slots = availability.day_availability(service=service, date=NOW.date(), now=YESTERDAY).slots
    booked = booking_services.book(slot=slots[0], citizen=citizen(1), actor=WEB, now=YESTERDAY)
    cancelled = booking_services.book(slot=slots[1], citizen=citizen(2), actor=WEB, now=YESTERDAY)
    booking_services.cancel_booking(booking=cancelled, actor=WEB, now=YESTERDAY)
    moved = booking_services.book(slot=slots[1], citizen=citizen(3), actor=WEB, now=YESTERDAY)
    booking_services.reschedule_booking(booking=moved, slot=slots[2], actor=WEB, now=YESTERDAY)
    two_matters = booking_services.book(
        slot=slots[3], citizen=citizen(5), actor=WEB, now=YESTERDAY, also=[certificate]
    )
    ticket = services.check_in(hall=hall, code=booked.code, actor=KIOSK, now=NOW)
    walk_ins = [
        walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=NOW).ticket for _ in range(2)
    ]
    called = calls.call_next(counter=counter, actor=Actor("console", clerk), now=NOW)
    serving = calls.call_next(counter=counter_2, actor=Actor("console", other_clerk), now=NOW)
    calls.start_serving(ticket=serving, actor=Actor("console", other_clerk), now=NOW)
    booking_services.join_waitlist(service=service, date=NOW.date(), phone=citizen(4).phone, language="en")
    PlaceHold.objects.filter(reason=HoldReason.CANCELLED).update(release_at=YESTERDAY)
    booking_services.release_due_places(now=NOW - dt.timedelta(hours=1))
    return {
        "hall": hall,
        "service": service,
        "slots": [Slot.objects.get(pk=s.pk) for s in slots[:3]],
        "booked": booked,
        "two_matters": two_matters,
        "certificate": certificate,
        "ticket": ticket,
        "walk_ins": walk_ins,
        "called": called,
        "serving": serving,
        "counters": (counter, counter_2),
    }


def test_day_built_by_the_services_breaks_no_invariant(day):
    assert [Ticket.objects.get(pk=t.pk).state for t in (day["called"], day["serving"])] == [
        TicketState.CALLED,
        TicketState.SERVING,
    ]
    assert WaitlistEntry.objects.get().state == "offered"
    assert invariants.check_all() == []


def test_command_on_sound_data_says_all_hold(day, capsys):
    call_command("check_invariants")

    assert capsys.readouterr().out == (
        "All invariants hold (slot_counters, slot_capacity, ticket_numbers, counters, notifications, "
        "history, bookings_and_tickets, waitlist_offers, walk_ins_within_hours, waiting_after_closing).\n"
    )


def test_command_lists_what_is_broken_and_fails(day, capsys):
    slot = day["slots"][0]
    Slot.objects.filter(pk=slot.pk).update(taken=F("taken") + 1)
    Booking.objects.filter(pk=day["booked"].pk).update(state=BookingState.BOOKED)

    with pytest.raises(CommandError) as error:
        call_command("check_invariants", "slot_counters", "history")

    assert str(error.value) == "2 broken invariant(s) found by: slot_counters, history"
    assert capsys.readouterr().err.splitlines() == [
        f"slot_counters: slot {slot.pk} ({slot.service_id} {slot.start:%Y-%m-%d %H:%M}): taken 2, "
        "but bookings hold 1 and holds 0; held-back taken 0, but bookings hold 0 and holds 0",
        f"history: booking {day['booked'].pk} is booked, its last recorded state is checked_in",
    ]


@pytest.mark.parametrize("change", [1, -1])
def test_slot_counter_off_by_a_place_found(day, change):
    slot = day["slots"][1]  # the cancelled place, now offered to the waiting list
    Slot.objects.filter(pk=slot.pk).update(taken=F("taken") + change)

    assert invariants.slot_counters() == [
        Finding(
            "slot_counters",
            f"slot {slot.pk} ({slot.service_id} {slot.start:%Y-%m-%d %H:%M}): taken {1 + change}, but "
            "bookings hold 0 and holds 1; held-back taken 0, but bookings hold 0 and holds 0",
        )
    ]


def test_further_matter_places_counted_in_their_own_slot(day):
    matter = day["two_matters"].matters.get()
    assert (matter.slot.service, matter.slot.taken) == (day["certificate"], 1)
    Slot.objects.filter(pk=matter.slot.pk).update(taken=0)

    assert [f.message.split(": ", 1)[1] for f in invariants.slot_counters()] == [
        "taken 0, but bookings hold 1 and holds 0; held-back taken 0, but bookings hold 0 and holds 0"
    ]


def test_cancelled_booking_with_two_matters_holds_both_slots_without_a_finding(day):
    booking_services.cancel_booking(booking=day["two_matters"], actor=WEB, now=YESTERDAY)

    assert PlaceHold.objects.filter(reason=HoldReason.CANCELLED).count() == 2
    assert invariants.slot_counters() == []


def test_slot_counter_counts_served_and_no_show_bookings_not_cancelled_ones(day):
    Booking.objects.filter(pk=day["booked"].pk).update(state=BookingState.SERVED)
    assert invariants.slot_counters() == []

    Booking.objects.filter(pk=day["booked"].pk).update(state=BookingState.CANCELLED)
    assert [f.message.split(": ", 1)[1] for f in invariants.slot_counters()] == [
        "taken 1, but bookings hold 0 and holds 0; held-back taken 0, but bookings hold 0 and holds 0"
    ]


def test_held_back_places_counted_apart(day):
    slot = day["slots"][2]
    Slot.objects.filter(pk=slot.pk).update(held_back=2, taken_held_back=1)

    assert [f.message.split(": ", 1)[1] for f in invariants.slot_counters()] == [
        "taken 1, but bookings hold 1 and holds 0; held-back taken 1, but bookings hold 0 and holds 0"
    ]


def test_place_hold_without_its_places_found(day):
    slot = day["slots"][2]
    PlaceHold.objects.create(slot=slot, persons=2, reason=HoldReason.MOVED, release_at=NOW)

    assert [f.message.split(": ", 1)[1] for f in invariants.slot_counters()] == [
        "taken 1, but bookings hold 1 and holds 2; held-back taken 0, but bookings hold 0 and holds 0"
    ]


def drop_constraint(table: str, name: str) -> None:
    """Remove a constraint inside the test's transaction (rolled back after it), to store what the
    database would otherwise refuse."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks on the table
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')


@pytest.mark.requires_postgres
def test_slot_beyond_capacity_found(day):
    slot = day["slots"][0]
    drop_constraint("appointments_slot", "slot_never_overbooked")
    Slot.objects.filter(pk=slot.pk).update(capacity=0)

    assert invariants.slot_capacity() == [
        Finding("slot_capacity", f"slot {slot.pk}: 1 of 0 places taken, 0 of 1 held back")
    ]


def test_slot_capacity_on_sound_data_finds_nothing(day):
    Slot.objects.filter(pk=day["slots"][0].pk).update(capacity=1)  # full, not beyond

    assert invariants.slot_capacity() == []


def test_gap_in_ticket_numbers_found(day):
    hall, service = day["hall"], day["service"]
    Ticket.objects.filter(pk=day["walk_ins"][0].pk).delete()  # A002 of A001..A003

    assert invariants.ticket_numbers() == [
        Finding(
            "ticket_numbers",
            f"hall {hall.pk} service {service.pk} on 2026-11-24: 2 tickets numbered 1..3, day sequence at 3",
        )
    ]


def test_number_taken_without_a_ticket_found(day):
    hall, service = day["hall"], day["service"]
    DaySequence.objects.filter(service=service).update(last=F("last") + 1)

    assert invariants.ticket_numbers() == [
        Finding(
            "ticket_numbers",
            f"hall {hall.pk} service {service.pk} on 2026-11-24: 3 tickets numbered 1..3, day sequence at 4",
        )
    ]


def test_ticket_moving_on_to_its_next_matter_keeps_its_numbering(day):
    Ticket.objects.filter(pk=day["ticket"].pk).update(service=day["certificate"])  # A001 now queues for B

    assert invariants.ticket_numbers() == []


def test_numbers_beyond_999_are_grouped_by_their_prefix(day):
    hall, service = day["hall"], day["service"]
    Ticket.objects.filter(pk=day["walk_ins"][1].pk).update(sequence=1000, number="A1000")

    assert invariants.ticket_numbers() == [
        Finding(
            "ticket_numbers",
            f"hall {hall.pk} service {service.pk} on 2026-11-24: 3 tickets numbered 1..1000, "
            "day sequence at 3",
        )
    ]


def test_day_sequence_without_tickets_found(day):
    hall, service = day["hall"], day["service"]
    DaySequence.objects.create(hall=hall, service=service, date=NOW.date() + dt.timedelta(days=1), last=1)

    assert invariants.ticket_numbers() == [
        Finding(
            "ticket_numbers",
            f"hall {hall.pk} service {service.pk} on 2026-11-25: 0 tickets numbered None..None, "
            "day sequence at 1",
        )
    ]


@pytest.mark.requires_postgres
def test_two_tickets_at_one_counter_found(day):
    counter = day["counters"][0]
    with connection.cursor() as cursor:  # a partial unique index, not a table constraint
        cursor.execute('DROP INDEX "counter_serves_one_ticket"')
    Ticket.objects.filter(pk=day["serving"].pk).update(counter=counter)

    assert invariants.counters() == [
        Finding("counters", f"counter {counter.pk} has 2 tickets called or being served")
    ]


def test_called_ticket_without_a_counter_found(day):
    Ticket.objects.filter(pk=day["called"].pk).update(counter=None)

    assert invariants.counters() == [
        Finding("counters", f"ticket {day['called'].pk} is called but not at a counter of its hall")
    ]


def test_ticket_at_another_halls_counter_found(day):
    other = make_hall(slug="south")
    foreign = make_counter(other, 1)
    Ticket.objects.filter(pk=day["serving"].pk).update(counter=foreign)

    assert invariants.counters() == [
        Finding("counters", f"ticket {day['serving'].pk} is serving but not at a counter of its hall")
    ]


def test_finished_tickets_keep_their_counter_without_a_finding(day):
    calls.complete(ticket=day["serving"], actor=KIOSK, now=NOW)
    calls.call_next(counter=day["counters"][1], actor=KIOSK, now=NOW)

    assert Ticket.objects.filter(counter=day["counters"][1]).count() == 2
    assert invariants.counters() == []


def sending(claimed_at):
    return Notification.objects.create(
        hall=Notification.objects.first().hall,
        kind=Kind.COME_IN,
        subject_type="ticket",
        subject_id=claimed_at.second,
        text="x",
        state=State.SENDING,
        claimed_at=claimed_at,
    )


def test_message_stuck_in_sending_found(day, settings):
    settings.NOTIFY_SENDING_TIMEOUT, settings.NOTIFY_SWEEP_INTERVAL = 120, 60
    settings.NOTIFY_LOOKUP_PATIENCE = 600  # a gateway that cannot tell whether it took the message
    now = timezone.now()
    sending(now - dt.timedelta(seconds=839))
    stuck = sending(now - dt.timedelta(seconds=841))

    assert invariants.notifications(now=now) == [
        Finding("notifications", f"notification {stuck.pk} (come_in) sending since {stuck.claimed_at}")
    ]


def test_message_sending_without_a_claim_found(day):
    stuck = sending(timezone.now())
    Notification.objects.filter(pk=stuck.pk).update(claimed_at=None)

    assert invariants.notifications() == [
        Finding("notifications", f"notification {stuck.pk} (come_in) sending since never")
    ]


def test_state_change_without_its_record_found(day):
    Ticket.objects.filter(pk=day["walk_ins"][1].pk).update(state=TicketState.CANCELLED)

    assert invariants.history() == [
        Finding("history", f"ticket {day['walk_ins'][1].pk} is cancelled, its last recorded state is waiting")
    ]


def test_booking_without_any_record_found(day):
    Booking.objects.filter(pk=day["booked"].pk).update(state=BookingState.SERVED)
    day["booked"].events.all().delete()

    assert invariants.history() == [
        Finding("history", f"booking {day['booked'].pk} is served, its last recorded state is None")
    ]


def test_checked_in_booking_without_ticket_found(day):
    Ticket.objects.filter(pk=day["ticket"].pk).update(booking=None)

    assert invariants.bookings_and_tickets() == [
        Finding("bookings_and_tickets", f"booking {day['booked'].pk} is checked in without a ticket")
    ]


def test_open_ticket_of_a_finished_booking_found(day):
    Booking.objects.filter(pk=day["booked"].pk).update(state=BookingState.NO_SHOW)

    assert invariants.bookings_and_tickets() == [
        Finding(
            "bookings_and_tickets",
            f"ticket {day['ticket'].pk} is called, its booking {day['booked'].pk} is not checked in",
        )
    ]


def test_offer_without_its_hold_found(day):
    entry = WaitlistEntry.objects.get()
    hold = PlaceHold.objects.get(waitlist_entry=entry)
    hold.waitlist_entry = None
    hold.save()

    assert invariants.waitlist_offers() == [
        Finding("waitlist_offers", f"waiting-list entry {entry.pk} is offered a place that no hold keeps"),
        Finding("waitlist_offers", f"offer hold {hold.pk} belongs to no offered waiting-list entry"),
    ]


def test_offer_hold_of_an_expired_entry_found(day):
    entry = WaitlistEntry.objects.get()
    WaitlistEntry.objects.filter(pk=entry.pk).update(state="expired")

    assert invariants.waitlist_offers() == [
        Finding("waitlist_offers", f"offer hold {entry.hold.pk} belongs to no offered waiting-list entry")
    ]
