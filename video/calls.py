"""A video appointment's day: the citizen joins (their check-in), the clerk checks their identity by video,
then completes the matter and may open a postal item for the document, so that nobody travels."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import lifecycle
from appointments.models import Booking, BookingState
from hall import audit
from hall.errors import DomainError
from hall.models import AuditAction
from hall.privacy import hash_id_number
from postal import services as postal
from postal.models import PostalOrigin
from video import signalling
from video.models import IdentityCheck, Side

log = logging.getLogger(__name__)

IDENTITY_FIRST = _("Record a confirmed identity check before completing the matter.")
NOT_IN_CALL = _("This video appointment is no longer open.")
NOT_BY_POST = _("This service's document cannot be sent by post.")


class CallError(DomainError):
    """A refusal the clerk can act on."""


def join_window(booking: Booking) -> tuple[dt.datetime, dt.datetime]:
    """From when to when the call may be joined: a little before the booked time until a while after."""
    early = dt.timedelta(minutes=settings.VIDEO["JOIN_EARLY_MINUTES"])
    late = dt.timedelta(minutes=settings.VIDEO["JOIN_LATE_MINUTES"])
    return booking.slot.start - early, booking.slot.end + late


def may_join(booking: Booking, now: dt.datetime | None = None) -> bool:
    """Whether the waiting room lets the citizen in now (in the join window, booked or already in)."""
    opens, closes = join_window(booking)
    in_window = opens <= (now or timezone.now()) <= closes
    return in_window and booking.state in (BookingState.BOOKED, BookingState.CHECKED_IN)


def citizen_joins(booking: Booking, now: dt.datetime | None = None) -> bool:
    """The citizen's page, camera on, said hello in their window: that is their arrival (check-in). Not the
    page's GET, which a messenger's link preview also makes. True when the call may go ahead (now or again,
    after a dropped call)."""
    if not may_join(booking, now):
        return False
    if booking.state == BookingState.BOOKED:
        lifecycle.check_in(booking=booking, source="video", note="joined the video call")
        booking.refresh_from_db(fields=["state"])
    return booking.state == BookingState.CHECKED_IN


def id_number_matches(booking: Booking, number: str) -> bool:
    """Whether the ID number the clerk typed (read aloud by the citizen; validated by the form) is the
    booking's: compared as HMACs, and neither kept nor logged."""
    return hash_id_number(number) == booking.id_hash


def record_identity(
    *, booking: Booking, face: bool, id_matches: bool, questions: bool, user, ip=None
) -> IdentityCheck:
    """Record the outcome of the checks, and audit who checked what when (no image, no ID number)."""
    passed = face and id_matches and questions
    with transaction.atomic():
        check = IdentityCheck.objects.create(
            booking=booking,
            face_matches=face,
            id_number_matches=id_matches,
            questions_answered=questions,
            passed=passed,
            checked_by=user,
        )
        detail = "face={} id_number={} questions={} -> {}".format(
            *("yes" if x else "no" for x in (face, id_matches, questions)), "passed" if passed else "failed"
        )
        audit.record(
            action=AuditAction.VIDEO_IDENTITY_CHECKED, hall=booking.hall, actor=user, obj=booking,
            detail=f"booking {booking.code}: {detail}", ip=ip,
        )  # fmt: skip
    log.info("video booking %s identity check %s", booking.pk, "passed" if passed else "failed")
    return check


def identity_confirmed(booking: Booking) -> bool:
    latest = booking.identity_checks.order_by("-at", "-id").first()
    return bool(latest and latest.passed)


def complete(*, booking: Booking, user, address: postal.Address | None = None, now=None):
    """The matter is done: the booking is served, the citizen's page says so, and with an address a postal
    item is opened for the document (its materials are in hand: the hall issues it). Returns the item."""
    now = now or timezone.now()
    if not identity_confirmed(booking):
        raise CallError("identity_first", IDENTITY_FIRST)
    if address is not None and not booking.service.by_post:
        raise CallError("not_by_post", NOT_BY_POST)
    with transaction.atomic():
        lifecycle.check_in(booking=booking, source="video", user=user, note="clerk completed the call")
        if not lifecycle.finish(
            booking_id=booking.pk, served=True, source="video", user=user, note="by video"
        ):
            raise CallError("not_open", NOT_IN_CALL)
        item = None
        if address is not None:
            applicant = postal.Applicant(
                booking.name, booking.phone, booking.id_hash, booking.id_masked, booking.language
            )
            item = postal.apply_by_post(
                service=booking.service,
                applicant=applicant,
                address=address,
                actor=postal.Actor("staff", user=user),
                origin=PostalOrigin.VIDEO,
                materials_in_hand=True,
                booking=booking,
                now=now,
            )
        signalling.post(booking=booking, sender=Side.CLERK, kind="done", body=None, now=now)
    return item
