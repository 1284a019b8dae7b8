"""What a booking tells its citizen: the confirmation and the booking's own page (`manage_url`). Messages are
recorded in the outbox with the transaction that made the change, in the citizen's language."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import matters
from appointments.models import Booking
from notifications import services as notify


def manage_url(booking: Booking) -> str:
    return settings.SITE_URL + reverse("appointments:manage", args=[booking.manage_token])


def message(booking: Booking, kind: str, render):
    """The message of `tell`, not saved yet, its subject's key to be filled in (notifications.services
    .prepare): a new booking writes it with its own row."""
    return notify.prepare(
        hall=booking.hall,
        kind=kind,
        subject_type="booking",
        subject_id=booking.pk,
        phone=booking.phone,
        language=booking.language,
        render=render,
    )


def tell(booking: Booking, kind: str, render, key: str = "", **options):
    """Record a message to the citizen about their booking, in their language, with this transaction
    (`options`: notifications.services.record's own, e.g. `enqueue`)."""
    return notify.record(
        hall=booking.hall,
        kind=kind,
        subject_type="booking",
        subject_id=booking.pk,
        key=key,
        phone=booking.phone,
        language=booking.language,
        render=render,
        **options,
    )


BY_VIDEO = _("%(services)s (video call: open the link at your time)")


def service_names(booking: Booking) -> str:
    """The booking's services in order, for messages: 'ID card renewal + Household certificate', and that
    the visit is a video call when it is one."""
    names = " + ".join(str(m.service.name) for m in matters.matters_of(booking))
    return str(BY_VIDEO % {"services": names}) if booking.by_video else names


def confirmation_text(booking: Booking):
    slot = booking.slot
    start = timezone.localtime(slot.start, booking.hall.tz)
    end = timezone.localtime(slot.end, booking.hall.tz)
    return _("[%(hall)s] Booked %(service)s %(date)s %(start)s-%(end)s, code %(code)s. Change: %(url)s") % {
        "hall": booking.hall.name,
        "service": service_names(booking),
        "date": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "code": booking.code,
        "url": manage_url(booking),
    }
