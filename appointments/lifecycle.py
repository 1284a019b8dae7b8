"""A booking's day at the hall: checked in at the kiosk, then served or a no-show.

The booking's state after it was made changes here only (booking, cancelling and moving are in
`appointments/services.py`). The queue calls these from its own transactions, with the booking's row locked
where a choice depends on its state (`lock_for_check_in`); each change is a compare-and-swap on the state it
expects, recorded with who made it.
"""

from appointments.models import Booking, BookingEvent, BookingMatter, BookingState
from hall import rows


def end_matters(booking_ids) -> None:
    """A booking stopped being active (cancelled, served, no-show): its further matters no longer count
    against the one-booking-per-service rule."""
    BookingMatter.objects.filter(booking_id__in=booking_ids).exclude(active_id_hash=None).update(
        active_id_hash=None
    )


def _move(booking_id: int, from_state: str, to_state: str, *, source: str, user=None, note: str = "") -> bool:
    """Change the booking's state if it is still `from_state`, and record the change."""
    if not Booking.objects.filter(pk=booking_id, state=from_state).update(state=to_state):
        return False
    BookingEvent.objects.create(
        booking_id=booking_id, from_state=from_state, to_state=to_state, source=source, actor=user, note=note
    )
    return True


def lock_for_check_in(booking: Booking) -> Booking:
    """The booking re-read with its row locked (to commit), with its slot and service for the ticket."""
    # of=("self",): locking the joined slot and service rows too made every FK check on the service
    # (a walk-in's day sequence, a ticket) wait for this check-in, and deadlocked against them.
    return (
        Booking.objects.select_for_update(of=("self",)).select_related("slot", "service").get(pk=booking.pk)
    )


def check_in(*, booking: Booking, source: str, user=None, note: str = "") -> bool:
    """Booked → checked in (`note`: the ticket's number)."""
    return _move(
        booking.pk, BookingState.BOOKED, BookingState.CHECKED_IN, source=source, user=user, note=note
    )


def finish(*, booking_id: int, served: bool, source: str, user=None, note: str = "") -> bool:
    """Checked in → served, or a no-show when the citizen never came to the counter."""
    to_state = BookingState.SERVED if served else BookingState.NO_SHOW
    if not _move(booking_id, BookingState.CHECKED_IN, to_state, source=source, user=user, note=note):
        return False
    end_matters([booking_id])
    return True


def end_unfinished(notes: dict[int, str], *, source: str = "system") -> list[int]:
    """Checked in → unfinished, for bookings whose ticket was still open when the hall's day ended
    (`notes`: booking id → the ticket's number). Not a no-show: the citizen came. In a few statements
    whatever their number (a province's halls at night): the rows still checked in are locked, moved and
    recorded; a booking another transaction moved meanwhile is left as it is. The ids moved."""
    if not notes:
        return []
    ids = list(
        Booking.objects.select_for_update(of=("self",))
        .filter(pk__in=list(notes), state=BookingState.CHECKED_IN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return []
    Booking.objects.filter(pk__in=ids, state=BookingState.CHECKED_IN).update(state=BookingState.UNFINISHED)
    from_state, to_state = BookingState.CHECKED_IN, BookingState.UNFINISHED
    created = BookingEvent.objects.bulk_create(
        [
            BookingEvent(
                booking_id=pk, from_state=from_state, to_state=to_state, source=source, note=notes[pk]
            )
            for pk in ids
        ]
    )
    rows.created_in_bulk(BookingEvent, created)
    end_matters(ids)
    return ids


def mark_no_show(booking: Booking) -> bool:
    """Booked and never checked in before check-in closed (the no-show sweep)."""
    return _move(booking.pk, BookingState.BOOKED, BookingState.NO_SHOW, source="system")


def record(booking: Booking, from_state: str, actor, note: str = "") -> None:
    """Record a change of the booking (made already) and who made it, from where."""
    event(booking, from_state, actor, note).save(force_insert=True)


def event(booking: Booking, from_state: str, actor, note: str = "") -> BookingEvent:
    """The history row of `record`, not saved yet (a booking writes it with its own row)."""
    return BookingEvent(
        booking=booking,
        from_state=from_state,
        to_state=booking.state,
        note=note,
        actor=actor.user if getattr(actor.user, "is_authenticated", False) else None,
        source=actor.source,
        ip=actor.ip,
    )


def add_note(*, booking: Booking, note: str, actor) -> None:
    """Record something that happened to a booking without changing its state (e.g. a hall closure)."""
    record(booking, booking.state, actor, note[:200])
