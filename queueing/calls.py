"""At the counter: open, call, recall, park, transfer and complete; each transition checks the state first."""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import lifecycle
from hall.models import Counter, Service
from notifications import services as notify
from notifications.models import Kind
from queueing import events, heads, matters, order
from queueing.models import (
    AT_COUNTER_STATES,
    CounterSession,
    CounterState,
    Outcome,
    Ticket,
    TicketKind,
    TicketState,
)
from queueing.services import (
    COUNTER_BUSY,
    COUNTER_NOT_OPEN,
    COUNTER_TAKEN,
    NOT_AT_COUNTER,
    NOT_WAITING,
    SERVICE_CLOSED,
    WRONG_STATE,
    Actor,
    QueueError,
    ask_to_come_in,
    issue,
    move_inside,
    next_sequence,
    place,
    record_event,
    rules_for,
    user_of,
)

log = logging.getLogger(__name__)


def counter_services(counter: Counter) -> list[int]:
    """The services a counter calls, in its order of preference."""
    return list(counter.services.order_by("position", "id").values_list("id", flat=True))


def _session(counter: Counter) -> CounterSession:
    session = CounterSession.objects.select_for_update().filter(counter=counter).first()
    if session is None:  # the counter's first opening
        CounterSession.objects.get_or_create(counter=counter)
        session = CounterSession.objects.select_for_update().get(counter=counter)
    return session


def _require_open(session: CounterSession, actor: Actor) -> None:
    if session.state != CounterState.OPEN:
        raise QueueError("counter_closed", COUNTER_NOT_OPEN)
    user = user_of(actor)
    if user is not None and session.user_id not in (None, user.pk):
        raise QueueError("counter_taken", COUNTER_TAKEN)


def _serving(counter: Counter) -> Ticket | None:
    return Ticket.objects.filter(counter=counter, state__in=AT_COUNTER_STATES).first()


def call_next(*, counter: Counter, actor: Actor, now: dt.datetime | None = None) -> Ticket | None:
    """Call the next ticket for this counter. Twenty counters calling at once never get the same ticket:
    each claim locks the ticket's row (skipping one locked by another counter) and changes it only if it
    still waits; a lost race moves on to the next candidate."""
    now = now or timezone.now()
    hall = counter.hall
    rules = rules_for(hall)
    today = hall.local_date(now)
    services = counter_services(counter)
    with transaction.atomic():
        session = _session(counter)
        _require_open(session, actor)
        if _serving(counter):
            raise QueueError("counter_busy", COUNTER_BUSY)
        skipped: list[int] = []  # claimed by another counter at this moment
        while True:
            waiting, cut = heads.waiting_heads(hall, today, services, counter, skip=skipped)
            while candidate := order.next_for_counter(
                waiting,
                services=services,
                now=now,
                appointments_per_walk_in=rules.appointments_per_walk_in,
                calls_since_walk_in=session.calls_since_walk_in,
            ):
                if _claim(candidate.id, counter, now):
                    ticket = Ticket.objects.select_related("service").get(pk=candidate.id)
                    ticket.hall, ticket.counter = hall, counter  # loaded already: no query each
                    _after_call(ticket, session, actor, now, TicketState.WAITING)
                    return ticket
                skipped.append(candidate.id)
                waiting = [w for w in waiting if w.id != candidate.id]
            if not cut:
                return None


def _claim(ticket_id: int, counter: Counter, now: dt.datetime) -> bool:
    """Call the ticket if it still waits, in one statement that locks its row first; a ticket that another
    counter is claiming right now (its row locked) is skipped, not waited for, so that counters calling at
    once do not queue up behind each other."""
    unclaimed = Ticket.objects.select_for_update(skip_locked=True).filter(
        pk=ticket_id, state=TicketState.WAITING
    )
    return bool(
        Ticket.objects.filter(pk__in=unclaimed.values("pk"), state=TicketState.WAITING).update(
            state=TicketState.CALLED, counter=counter, calls=1, called_at=now
        )
    )


def _after_call(
    ticket: Ticket, session: CounterSession, actor: Actor, now: dt.datetime, from_state: str
) -> None:
    if ticket.kind == TicketKind.WALK_IN:
        session.calls_since_walk_in = 0
    elif not ticket.green_channel:
        session.calls_since_walk_in += 1
    session.save(update_fields=["calls_since_walk_in"])
    matters.called(ticket, now)
    record_event(ticket, from_state, actor, now)
    outside = move_inside(ticket.hall, ticket.date, now)
    ask_to_come_in(ticket.hall, ticket.date, now, outside)
    if not ticket.inside and ticket.phone:
        notify.record(
            hall=ticket.hall,
            kind=Kind.CALLED,
            subject_type="ticket",
            subject_id=ticket.pk,
            phone=ticket.phone,
            language=ticket.language,
            render=lambda: called_text(ticket),
        )


