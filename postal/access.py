"""Who may see which postal item and pickup: one helper per object type, built on hall.access. Staff see only
their own hall; anything else is a 404 (and audited when it exists in another hall). Citizens reach their
item only through its unguessable token."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from hall import access
from postal.models import Pickup, PostalItem
from queueing.models import Ticket


def access_postal_item(user, item_id: int) -> PostalItem:
    return access.in_own_hall(user, PostalItem.objects.select_related("hall", "service"), pk=item_id)


def access_pickup(user, pickup_id: int) -> Pickup:
    pickups = Pickup.objects.select_related("hall", "service", "postal_item")
    return access.in_own_hall(user, pickups, pk=pickup_id)


def ticket_to_prefill(user, ticket_id) -> Ticket | None:
    """A ticket of the staff member's hall to prefill from (?ticket=), or None when none (or no ticket of
    theirs) is asked for."""
    if not str(ticket_id or "").isdigit():
        return None
    tickets = Ticket.objects.select_related("hall", "service", "booking").prefetch_related("missing")
    try:
        return access.in_own_hall(user, tickets, pk=int(ticket_id))
    except Http404:
        return None


def get_item_by_token(token: str) -> PostalItem:
    return get_object_or_404(PostalItem.objects.select_related("hall", "service"), token=token)


def get_pickup_by_token(token: str) -> Pickup:
    return get_object_or_404(Pickup.objects.select_related("hall", "service", "postal_item"), token=token)
