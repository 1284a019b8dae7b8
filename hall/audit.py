"""The audit log: staff actions and reveals of personal data that no booking or ticket event records.

Booking and ticket changes already have their own events with who, when and where (BookingEvent,
TicketEvent, BlockLift); the supervisor's audit page reads those beside these entries instead of writing
every change twice (docs/decisions.md). An entry names objects by type and id, never by personal data.
"""

import datetime as dt
import logging

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone

from hall.models import AuditAction, AuditEntry, Hall, Staff
from hall.net import client_ip  # noqa: F401 - audit.client_ip(request) is used across the apps

log = logging.getLogger(__name__)

# A counter session's new state (queueing.models.CounterState) → what the audit log calls it.
COUNTER_STATE_ACTIONS = {
    "open": AuditAction.COUNTER_RESUMED,
    "paused": AuditAction.COUNTER_PAUSED,
    "closed": AuditAction.COUNTER_CLOSED,
}


def staff_hall(user) -> Hall | None:
    """The hall a user works in, or None for anyone without a staff row (administrators, devices)."""
    staff = Staff.objects.select_related("hall").filter(user_id=getattr(user, "pk", None)).first()
    return staff.hall if staff else None


def record(
    *,
    action: AuditAction,
    hall: Hall | None,
    actor=None,
    obj: models.Model | None = None,
    detail: str = "",
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> AuditEntry:
    """Write one entry. `detail` must hold no personal data: ids, codes and states only."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        hall=hall,
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail[:200],
        ip=ip,
        at=now or timezone.now(),
    )


def other_hall_refused(user, own_hall: Hall | None, slug: str) -> None:
    """A staff member of one hall asked for another hall's page or data: they are answered 404 as for a hall
    that does not exist, and the other hall's supervisor sees the attempt in the audit log (the address is
    not known here: the access helpers see the user, not the request)."""
    if own_hall is None or own_hall.slug == slug:
        return
    other = Hall.objects.filter(slug=slug).first()
    if other is not None:
        _other_hall_refused(user, own_hall.pk, other)


def other_hall_object_refused(user, own_hall_id: int, obj: models.Model) -> None:
    """A staff member asked for another hall's object (a ticket, a visit, ...) by its number: they are
    answered 404 as for one that does not exist, and the object's hall sees the attempt."""
    _other_hall_refused(user, own_hall_id, obj.hall, obj)


def _other_hall_refused(user, own_hall_id: int, hall: Hall, obj: models.Model | None = None) -> None:
    detail = f"staff of hall {own_hall_id}"
    record(action=AuditAction.OTHER_HALL_REFUSED, hall=hall, actor=user, obj=obj, detail=detail)


def record_request(request, *, action: AuditAction, hall: Hall | None, obj=None, detail: str = ""):
    """An entry for what the signed-in user of this request did."""
    return record(action=action, hall=hall, actor=request.user, obj=obj, detail=detail, ip=client_ip(request))


# Sign-in and sign-out come from Django's auth signals: they record, they change no domain state.


def on_signed_in(sender, request, user, **kwargs):
    record(action=AuditAction.SIGNED_IN, hall=staff_hall(user), actor=user, ip=client_ip(request))


def on_signed_out(sender, request, user, **kwargs):
    if user is not None:  # signing out without a session
        record(action=AuditAction.SIGNED_OUT, hall=staff_hall(user), actor=user, ip=client_ip(request))


def on_sign_in_failed(sender, credentials, request=None, **kwargs):
    sign_in_refused(request, credentials.get(get_user_model().USERNAME_FIELD) or "")


def sign_in_refused(request, username: str, detail: str = "") -> AuditEntry:
    """A refused sign-in names the account only when it exists: a mistyped user name may be a password."""
    model = get_user_model()
    user = model._default_manager.filter(**{model.USERNAME_FIELD: username}).first() if username else None
    entry = record(
        action=AuditAction.SIGN_IN_FAILED,
        hall=staff_hall(user) if user else None,
        actor=user,
        detail=detail,
        ip=client_ip(request),
    )
    log.info("sign-in refused: audit entry %s, user id %s", entry.pk, getattr(user, "pk", None))
    return entry