def called_text(ticket: Ticket) -> str:
    return str(
        _("[%(hall)s] Ticket %(number)s: please go to window %(counter)s now.")
        % {"hall": ticket.hall.name, "number": ticket.number, "counter": ticket.counter.number}
    )


def call_ticket(*, counter: Counter, ticket: Ticket, actor: Actor, now: dt.datetime | None = None) -> Ticket:
    """Call a chosen waiting ticket (or a parked one back) to this counter."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _session(counter)
        _require_open(session, actor)
        if _serving(counter):
            raise QueueError("counter_busy", COUNTER_BUSY)
        if not counter.services.filter(pk=ticket.service_id).exists() or ticket.hall_id != counter.hall_id:
            raise QueueError("not_found", SERVICE_CLOSED)
        from_state = Ticket.objects.filter(pk=ticket.pk).values_list("state", flat=True).first()
        updated = Ticket.objects.filter(
            pk=ticket.pk, state__in=[TicketState.WAITING, TicketState.PARKED]
        ).update(state=TicketState.CALLED, counter=counter, calls=1)
        if not updated:
            raise QueueError("not_waiting", NOT_WAITING)
        Ticket.objects.filter(pk=ticket.pk, called_at__isnull=True).update(called_at=now)
        ticket.refresh_from_db()
        _after_call(ticket, session, actor, now, from_state)
    return ticket


def _transition(
    ticket: Ticket,
    allowed: tuple,
    to_state: str,
    actor: Actor,
    now: dt.datetime,
    note="",
    at_counter: Counter | None = None,
    **fields,
):
    """Change state if the ticket is in one of `allowed` (and, given `at_counter`, is at that counter)."""
    with transaction.atomic():
        return _apply(_locked(ticket, allowed, at_counter), to_state, actor, now, note, **fields)


def _apply(locked: Ticket, to_state: str, actor: Actor, now: dt.datetime, note="", **fields) -> Ticket:
    """The change itself, on a ticket locked (and its state checked) in this transaction."""
    from_state = locked.state
    locked.state = to_state
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save()
    record_event(locked, from_state, actor, now, note)
    return locked


def _locked(ticket: Ticket, allowed: tuple, at_counter: Counter | None) -> Ticket:
    # The row only (of="self"); its hall, service and counter come along for the event it will record.
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("hall", "service", "counter")
        .get(pk=ticket.pk)
    )
    if locked.state not in allowed:
        raise QueueError("wrong_state", WRONG_STATE % {"state": locked.get_state_display()})
    if at_counter is not None and locked.counter_id != at_counter.pk:
        raise QueueError("not_at_counter", NOT_AT_COUNTER)
    return locked


def recall(
    *, ticket: Ticket, actor: Actor, now: dt.datetime | None = None, at_counter: Counter | None = None
) -> Ticket:
    """Call again; after the hall's limit of unanswered calls the ticket becomes a no-show."""
    now = now or timezone.now()
    limit = rules_for(ticket.hall).recall_limit
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.state != TicketState.CALLED:
            raise QueueError("wrong_state", WRONG_STATE % {"state": locked.get_state_display()})
        if at_counter is not None and locked.counter_id != at_counter.pk:
            raise QueueError("not_at_counter", NOT_AT_COUNTER)
        if locked.calls >= limit:
            return mark_no_show(ticket=locked, actor=actor, now=now)
        locked.calls += 1
        locked.save(update_fields=["calls"])
        record_event(locked, TicketState.CALLED, actor, now, note=f"call {locked.calls}")
    return locked


def mark_no_show(
    *, ticket: Ticket, actor: Actor, now: dt.datetime | None = None, at_counter: Counter | None = None
) -> Ticket:
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _transition(
            ticket,
            (TicketState.CALLED,),
            TicketState.NO_SHOW,
            actor,
            now,
            at_counter=at_counter,
            completed_at=now,
        )
        partly_served = matters.end_unserved(ticket, now)
        if ticket.booking_id:
            _finish_booking(ticket, partly_served, actor)
    return ticket


