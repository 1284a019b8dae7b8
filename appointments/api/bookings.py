"""The citizen's bookings through the API: book (with a texted code where asked), look up, cancel and
reschedule. A refused booking (BookingError) is answered by hall/api_v1.py's one handler of DomainError."""

import datetime as dt
import secrets
from typing import Annotated

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status
from phonenumber_field.phonenumber import PhoneNumber
from pydantic import StringConstraints

from appointments import matters, services, verification
from appointments.api import slot_read
from appointments.api.availability import Code, bookable_service
from appointments.api.throttles import LOOKUPS, PHONE_CODES
from appointments.models import Booking, GreenChannel, Slot
from appointments.services import Actor, Citizen
from hall.api import MAX_ID, ApiError, ErrorOut, HallSlug, IdNumber, Mobile, get_hall
from hall.net import client_ip

SLOT_NOT_FOUND = _("There is no such time for this service. Please choose one from the available times.")
BOOKING_NOT_FOUND = _("No booking matches this code and mobile number. Please check both.")
PROOF_NEEDED = _("Give the mobile number used for the booking, or its manage token.")
PHONE_IN_ADDRESS = _(
    "Do not put the mobile number in the address: send it in the body of "
    "POST /api/v1/bookings/{code}/lookup, or give the manage token."
)
PHONE_CODE_NEEDED = _("Request a code for this mobile number first, then send it with the booking.")


router = Router(tags=["bookings"])

Token = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
SlotId = Annotated[int, Field(ge=1, le=MAX_ID)]


class GreenChannelIn(Schema):
    category: GreenChannel
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class PhoneCodeIn(Schema):
    nonce: Token
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10)]


class BookingIn(Schema):
    hall: HallSlug
    service: Code
    slot: SlotId
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    phone: Mobile
    id_number: IdNumber
    persons: Annotated[int, Field(ge=1, le=5)] = 1
    services: list[Code] = Field(
        default_factory=list,
        max_length=2,
        description="Up to two more services (codes) to do at the same visit, in this order; each takes "
        "`persons` places in its own service's window that holds the booked time. All or nothing.",
    )
    green_channel: GreenChannelIn | None = None
    phone_code: PhoneCodeIn | None = Field(
        None, description="Needed where the deployment proves mobiles by text message (POST /phone-codes)."
    )


class PhoneCodeRequestIn(Schema):
    hall: HallSlug
    phone: Mobile


class PhoneCodeOut(Schema):
    nonce: str
    expires_in: int = Field(description="Seconds.")


class ProofIn(Schema):
    """The citizen proves the booking is theirs with its mobile number or its manage token."""

    phone: Mobile | None = None
    manage_token: Token | None = None


class RescheduleIn(ProofIn):
    slot: SlotId


class MatterOut(Schema):
    service: str
    service_name: str
    start: dt.datetime
    end: dt.datetime


class BookingOut(Schema):
    code: str
    state: str
    hall: str
    service: str
    service_name: str
    start: dt.datetime
    end: dt.datetime
    persons: int
    name_masked: str
    phone_masked: str
    id_masked: str
    green_channel: str
    can_change: bool
    services: list[MatterOut] = Field(description="The further services of the visit, in order.")


class BookingCreatedOut(BookingOut):
    manage_token: str


def local_time(booking: Booking, instant: dt.datetime) -> dt.datetime:
    """An instant of the booking in its hall's time zone."""
    return timezone.localtime(instant, booking.hall.tz)


def request_language() -> str:
    """The language of the request, for the citizen's text messages."""
    return "en" if translation.get_language().startswith("en") else "zh-hans"


def booking_out(booking: Booking) -> dict:
    return {
        "code": booking.code,
        "state": booking.state,
        "hall": booking.hall.slug,
        "service": booking.service.code,
        "service_name": booking.service.name,
        "start": local_time(booking, booking.slot.start),
        "end": local_time(booking, booking.slot.end),
        "persons": booking.persons,
        "name_masked": booking.name_masked,
        "phone_masked": booking.phone_masked,
        "id_masked": booking.id_masked,
        "green_channel": booking.green_channel,
        "can_change": booking.can_change,
        "services": [
            {
                "service": m.service.code,
                "service_name": m.service.name,
                "start": local_time(booking, m.slot.start),
                "end": local_time(booking, m.slot.end),
            }
            for m in matters.matters_of(booking)[1:]
        ],
    }


def _further_service(hall, code: str):
    try:
        return bookable_service(hall, code)
    except ApiError as error:
        raise ApiError(error.status, error.code, error.message, {"services": error.message}) from None


def _slot(service, slot_id: int) -> Slot:
    slot = Slot.objects.select_related("hall", "service").filter(pk=slot_id, service=service).first()
    if slot is None:
        raise ApiError(404, "not_found", SLOT_NOT_FOUND, {"slot": SLOT_NOT_FOUND})
    return slot


def _slot_to_book(data: BookingIn) -> Slot:
    """The slot to book, with its hall, service and the hall's booking rules, in one narrow read; where it
    is not the slot of a bookable service of that hall, the lookups one by one give the precise refusal."""
    slot = slot_read.slot_to_book(data.slot)
    named = slot is not None and slot.hall.slug == data.hall and slot.service.code == data.service
    if named and slot.service.active and slot.service.bookable:
        return slot
    return _slot(bookable_service(get_hall(data.hall), data.service), data.slot)


