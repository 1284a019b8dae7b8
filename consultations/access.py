"""Who may see which consultation pages and call-backs: one helper per object type. Staff see only their own
hall (another hall's pages are a 404, not even confirmed to exist); window staff see their own call-backs, a
supervisor all of the hall's."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from consultations.models import CallBack
from hall import audit
from hall.models import Staff


def get_staff_for_hall(user, slug: str) -> Staff:
    staff = Staff.objects.select_related("hall").filter(user_id=getattr(user, "pk", None)).first()
    if staff is None or staff.hall.slug != slug:
        audit.other_hall_refused(user, staff and staff.hall, slug)
        raise Http404
    return staff


def get_supervisor_for_hall(user, slug: str) -> Staff:
    staff = get_staff_for_hall(user, slug)
    if not staff.is_supervisor:
        raise PermissionDenied
    return staff


def get_call_back_for_staff(user, slug: str, call_back_id: int) -> tuple[Staff, CallBack]:
    staff = get_staff_for_hall(user, slug)
    call_backs = CallBack.objects.select_related("hall", "owner", "consultation__service")
    if not staff.is_supervisor:
        call_backs = call_backs.filter(owner_id=staff.user_id)
    return staff, get_object_or_404(call_backs, pk=call_back_id, hall_id=staff.hall_id)
