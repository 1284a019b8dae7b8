"""The base of every app's access helpers: the staff member of a request, in the hall named by the address,
and one object of their own hall.

Anything outside the staff member's own hall is a 404, never a 403: other halls' pages and objects are not
even confirmed to exist (and the attempt goes to that hall's audit log). Within the hall, a page for
supervisors refuses window staff with 403. Each app's `access.py` builds one helper per object type on
these (`access_counter`, `access_ticket`, `access_postal_item`, `access_visit`, `access_call_back`, ...), in
the manner of zulip's `access_stream_*` and healthchecks' `_get_check_for_user`; no app imports another
app's access helpers.
"""

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from hall import audit
from hall.models import Hall, Staff

M = TypeVar("M", bound=Model)


def staff_of(user) -> Staff | None:
    """The staff row of a signed-in user with their hall, or None (citizens, administrators, devices)."""
    return Staff.objects.select_related("hall").filter(user_id=getattr(user, "pk", None)).first()


def own_staff(user) -> Staff:
    """The staff row of a signed-in user, of whichever hall; 404 for anyone who is not staff."""
    staff = staff_of(user)
    if staff is None:
        raise Http404
    return staff


def own_supervisor(user) -> Staff:
    """A supervisor of whichever hall; window staff get 403, anyone who is not staff 404."""
    return _supervising(own_staff(user))


def hall_named(user, own_hall: Hall | None, slug: str) -> Hall:
    """`own_hall` if it is the hall `slug`; 404 otherwise, and another hall's supervisor sees the attempt."""
    if own_hall is None or own_hall.slug != slug:
        audit.other_hall_refused(user, own_hall, slug)
        raise Http404
    return own_hall


def staff_in_hall(user, slug: str) -> Staff:
    """The user's staff row if they work in the hall `slug`; 404 otherwise."""
    staff = staff_of(user)
    hall_named(user, staff and staff.hall, slug)
    return staff


def supervisor_in_hall(user, slug: str) -> Staff:
    """A supervisor of the hall `slug`; window staff of that hall get 403, anyone else 404."""
    return _supervising(staff_in_hall(user, slug))


def _supervising(staff: Staff) -> Staff:
    if not staff.is_supervisor:
        raise PermissionDenied
    return staff


def own_hall_id(user) -> int:
    """The user's hall; no query when the staff row came with the user (API tokens load it, and a request's
    user keeps it once read). 404 for anyone who is not staff."""
    try:
        return user.staff.hall_id
    except (Staff.DoesNotExist, AttributeError):
        raise Http404 from None


def in_hall(objects: QuerySet[M], hall_id: int, user, **lookup) -> M:
    """The one object of `objects` matching `lookup`, if it belongs to the hall `hall_id`: 404 otherwise.
    When it exists in another hall, that hall's supervisor sees the attempt in its audit log."""
    return belonging(objects.filter(**lookup).first(), hall_id, user)


def belonging(found: M | None, hall_id: int, user) -> M:
    """`found` (read by the caller) if it is an object of the hall `hall_id`: 404 otherwise (`in_hall`)."""
    if found is None or found.hall_id != hall_id:
        if found is not None:
            audit.other_hall_object_refused(user, hall_id, found)
        raise Http404
    return found


def in_hall_named(user, slug: str, objects: QuerySet[M], *, supervisor: bool = False, **lookup) -> M:
    """The one object of `objects` matching `lookup` in the hall `slug`, for its staff (for its supervisors
    with `supervisor=True`: window staff get 403). See `in_hall`."""
    staff = supervisor_in_hall(user, slug) if supervisor else staff_in_hall(user, slug)
    return in_hall(objects, staff.hall_id, user, **lookup)


def in_own_hall(user, objects: QuerySet[M], **lookup) -> M:
    """The one object of `objects` matching `lookup` in the user's own hall (see `in_hall`)."""
    return in_hall(objects, own_hall_id(user), user, **lookup)
