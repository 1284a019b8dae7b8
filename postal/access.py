"""Who may see which postal item and pickup: one helper per object type. Staff see only their own hall;
anything else is a 404. Citizens reach their item only through its unguessable token."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from hall.models import Hall, Staff
from postal.models import Pickup, PostalItem
from queueing.access import get_staff
from queueing.models import Ticket

__all__ = ["get_staff"]


def get_hall_for_staff(user) -> Hall:
    return get_staff(user).hall


def require_supervisor(user) -> Staff:
    staff = get_staff(user)
    if not staff.is_supervisor:
        raise PermissionDenied
    return staff


def get_item_for_staff(user, item_id: int) -> PostalItem:
    staff = get_staff(user)
    items = PostalItem.objects.select_related("hall", "service")
    return get_object_or_404(items, pk=item_id, hall_id=staff.hall_id)


def get_pickup_for_staff(user, pickup_id: int) -> Pickup:
    staff = get_staff(user)
    pickups = Pickup.objects.select_related("hall", "service", "postal_item")
    return get_object_or_404(pickups, pk=pickup_id, hall_id=staff.hall_id)


def get_ticket_for_staff(user, ticket_id) -> Ticket | None:
    """A ticket of the staff member's hall to prefill from (?ticket=), or None when none is asked for."""
    if not ticket_id:
        return None
    staff = get_staff(user)
    tickets = Ticket.objects.select_related("service", "booking").prefetch_related("missing")
    try:
        return tickets.get(pk=int(ticket_id), hall_id=staff.hall_id)
    except (ValueError, Ticket.DoesNotExist):
        return None


def get_item_by_token(token: str) -> PostalItem:
    return get_object_or_404(PostalItem.objects.select_related("hall", "service"), token=token)


def get_pickup_by_token(token: str) -> Pickup:
    return get_object_or_404(Pickup.objects.select_related("hall", "service", "postal_item"), token=token)
