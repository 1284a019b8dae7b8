"""Who may see a hall's reports: its supervisors. One helper per object type, so that no view writes its
own check. Window staff of the hall are refused (403); anyone else, and another hall's supervisor, gets
404, so that other halls' pages are not even confirmed to exist."""

from django.shortcuts import get_object_or_404

from hall import access
from hall.models import Hall
from queueing.models import Ticket, TicketState
from reports.models import FollowUp, Rating


def get_hall_for_supervisor(user, slug: str) -> Hall:
    return access.supervisor_in_hall(user, slug).hall


def get_follow_up_for_supervisor(user, slug: str, case_id: int) -> FollowUp:
    hall = get_hall_for_supervisor(user, slug)
    return get_object_or_404(
        FollowUp.objects.select_related("hall", "rating__service", "rating__counter", "rating__ticket"),
        pk=case_id,
        hall=hall,
    )


def get_rating_for_supervisor(user, slug: str, rating_id: int) -> Rating:
    hall = get_hall_for_supervisor(user, slug)
    return get_object_or_404(Rating.objects.select_related("hall"), pk=rating_id, hall=hall)


def get_ticket_to_rate(token: str) -> Ticket:
    """A citizen's ticket by its unguessable token; a transferred ticket stands for the one it became."""
    ticket = get_object_or_404(Ticket.objects.select_related("hall", "service"), token=token)
    for _hop in range(10):  # a transfer chain is short; the bound only guards against a cycle
        if ticket.state != TicketState.TRANSFERRED:
            break
        following = ticket.transfers.select_related("hall", "service").order_by("-id").first()
        if following is None:
            break
        ticket = following
    return ticket
