"""JSON API v1 routes for availability and bookings; mounted on the one NinjaAPI in hall/api_v1.py."""

import datetime as dt
import secrets
from typing import Annotated

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status
from ninja.throttling import BaseThrottle
from phonenumber_field.phonenumber import PhoneNumber
from pydantic import StringConstraints

from appointments import availability, limits, matters, services, verification
from appointments.models import Booking, GreenChannel, Slot
from appointments.services import Actor, BookingError, Citizen
from hall.api import (
    AUTH_ERRORS,
    DEVICE_AUTH,
    MAX_ID,
    ApiError,
    ErrorOut,
    HallSlug,
    IdNumber,
    IsoDate,
    Mobile,
    client_ip,
    error_response,
    get_hall,
    get_hall_for_staff,
)
from hall.cache import cached

SERVICE_NOT_FOUND = _("This hall has no service with this code.")
SERVICE_NOT_BOOKABLE = _("This service cannot be booked online. Please take a ticket at the hall.")
SLOT_NOT_FOUND = _("There is no such time for this service. Please choose one from the available times.")
BOOKING_NOT_FOUND = _("No booking matches this code and mobile number. Please check both.")
PROOF_NEEDED = _("Give the mobile number used for the booking, or its manage token.")
PHONE_IN_ADDRESS = _(
    "Do not put the mobile number in the address: send it in the body of "
    "POST /api/v1/bookings/{code}/lookup, or give the manage token."
)
PHONE_CODE_NEEDED = _("Request a code for this mobile number first, then send it with the booking.")

# Status of each BookingError code; any other refusal is a conflict with the current state (409).
BOOKING_ERROR_STATUS = {
    "not_bookable": 400,
    "not_allowed": 403,
    "too_many_services": 422,
    "rate_limited": 429,
}


class PerIpRateLimit(BaseThrottle):
    """A fixed-window count per client address in Redis (off with RATE_LIMITS=off)."""

    def __init__(self, scope: str, limit: int, seconds: int):
        self.scope, self.limit, self.seconds = scope, limit, seconds

    def allow_request(self, request) -> bool:
        return not limits.hit_rate_limit(f"api-{self.scope}", client_ip(request), self.limit, self.seconds)


READS = PerIpRateLimit("read", limit=600, seconds=600)
# Looking a booking up needs its code and mobile number; a low limit keeps guessing pointless.
LOOKUPS = PerIpRateLimit("lookup", limit=60, seconds=3600)
# Each code is a text message: few per address, besides the per-number limit in verification.
PHONE_CODES = PerIpRateLimit("phone-code", limit=20, seconds=3600)


def booking_error(request, exc: BookingError):
    fields = {exc.field: exc.message} if exc.field else {}
    return error_response(request, BOOKING_ERROR_STATUS.get(exc.code, 409), exc.code, exc.message, fields)


router = Router(tags=["bookings"])

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Token = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
SlotId = Annotated[int, Field(ge=1, le=MAX_ID)]


class AvailabilityQuery(Schema):
    service: Code
    date: IsoDate


class SlotOut(Schema):
    id: int
    start: dt.datetime
    end: dt.datetime
    capacity: int
    remaining: int


class DayOut(Schema):
    date: dt.date
    open: bool = Field(description="The hall is open on this date.")
    bookable: bool = Field(description="The date can be booked now.")
    reason: str = Field(description="Why the date is closed or cannot be booked, or what is special.")
    slots: list[SlotOut]


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


class StaffBookingOut(Schema):
    code: str
    state: str
    service: str
    service_name: str
    start: dt.datetime
    end: dt.datetime
    persons: int
    name: str = Field(description="In full for staff of the hall, masked for device tokens.")
    phone_masked: str
    id_masked: str
    green_channel: str
    green_note: str
    channel: str
    services: list[str] = Field(description="Codes of the further services of the visit, in order.")


def _local(booking: Booking, instant: dt.datetime) -> dt.datetime:
    return timezone.localtime(instant, booking.hall.tz)


def booking_out(booking: Booking) -> dict:
    return {
        "code": booking.code,
        "state": booking.state,
        "hall": booking.hall.slug,
        "service": booking.service.code,
        "service_name": booking.service.name,
        "start": _local(booking, booking.slot.start),
        "end": _local(booking, booking.slot.end),
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
                "start": _local(booking, m.slot.start),
                "end": _local(booking, m.slot.end),
            }
            for m in matters.matters_of(booking)[1:]
        ],
    }


def _bookable_service(hall, code: str):
    service = hall.services.active().filter(code=code).first()
    if service is None:
        raise ApiError(404, "not_found", SERVICE_NOT_FOUND, {"service": SERVICE_NOT_FOUND})
    if not service.bookable:
        raise ApiError(400, "not_bookable", SERVICE_NOT_BOOKABLE, {"service": SERVICE_NOT_BOOKABLE})
    return service


def _further_service(hall, code: str):
    try:
        return _bookable_service(hall, code)
    except ApiError as error:
        raise ApiError(error.status, error.code, error.message, {"services": error.message}) from None


def _slot(service, slot_id: int) -> Slot:
    slot = Slot.objects.select_related("hall", "service").filter(pk=slot_id, service=service).first()
    if slot is None:
        raise ApiError(404, "not_found", SLOT_NOT_FOUND, {"slot": SLOT_NOT_FOUND})
    return slot


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
    # The address as recorded, or none: client_ip() says "unknown" for the rate limit's key, which is no
    # address (a request without REMOTE_ADDR, e.g. through a unix socket, must still book).
    return Actor("api", ip=request.META.get("REMOTE_ADDR") or None)


