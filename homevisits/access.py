"""Who may see and change which home visit: one helper per object type. Another hall's staff get 404 (its
visits are not even confirmed to exist); staff of the hall who may not do something get 403."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from hall.models import Hall
from homevisits.models import HomeVisit
from queueing.access import get_staff


def _visits():
    return HomeVisit.objects.select_related("hall", "service")


def get_hall_for_staff(user, slug: str) -> tuple[Hall, bool]:
    """The hall, if the user works there, and whether they supervise it."""
    staff = get_staff(user)
    get_object_or_404(Hall, pk=staff.hall_id, slug=slug)
    return staff.hall, staff.is_supervisor


def get_visit_for_supervisor(user, slug: str, visit_id: int) -> HomeVisit:
    """A visit of the supervisor's own hall, to approve, decline or cancel."""
    hall, is_supervisor = get_hall_for_staff(user, slug)
    visit = get_object_or_404(_visits(), pk=visit_id, hall=hall)
    if not is_supervisor:
        raise PermissionDenied
    return visit


def get_visit_for_staff(user, slug: str, visit_id: int) -> HomeVisit:
    """A visit of the user's hall that they supervise or go on: to see it and record its outcome."""
    hall, is_supervisor = get_hall_for_staff(user, slug)
    visit = get_object_or_404(_visits().prefetch_related("staff"), pk=visit_id, hall=hall)
    if not (is_supervisor or visit.has_staff_member(user)):
        raise PermissionDenied
    return visit


def get_visit_by_token(token: str) -> HomeVisit:
    """The citizen's own request, by its unguessable link."""
    return get_object_or_404(_visits(), token=token)
