"""Who may touch which hall, counter and ticket: one helper per object type, so that no view writes its
own ownership check. Anything outside the staff member's own hall is a 404, never a 403: other halls'
windows and tickets are not even confirmed to exist."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from hall import access as hall_access
from hall.models import Counter, Hall, Staff
from queueing.models import CounterSession, CounterState, Ticket
from queueing.services import COUNTER_NOT_OPEN, COUNTER_TAKEN, QueueError


def get_staff(user) -> Staff:
    """The staff row of a logged-in user; 404 for anyone who is not staff of some hall."""
    staff = hall_access.staff_of(user)
    if staff is None:
        raise Http404
    return staff


def get_hall_for_staff(user, slug: str) -> Hall:
    """The hall named by `slug`, if the user works there (the kiosk's staff-operated 导办 mode)."""
    return hall_access.staff_in_hall(user, slug).hall


def _own_hall_id(user) -> int:
    """The user's hall, without a query when the staff row came with the user (API tokens load it)."""
    try:
        return user.staff.hall_id
    except (Staff.DoesNotExist, AttributeError):
        raise Http404 from None


def get_counter_for_staff(user, counter_id: int) -> Counter:
    """An active counter of the user's own hall, with its hall, the hall's queue rules and its session
    loaded (call-next needs all of them: one query instead of four)."""
    return get_object_or_404(
        Counter.objects.active().select_related("hall", "hall__queue_rules", "session", "session__user"),
        pk=counter_id,
        hall_id=_own_hall_id(user),
    )


def require_working_at(counter: Counter, user) -> None:
    """Only the user who opened a counter acts at it; others of the hall may only look."""
    session = counter_session(counter)
    if session is None or session.state == CounterState.CLOSED:
        raise QueueError("counter_closed", COUNTER_NOT_OPEN)
    if session.user_id != user.pk:
        raise QueueError("counter_taken", COUNTER_TAKEN)


def counter_session(counter: Counter) -> CounterSession | None:
    return getattr(counter, "session", None)  # None before the counter is first opened


def get_ticket_at_counter(counter: Counter, ticket_id: int) -> Ticket:
    """A ticket called to this counter (the counter itself already came from get_counter_for_staff)."""
    return get_object_or_404(Ticket.objects.select_related("hall", "service"), pk=ticket_id, counter=counter)


def get_ticket_for_counter_hall(counter: Counter, ticket_id: int) -> Ticket:
    """A ticket of the counter's hall and day, to call from the waiting or parked list; the service
    refuses one whose service this counter does not serve."""
    return get_object_or_404(
        Ticket.objects.select_related("hall", "service"), pk=ticket_id, hall_id=counter.hall_id
    )


def get_ticket_by_token(token: str, *, hall_slug: str | None = None) -> Ticket:
    """A citizen's ticket by its unguessable token (links on the printed ticket and in messages); the
    kiosk shows only its own hall's tickets."""
    tickets = Ticket.objects.select_related("hall", "service", "counter")
    if hall_slug is not None:
        tickets = tickets.filter(hall__slug=hall_slug)
    return get_object_or_404(tickets, token=token)


def get_hall_for_supervisor(user, slug: str) -> Hall:
    """The hall named by `slug`, for its supervisors: 404 for anyone else of another hall or no hall,
    403 for its window staff (as reports.access does)."""
    hall = get_hall_for_staff(user, slug)
    if not get_staff(user).is_supervisor:
        raise PermissionDenied
    return hall
