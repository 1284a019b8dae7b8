"""Replies to reminders by SMS ("回复 1 确认, 2 取消"): a reply is matched to the latest reminder sent to
that mobile, and confirms or cancels its booking (docs/sms-replies.md).

The gateways' callbacks (appointments/sms_reply_views.py) hand this module `Reply` objects. What a reply
does is recorded where the rest of the booking's history is: a BookingEvent (source "sms"), the outbox
(an answer by SMS: the cancellation's own message, or a confirmation), and an audit entry. A reply that
says neither, or comes from a mobile with no recent reminder, or about a booking that can no longer
change, is logged with the mobile masked and otherwise ignored: no answer is sent, so a stranger's texts
cost nothing.
"""

import datetime as dt
import logging
import re
import unicodedata
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from appointments import lifecycle, services
from appointments.citizens import Actor
from appointments.messages import tell
from appointments.models import Booking, BookingEvent, BookingState
from hall import audit
from hall.models import AuditAction
from hall.privacy import mask_phone
from notifications.models import REMINDER_KINDS, Kind, Notification, State

log = logging.getLogger(__name__)

# A reply answers a reminder sent at most this long ago (the day-before reminder is the earliest).
REPLY_WINDOW = dt.timedelta(hours=48)
SMS = Actor("sms")
CONFIRM, CANCEL = "confirm", "cancel"
WORDS = {"1": CONFIRM, "确认": CONFIRM, "是": CONFIRM, "2": CANCEL, "取消": CANCEL}
NOT_WORDS = re.compile(r"[\s\W_]+")
CONFIRMED_NOTE = "confirmed by SMS reply to notification {}"
CONFIRMED_TEXT = _("[%(hall)s] Thank you: booking %(code)s on %(date)s at %(start)s is confirmed.")


@dataclass(frozen=True)
class Reply:
    gateway: str
    phone: object  # phonenumbers.PhoneNumber
    text: str
    at: dt.datetime


def meaning(text: str) -> str | None:
    """ "1", "１", "1。", " 确认 " → confirm; "2", "取消" → cancel; anything else → None."""
    word = NOT_WORDS.sub("", unicodedata.normalize("NFKC", text or "")).lower()
    return WORDS.get(word)


def latest_reminder(phone, now: dt.datetime) -> Notification | None:
    return (
        Notification.objects.filter(
            kind__in=REMINDER_KINDS,
            subject_type="booking",
            phone=phone,
            state=State.SENT,
            sent_at__gte=now - REPLY_WINDOW,
        )
        .order_by("-sent_at", "-pk")
        .first()
    )


def handle(reply: Reply, *, now: dt.datetime) -> str:
    """What the reply did: confirmed, cancelled, or why it was ignored."""
    masked = mask_phone(reply.phone)
    action = meaning(reply.text)
    if abs(now - reply.at) > REPLY_WINDOW:
        log.info("SMS reply via %s from %s ignored: sent %s, too long ago", reply.gateway, masked, reply.at)
        return "stale"
    if action is None:
        log.info(
            "SMS reply via %s from %s ignored: not 1 or 2 (%s characters)",
            reply.gateway,
            masked,
            len(reply.text),
        )
        return "unknown"
    reminder = latest_reminder(reply.phone, now)
    if reminder is None:
        log.info("SMS reply via %s from %s ignored: no reminder sent to it lately", reply.gateway, masked)
        return "no_reminder"
    booking = Booking.objects.select_related("hall", "slot", "service").get(pk=reminder.subject_id)
    if booking.state != BookingState.BOOKED:
        log.info("SMS reply from %s ignored: booking %s is %s", masked, booking.pk, booking.state)
        return "not_changeable"
    if booking.slot.end <= now:  # a "2" after the window must not turn a no-show into a cancellation
        log.info("SMS reply from %s ignored: booking %s's window has ended", masked, booking.pk)
        return "past"
    outcome = _confirm(booking, reminder, now) if action == CONFIRM else _cancel(booking, now)
    log.info("SMS reply via %s from %s: booking %s %s", reply.gateway, masked, booking.pk, outcome)
    return outcome


def _confirm(booking: Booking, reminder: Notification, now: dt.datetime) -> str:
    note = CONFIRMED_NOTE.format(reminder.pk)
    with transaction.atomic():
        # One confirmation at a time, and none for a booking cancelled since `handle` read it.
        state = Booking.objects.select_for_update().filter(pk=booking.pk).values_list("state", flat=True)
        if state.first() != BookingState.BOOKED:
            return "not_changeable"
        if BookingEvent.objects.filter(booking=booking, note=note).exists():
            return "already"  # the gateway sent the reply again
        lifecycle.record(booking, BookingState.BOOKED, SMS, note)
        tell(booking, Kind.REPLY_CONFIRMED, lambda: _confirmed_text(booking), key=str(reminder.pk), now=now)
        _audit(booking, "confirmed", now)
    return "confirmed"


def _cancel(booking: Booking, now: dt.datetime) -> str:
    with transaction.atomic():
        try:
            services.cancel_booking(booking=booking, actor=SMS, now=now)  # holds, waiting list, its own SMS
        except services.BookingError:
            return "not_changeable"
        _audit(booking, "cancelled", now)
    return "cancelled"


def _confirmed_text(booking: Booking) -> str:
    start = booking.slot.start.astimezone(booking.hall.tz)
    return CONFIRMED_TEXT % {
        "hall": booking.hall.name,
        "code": booking.code,
        "date": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
    }


def _audit(booking: Booking, what: str, now: dt.datetime) -> None:
    audit.record(
        action=AuditAction.SMS_REPLY, hall=booking.hall, obj=booking, detail=f"{booking.code} {what}", now=now
    )
