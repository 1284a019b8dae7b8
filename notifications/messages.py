"""The texts of the messages this app writes itself (reminders, closures, rating requests).

Short on purpose: a Chinese SMS holds 70 characters (67 per part of a longer one) and each part is paid
for; tests/notifications/test_messages.py keeps every kind within MAX_SEGMENTS in both languages.
Render inside `translation.override(citizen's language)` (notifications.services.record does).
"""

import datetime as dt

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_SEGMENTS = 3
REASON_CHARS = 30

REMINDER_DAY_BEFORE = _(
    "[%(hall)s] Reminder: %(service)s %(date)s %(start)s-%(end)s, code %(code)s. Change: %(url)s"
)
REMINDER_SOON = _(
    "[%(hall)s] Today %(start)s-%(end)s: %(service)s, code %(code)s. Please bring the materials in the guide."
)
# Appended to reminders while a gateway's reply callback is set up (SMS_REPLY_TOKENS; docs/sms-replies.md).
REPLY_HINT = _("Reply 1 to confirm, 2 to cancel.")
CLOSURE_DAY = _("[%(hall)s] Closed %(date)s (%(reason)s): please rebook %(code)s: %(url)s")
CLOSURE_HOURS = _("[%(hall)s] Closed %(date)s %(start)s-%(end)s (%(reason)s): rebook %(code)s: %(url)s")
RATING_REQUEST = _(
    "[%(hall)s] Thank you for your visit (ticket %(number)s). Please rate our service: %(url)s"
)


def _hhmm(instant: dt.datetime, tz) -> str:
    return timezone.localtime(instant, tz).strftime("%H:%M")


def short(text, limit: int = REASON_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def reminder_text(booking, *, url: str, soon: bool, service: str = "") -> str:
    """`service`: every service of the visit when it has several (appointments.services.service_names)."""
    slot, tz = booking.slot, booking.hall.tz
    template = REMINDER_SOON if soon else REMINDER_DAY_BEFORE
    hint = f" {REPLY_HINT}" if settings.SMS_REPLY_TOKENS else ""
    return (
        template
        % {
            "hall": booking.hall.name,
            "service": service or booking.service.name,
            "date": slot.date.isoformat(),
            "start": _hhmm(slot.start, tz),
            "end": _hhmm(slot.end, tz),
            "code": booking.code,
            "url": url,
        }
        + hint
    )


def closure_text(booking, *, date: dt.date, start, end, reason: str, url: str) -> str:
    values = {
        "hall": booking.hall.name,
        "date": date.isoformat(),
        "reason": short(reason),
        "code": booking.code,
        "url": url,
    }
    if start is None:
        return CLOSURE_DAY % values
    return CLOSURE_HOURS % {**values, "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}


def rating_url(ticket) -> str | None:
    """The citizen's ticket page, where the rating is given; None while that page is not routed."""
    try:
        return settings.SITE_URL + reverse("queueing:ticket", args=[ticket.token])
    except NoReverseMatch:
        return None


def rating_text(ticket, *, url: str) -> str:
    return RATING_REQUEST % {"hall": ticket.hall.name, "number": ticket.number, "url": url}