def start_serving(
    *, ticket: Ticket, actor: Actor, now: dt.datetime | None = None, at_counter: Counter | None = None
) -> Ticket:
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _transition(
            ticket,
            (TicketState.CALLED,),
            TicketState.SERVING,
            actor,
            now,
            at_counter=at_counter,
            serving_at=now,
        )
        matters.serving(ticket, user_of(actor), now)
        if ticket.owner_id is None and user_of(actor):
            Ticket.objects.filter(pk=ticket.pk).update(owner=user_of(actor))
    return ticket


def park(
    *,
    ticket: Ticket,
    actor: Actor,
    now: dt.datetime | None = None,
    note: str = "",
    at_counter: Counter | None = None,
) -> Ticket:
    """The citizen fetches a missing paper; the counter is free to call others meanwhile."""
    now = now or timezone.now()
    # The ticket keeps its counter (only called and serving tickets hold one), so that the counter can call
    # it back and the supervisor sees where it was parked.
    return _transition(
        ticket, (TicketState.CALLED, TicketState.SERVING), TicketState.PARKED, actor, now, note, at_counter
    )


def transfer(
    *,
    ticket: Ticket,
    actor: Actor,
    service: Service | None = None,
    counter: Counter | None = None,
    note: str = "",
    now: dt.datetime | None = None,
    at_counter: Counter | None = None,
) -> Ticket:
    """End this ticket and queue a new one in another service (or for another counter) at the head of
    its queue; the citizen's live page follows it."""
    now = now or timezone.now()
    target = service or ticket.service
    if target.hall_id != ticket.hall_id or (counter and counter.hall_id != ticket.hall_id):
        raise QueueError("not_found", SERVICE_CLOSED)
    with transaction.atomic():
        allowed = (TicketState.CALLED, TicketState.SERVING, TicketState.PARKED)
        locked = _locked(ticket, allowed, at_counter)
        matter = matters.current(locked)
        if matter is not None:
            # A ticket with several matters keeps its number: its current matter moves instead.
            from_state, from_counter = locked.state, locked.counter
            matter.service = target
            matters.requeue(locked, matter, now, for_counter=counter, seat=_seat(locked))
            record_event(locked, from_state, actor, now, note or "transfer", counter=from_counter)
            return locked
        old = _transition(
            ticket,
            (TicketState.CALLED, TicketState.SERVING, TicketState.PARKED),
            TicketState.TRANSFERRED,
            actor,
            now,
            note,
            at_counter,
            completed_at=now,
        )
        sequence = next_sequence(old.hall, target, old.date)
        new = issue(
            hall=old.hall,
            service=target,
            kind=old.kind,
            actor=actor,
            now=now,
            sequence=sequence,
            booking=old.booking,
            booked_start=old.booked_start,
            green_channel=old.green_channel,
            transferred_from=old,
            owner=old.owner or user_of(actor),
            phone=old.phone,
            phone_hash=old.phone_hash,
            id_hash=old.id_hash,
            language=old.language,
            note=note,
        )
        if counter is not None:
            Ticket.objects.filter(pk=new.pk).update(for_counter=counter)
            new.for_counter = counter
    return new