def get_booking_for_citizen(code: str, proof: ProofIn) -> Booking:
    """The booking with this code, if the mobile number or manage token matches; otherwise 'not found',
    so that nobody learns whether a code exists."""
    if not proof.phone and not proof.manage_token:
        raise ApiError(422, "invalid", PROOF_NEEDED, {"phone": PROOF_NEEDED})
    booking = Booking.objects.select_related("hall", "service", "slot").filter(code=code.upper()).first()
    if booking is not None and (
        (
            proof.manage_token
            and secrets.compare_digest(booking.manage_token.encode(), proof.manage_token.encode())
        )
        or (proof.phone and booking.phone and booking.phone.as_e164 == proof.phone)
    ):
        return booking
    raise ApiError(404, "not_found", BOOKING_NOT_FOUND)


def _actor(request) -> Actor:
    # A request without an address (e.g. through a unix socket) must still book: client_ip() answers "",
    # recorded as none.
    return Actor("api", ip=client_ip(request) or None)


def _check_phone_code(data: BookingIn) -> None:
    """Like the web flow: with BOOKING_SMS_CODE on, a booking needs the code texted to its mobile."""
    if not settings.BOOKING_SMS_CODE:
        return
    if data.phone_code is None:
        raise ApiError(422, "phone_code_needed", PHONE_CODE_NEEDED, {"phone_code": PHONE_CODE_NEEDED})
    refusal = verification.check_code(
        nonce=data.phone_code.nonce, phone=data.phone, code=data.phone_code.code
    )
    if refusal:
        raise ApiError(422, "phone_code_wrong", refusal, {"phone_code.code": refusal})


@router.post(
    "/bookings",
    response={
        201: BookingCreatedOut,
        400: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    operation_id="appointments_api_create_booking",
)
def create_booking(request, data: BookingIn):
    """Book an arrival time. No CSRF token is needed: the request carries no cookie-based authority."""
    slot = _slot_to_book(data)
    also = [_further_service(slot.hall, code) for code in data.services]
    _check_phone_code(data)
    citizen = Citizen(
        name=data.name,
        phone=PhoneNumber.from_string(data.phone),
        id_number=data.id_number,
        language=request_language(),
    )
    green = data.green_channel
    booking = services.book(
        slot=slot,
        citizen=citizen,
        persons=data.persons,
        green_channel=green.category if green else "",
        green_note=green.note if green else "",
        actor=_actor(request),
        also=also,
    )
    return Status(201, {**booking_out(booking), "manage_token": booking.manage_token})


@router.post(
    "/phone-codes",
    response={201: PhoneCodeOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    throttle=PHONE_CODES,
    operation_id="appointments_api_request_phone_code",
)
def request_phone_code(request, data: PhoneCodeRequestIn):
    """Text a one-time code to a mobile number, to send with POST /bookings (where the deployment asks)."""
    hall = get_hall(data.hall)
    try:
        nonce = verification.send_code(
            hall=hall, phone=PhoneNumber.from_string(data.phone), language=request_language()
        )
    except ValueError as refusal:
        raise ApiError(429, "rate_limited", str(refusal)) from None
    return Status(201, {"nonce": nonce, "expires_in": verification.CODE_SECONDS})


@router.get(
    "/bookings/{code}",
    response={200: BookingOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    throttle=LOOKUPS,
    operation_id="appointments_api_get_booking",
)
def get_booking(request, code: str, proof: Query[ProofIn]):
    """A booking, with personal data masked; `manage_token` proves it is the caller's. A mobile number is
    refused here (422 `phone_in_address`): addresses end up in access logs, so it goes in the body of
    POST /bookings/{code}/lookup."""
    if proof.phone:
        raise ApiError(422, "phone_in_address", PHONE_IN_ADDRESS, {"phone": PHONE_IN_ADDRESS})
    return booking_out(get_booking_for_citizen(code, proof))


@router.post(
    "/bookings/{code}/lookup",
    response={200: BookingOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    throttle=LOOKUPS,
    operation_id="appointments_api_look_up_booking",
)
def look_up_booking(request, code: str, proof: ProofIn):
    """A booking, with personal data masked; `phone` or `manage_token` in the body proves it is the
    caller's. Changes nothing."""
    return booking_out(get_booking_for_citizen(code, proof))


@router.post(
    "/bookings/{code}/cancel",
    response={200: BookingOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    throttle=LOOKUPS,
    operation_id="appointments_api_cancel_booking",
)
def cancel_booking(request, code: str, data: ProofIn):
    booking = get_booking_for_citizen(code, data)
    return booking_out(services.cancel_booking(booking=booking, actor=_actor(request)))


@router.post(
    "/bookings/{code}/reschedule",
    response={200: BookingOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    throttle=LOOKUPS,
    operation_id="appointments_api_reschedule_booking",
)
def reschedule_booking(request, code: str, data: RescheduleIn):
    """Move to another time of the same service; if the new time is full (409 slot_full) nothing changes."""
    booking = get_booking_for_citizen(code, data)
    slot = _slot(booking.service, data.slot)
    return booking_out(services.reschedule_booking(booking=booking, slot=slot, actor=_actor(request)))
