"""A counter's session: who works at it and whether it is open. Opening, pausing and closing it, and the
checks every call makes first (the session locked once per transaction)."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from hall.models import Counter
from queueing import dayend, events
from queueing.models import AT_COUNTER_STATES, CounterSession, CounterState, Ticket
from queueing.services import COUNTER_BUSY, COUNTER_NOT_OPEN, COUNTER_TAKEN, Actor, QueueError, user_of


def counter_services(counter: Counter) -> list[int]:
    """The services a counter calls, in its order of preference."""
    return list(counter.services.order_by("position", "id").values_list("id", flat=True))


def lock_session(counter: Counter) -> CounterSession:
    session = CounterSession.objects.select_for_update().filter(counter=counter).first()
    if session is None:  # the counter's first opening
        CounterSession.objects.get_or_create(counter=counter)
        session = CounterSession.objects.select_for_update().get(counter=counter)
    return session


def require_open(session: CounterSession, actor: Actor) -> None:
    if session.state != CounterState.OPEN:
        raise QueueError("counter_closed", COUNTER_NOT_OPEN)
    user = user_of(actor)
    if user is not None and session.user_id not in (None, user.pk):
        raise QueueError("counter_taken", COUNTER_TAKEN)


def serving_ticket(counter: Counter, now: dt.datetime | None = None) -> Ticket | None:
    """The ticket called to or being served at the counter, with its service and counter (what a refusal
    names: QueueError.ticket). One a past day left there ends first (queueing.dayend): it stands in nobody's
    way this morning, even before the nightly job has run."""
    at_counter = Ticket.objects.select_related("service").filter(counter=counter, state__in=AT_COUNTER_STATES)
    ticket = at_counter.first()
    if ticket is None:
        return None
    if ticket.date < counter.hall.local_date(now or timezone.now()):
        dayend.end_at_counter(counter, now)
        return None
    ticket.counter = counter
    return ticket


def open_counter(*, counter: Counter, actor: Actor, now: dt.datetime | None = None) -> CounterSession:
    """One user per counter at a time, and one counter per user."""
    now = now or timezone.now()
    user = user_of(actor)
    with transaction.atomic():
        session = lock_session(counter)
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
        session = lock_session(counter)
        if session.state == CounterState.CLOSED and state != CounterState.CLOSED:
            raise QueueError("counter_closed", COUNTER_NOT_OPEN)
        if session.state == CounterState.OPEN:
            require_open(session, actor)
        if state == CounterState.CLOSED and (busy := serving_ticket(counter, now)):
            raise QueueError("counter_busy", COUNTER_BUSY, ticket=busy)
        session.state, session.changed_at = state, now
        if state == CounterState.CLOSED:
            session.user = None
        session.save()
        events.publish(counter.hall_id, events.QUEUE_CHANGED, {"counter": counter.number, "state": state})
    return session
