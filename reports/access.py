"""Who may see a hall's reports: its supervisors (hall.access.supervisor_in_hall). One helper per object
type, so that no view writes its own check. Window staff of the hall are refused (403); anyone else, and
another hall's supervisor, gets 404, so that other halls' pages are not even confirmed to exist."""

from django.shortcuts import get_object_or_404

from hall import access
from hall.models import Device
from queueing.models import Ticket, TicketState
from reports.models import FollowUp, Rating, WrittenComment


def access_follow_up(user, slug: str, case_id: int) -> FollowUp:
    cases = FollowUp.objects.select_related("hall", "rating__service", "rating__counter", "rating__ticket")
    return access.in_hall_named(user, slug, cases, supervisor=True, pk=case_id)


def access_rating(user, slug: str, rating_id: int) -> Rating:
    return access.in_hall_named(
        user, slug, Rating.objects.select_related("hall"), supervisor=True, pk=rating_id
    )


def access_written_comment(user, slug: str, comment_id: int) -> WrittenComment:
    return access.in_hall_named(
        user, slug, WrittenComment.objects.select_related("hall"), supervisor=True, pk=comment_id
    )


def access_device(user, slug: str, device_id: int) -> Device:
    """A screen of the hall (hall.Device), for its supervisors' screens page."""
    return access.in_hall_named(
        user, slug, Device.objects.select_related("hall"), supervisor=True, pk=device_id
    )


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
