"""Who may touch which hall, counter and ticket: one helper per object type, so that no view writes its
own ownership check. Anything outside the staff member's own hall is a 404, never a 403: other halls'
windows and tickets are not even confirmed to exist."""

from django.shortcuts import get_object_or_404

from hall import access as hall_access
from hall.models import Counter
from queueing import statements
from queueing.models import CounterSession, CounterState, Ticket
from queueing.services import COUNTER_NOT_OPEN, COUNTER_TAKEN, QueueError


def access_counter(user, counter_id: int) -> Counter:
    """An active counter of the user's own hall, with its hall, the hall's queue rules and its session
    loaded (call-next needs all of them), in one written-out statement (queueing/statements.py)."""
    hall_id = hall_access.own_hall_id(user)
    return hall_access.belonging(statements.counter(counter_id), hall_id, user)


def counter_of_own_hall(user, counter: Counter | None) -> Counter:
    """`counter` (read by the caller, None when there is no such active counter) if it is of the user's own
    hall: 404 otherwise, as `access_counter`."""
    return hall_access.belonging(counter, hall_access.own_hall_id(user), user)


def access_counter_to_call(user, counter_id: int, date) -> tuple[Counter, "statements.Glance"]:
    """`access_counter`, with call-next's glance at the counter on `date`, the day of the user's hall
    (statements.counter_to_call), in the same statement."""
    hall_id = hall_access.own_hall_id(user)
    counter, glance = statements.counter_to_call(counter_id, date)
    return hall_access.belonging(counter, hall_id, user), glance


def access_ticket(user, ticket_id: int, *, hall_id: int | None = None) -> Ticket:
    """A ticket of the user's own hall (of `hall_id` when the page already checked the hall as theirs), with
    its hall, service, booking, counter and the counter's session."""
    hall_id = hall_id or hall_access.own_hall_id(user)
    return hall_access.belonging(statements.ticket(ticket_id), hall_id, user)


def require_working_at(counter: Counter, user) -> None:
    """Only the user who opened a counter acts at it; others of the hall may only look."""
    session = counter_session(counter)
    if session is None or session.state == CounterState.CLOSED:
        raise QueueError("counter_closed", COUNTER_NOT_OPEN)
    if session.user_id != user.pk:
        raise QueueError("counter_taken", COUNTER_TAKEN)


def counter_session(counter: Counter) -> CounterSession | None:
    return getattr(counter, "session", None)  # None before the counter is first opened


def access_ticket_at_counter(counter: Counter, ticket_id: int) -> Ticket:
    """A ticket called to this counter (the counter itself already came from access_counter)."""
    return get_object_or_404(Ticket.objects.select_related("hall", "service"), pk=ticket_id, counter=counter)


def access_ticket_for_counter(user, counter: Counter, ticket_id: int) -> Ticket:
    """A ticket of the counter's hall, to call from the waiting or parked list; the service refuses one
    whose service this counter does not serve."""
    tickets = Ticket.objects.select_related("hall", "service")
    return hall_access.in_hall(tickets, counter.hall_id, user, pk=ticket_id)


def get_ticket_by_token(token: str, *, hall_slug: str | None = None) -> Ticket:
    """A citizen's ticket by its unguessable token (links on the printed ticket and in messages); the
    kiosk shows only its own hall's tickets."""
    tickets = Ticket.objects.select_related("hall", "service", "counter")
    if hall_slug is not None:
        tickets = tickets.filter(hall__slug=hall_slug)
    return get_object_or_404(tickets, token=token)
