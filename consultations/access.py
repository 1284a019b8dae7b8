"""Who may see which consultation pages and call-backs: one helper per object type. Staff see only their own
hall (another hall's pages are a 404, not even confirmed to exist); window staff see their own call-backs, a
supervisor all of the hall's."""

from django.shortcuts import get_object_or_404

from consultations.models import CallBack
from hall import access
from hall.models import Staff


def get_staff_for_hall(user, slug: str) -> Staff:
    return access.staff_in_hall(user, slug)


def get_supervisor_for_hall(user, slug: str) -> Staff:
    return access.supervisor_in_hall(user, slug)


def get_call_back_for_staff(user, slug: str, call_back_id: int) -> tuple[Staff, CallBack]:
    staff = get_staff_for_hall(user, slug)
    call_backs = CallBack.objects.select_related("hall", "owner", "consultation__service")
    if not staff.is_supervisor:
        call_backs = call_backs.filter(owner_id=staff.user_id)
    return staff, get_object_or_404(call_backs, pk=call_back_id, hall_id=staff.hall_id)