def complete(
    *,
    ticket: Ticket,
    actor: Actor,
    outcome: str = Outcome.DONE,
    missing=(),
    missing_note: str = "",
    note: str = "",
    now: dt.datetime | None = None,
    at_counter: Counter | None = None,
) -> Ticket:
    """Finish with an outcome. With materials missing, everything missing is told at once (一次性告知).

    A ticket with several matters completes its current one; while others remain it carries on at this
    counter if the counter serves the next one, or queues for it at the head of its queue."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(ticket, (TicketState.CALLED, TicketState.SERVING), at_counter)
        matter = matters.current(locked)
        nxt = matters.following(matter) if matter else None
        if matter is not None:
            matters.finish(
                matter, locked, outcome=outcome, missing_note=missing_note, user=user_of(actor), now=now
            )
        service_id = matter.service_id if matter else locked.service_id
        lacking = [m for m in missing if m.service_id == service_id]
        if nxt is not None:
            ticket = _move_on(locked, nxt, actor, now, note)
        else:
            ticket = _apply(
                locked,
                TicketState.DONE,
                actor,
                now,
                note,
                outcome=matters.summary_outcome(locked, outcome) if matter else outcome,
                missing_note=missing_note,
                completed_at=now,
            )
        if outcome == Outcome.MATERIALS_MISSING:
            if matter is None:
                ticket.missing.set(lacking)
            else:
                ticket.missing.add(*lacking)
            if ticket.phone:
                notify.record(
                    hall=ticket.hall,
                    kind=Kind.MATERIALS_MISSING,
                    subject_type="ticket",
                    subject_id=ticket.pk,
                    phone=ticket.phone,
                    language=ticket.language,
                    key=str(service_id) if matter else "",
                    render=lambda: missing_text(ticket, lacking, missing_note, service_id),
                )
        if ticket.owner_id is None and user_of(actor):
            Ticket.objects.filter(pk=ticket.pk).update(owner=user_of(actor))
        if nxt is None:
            if ticket.booking_id:
                _finish_booking(ticket, True, actor)
            if ticket.outcome == Outcome.DONE:
                notify.request_rating(ticket=ticket, now=now)
    return ticket


def _seat(ticket: Ticket) -> str:
    inside, seat = place(ticket.hall, ticket.date)
    return seat if inside else ""


def _move_on(ticket: Ticket, nxt, actor: Actor, now: dt.datetime, note: str) -> Ticket:
    """The current matter is done and `nxt` is next: carry on at this counter if it serves `nxt`'s service,
    otherwise back into the queue for it, at the head."""
    from_state, counter = ticket.state, ticket.counter
    if counter.services.filter(pk=nxt.service_id).exists():
        matters.carry_on_here(ticket, nxt, user_of(actor), now)
        record_event(ticket, from_state, actor, now, note or f"matter {nxt.position}")
        return ticket
    matters.requeue(ticket, nxt, now, seat=_seat(ticket))
    record_event(ticket, from_state, actor, now, note or f"matter {nxt.position}", counter=counter)
    return ticket


def missing_text(ticket: Ticket, lacking=None, missing_note=None, service_id=None) -> str:
    if lacking is None:
        lacking, missing_note = list(ticket.missing.all()), ticket.missing_note
    service = Service.objects.get(pk=service_id) if service_id else ticket.service
    names = [m.name for m in lacking] + ([missing_note] if missing_note else [])
    return str(
        _(
            "[%(hall)s] %(service)s: please bring %(items)s. "
            "You will not need to queue again: show ticket %(number)s."
        )
        % {
            "hall": ticket.hall.name,
            "service": service.name,
            "items": "; ".join(names),
            "number": ticket.number,
        }
    )


def _finish_booking(ticket: Ticket, served: bool, actor: Actor) -> None:
    lifecycle.finish(
        booking_id=ticket.booking_id,
        served=served,
        source=actor.source,
        user=user_of(actor),
        note=ticket.number,
    )


def open_counter(*, counter: Counter, actor: Actor, now: dt.datetime | None = None) -> CounterSession:
    """One user per counter at a time, and one counter per user."""
    now = now or timezone.now()
    user = user_of(actor)
    with transaction.atomic():
        session = _session(counter)
        if session.user_id not in (None, getattr(user, "pk", None)) and session.state != CounterState.CLOSED:
            raise QueueError("counter_taken", COUNTER_TAKEN)
        if user is not None:
            CounterSession.objects.filter(user=user).exclude(pk=session.pk).update(
                user=None, state=CounterState.CLOSED, changed_at=now
            )
        session.state, session.user, session.changed_at = CounterState.OPEN, user, now
        try:
            with transaction.atomic():
                session.save()
        except IntegrityError:
            raise QueueError("counter_taken", COUNTER_TAKEN) from None
        events.publish(counter.hall_id, events.QUEUE_CHANGED, {"counter": counter.number, "state": "open"})
    return session


def set_counter_state(
    *, counter: Counter, actor: Actor, state: str, now: dt.datetime | None = None
) -> CounterSession:
    """Pause, resume or close; closing releases the counter for another user."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _session(counter)
        if session.state == CounterState.CLOSED and state != CounterState.CLOSED:
            raise QueueError("counter_closed", COUNTER_NOT_OPEN)
        if session.state == CounterState.OPEN:
            _require_open(session, actor)
        if state == CounterState.CLOSED and _serving(counter):
            raise QueueError("counter_busy", COUNTER_BUSY)
        session.state, session.changed_at = state, now
        if state == CounterState.CLOSED:
            session.user = None
        session.save()
        events.publish(counter.hall_id, events.QUEUE_CHANGED, {"counter": counter.number, "state": state})
    return session
