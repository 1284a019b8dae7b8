"""Who may see and change which home visit: one helper per object type, built on hall.access. Another hall's
staff get 404 (its visits are not even confirmed to exist, and the attempt is audited); staff of the hall
who may not do something get 403."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from hall import access
from homevisits.models import HomeVisit


def _visits():
    return HomeVisit.objects.select_related("hall", "service")


def access_visit_as_supervisor(user, slug: str, visit_id: int) -> HomeVisit:
    """A visit of the supervisor's own hall, to approve, decline or cancel."""
    return access.in_hall_named(user, slug, _visits(), supervisor=True, pk=visit_id)


def access_visit(user, slug: str, visit_id: int) -> HomeVisit:
    """A visit of the user's hall that they supervise or go on: to see it and record its outcome."""
    staff = access.staff_in_hall(user, slug)
    visit = access.in_hall(_visits().prefetch_related("staff"), staff.hall_id, user, pk=visit_id)
    if not (staff.is_supervisor or visit.has_staff_member(user)):
        raise PermissionDenied
    return visit


def get_visit_by_token(token: str) -> HomeVisit:
    """The citizen's own request, by its unguessable link."""
    return get_object_or_404(_visits(), token=token)