def _language() -> str:
    return "en" if translation.get_language().startswith("en") else "zh-hans"


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


@router.get(
    "/halls/{hall}/availability",
    response={200: DayOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    throttle=READS,
)
def get_availability(request, hall: str, query: Query[AvailabilityQuery]):
    """Arrival times of one service on one date, with the places left in each. Kept for
    AVAILABILITY_CACHE_SECONDS (a second or two in production): when a day opens, hundreds of citizens
    reload the same day at once, and each read would otherwise recompute it. A booking itself always takes
    its place in the database, so a count a second old can only make a citizen see a place that has just
    gone, and be told so."""
    key = f"availability:{hall}:{query.service}:{query.date}:{translation.get_language()}"
    return cached(key, settings.AVAILABILITY_CACHE_SECONDS, lambda: _availability(hall, query))


def _availability(hall: str, query: AvailabilityQuery) -> dict:
    service = _bookable_service(get_hall(hall), query.service)
    day = availability.day_availability(service=service, date=query.date, now=timezone.now())
    tz = service.hall.tz
    return {
        "date": day.date,
        "open": day.open,
        "bookable": day.bookable,
        "reason": str(day.reason or ""),
        "slots": [
            {
                "id": slot.pk,
                "start": timezone.localtime(slot.start, tz),
                "end": timezone.localtime(slot.end, tz),
                "capacity": slot.capacity,
                "remaining": slot.remaining,
            }
            for slot in day.slots
        ],
    }


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
)
def create_booking(request, data: BookingIn):
    """Book an arrival time. No CSRF token is needed: the request carries no cookie-based authority."""
    hall = get_hall(data.hall)
    service = _bookable_service(hall, data.service)
    slot = _slot(service, data.slot)
    also = [_further_service(hall, code) for code in data.services]
    _check_phone_code(data)
    citizen = Citizen(
        name=data.name,
        phone=PhoneNumber.from_string(data.phone),
        id_number=data.id_number,
        language=_language(),
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
)
def request_phone_code(request, data: PhoneCodeRequestIn):
    """Text a one-time code to a mobile number, to send with POST /bookings (where the deployment asks)."""
    hall = get_hall(data.hall)
    try:
        nonce = verification.send_code(
            hall=hall, phone=PhoneNumber.from_string(data.phone), language=_language()
        )
    except ValueError as refusal:
        raise ApiError(429, "rate_limited", str(refusal)) from None
    return Status(201, {"nonce": nonce, "expires_in": verification.CODE_SECONDS})


@router.get(
    "/bookings/{code}",
    response={200: BookingOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    throttle=LOOKUPS,
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
)
def look_up_booking(request, code: str, proof: ProofIn):
    """A booking, with personal data masked; `phone` or `manage_token` in the body proves it is the
    caller's. Changes nothing."""
    return booking_out(get_booking_for_citizen(code, proof))


@router.post(
    "/bookings/{code}/cancel",
    response={200: BookingOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    throttle=LOOKUPS,
)
def cancel_booking(request, code: str, data: ProofIn):
    booking = get_booking_for_citizen(code, data)
    return booking_out(services.cancel_booking(booking=booking, actor=_actor(request)))


@router.post(
    "/bookings/{code}/reschedule",
    response={200: BookingOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    throttle=LOOKUPS,
)
def reschedule_booking(request, code: str, data: RescheduleIn):
    """Move to another time of the same service; if the new time is full (409 slot_full) nothing changes."""
    booking = get_booking_for_citizen(code, data)
    slot = _slot(booking.service, data.slot)
    return booking_out(services.reschedule_booking(booking=booking, slot=slot, actor=_actor(request)))


class DayQuery(Schema):
    date: IsoDate | None = None


@router.get(
    "/halls/{hall}/bookings",
    response={200: list[StaffBookingOut], **AUTH_ERRORS},
    auth=DEVICE_AUTH,
    tags=["staff"],
)
def list_hall_bookings(request, hall: str, query: Query[DayQuery]):
    """A day's bookings of the caller's hall (today by default). Staff of the hall see names in full."""
    principal = request.auth
    hall_obj = get_hall_for_staff(principal, hall)
    date = query.date or hall_obj.local_date(timezone.now())
    bookings = (
        Booking.objects.filter(hall=hall_obj, slot__date=date)
        .select_related("hall", "service", "slot")
        .prefetch_related("matters__service")
        .order_by("slot__start", "created_at", "pk")
    )
    show_name = principal.is_hall_staff
    return [
        {
            "code": b.code,
            "state": b.state,
            "service": b.service.code,
            "service_name": b.service.name,
            "start": _local(b, b.slot.start),
            "end": _local(b, b.slot.end),
            "persons": b.persons,
            "name": b.name if show_name else b.name_masked,
            "phone_masked": b.phone_masked,
            "id_masked": b.id_masked,
            "green_channel": b.green_channel,
            "green_note": b.green_note,
            "channel": b.channel,
            "services": [m.service.code for m in sorted(b.matters.all(), key=lambda m: m.position)],
        }
        for b in bookings
    ]
