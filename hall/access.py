"""The base of every app's access helpers: the staff member of a request, in the hall named by the address.

Anything outside the staff member's own hall is a 404, never a 403: other halls' pages are not even
confirmed to exist (and the attempt goes to that hall's audit log). Within the hall, a page for
supervisors refuses window staff with 403. Each app's `access.py` builds its object helpers on these
(queueing/access.py, reports/access.py, consultations/access.py), in the manner of zulip's
`access_stream_*` and healthchecks' `_get_check_for_user`.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from hall import audit
from hall.models import Staff


def staff_of(user) -> Staff | None:
    """The staff row of a signed-in user with their hall, or None (citizens, administrators, devices)."""
    return Staff.objects.select_related("hall").filter(user_id=getattr(user, "pk", None)).first()


def staff_in_hall(user, slug: str) -> Staff:
    """The user's staff row if they work in the hall `slug`; 404 otherwise."""
    staff = staff_of(user)
    if staff is None or staff.hall.slug != slug:
        audit.other_hall_refused(user, staff and staff.hall, slug)
        raise Http404
    return staff


def supervisor_in_hall(user, slug: str) -> Staff:
    """A supervisor of the hall `slug`; window staff of that hall get 403, anyone else 404."""
    staff = staff_in_hall(user, slug)
    if not staff.is_supervisor:
        raise PermissionDenied
    return staff
