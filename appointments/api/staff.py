"""A day's bookings of the hall for its staff and devices, names in full for staff only."""

import datetime as dt

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from appointments.api.bookings import local_time
from appointments.models import Booking
from hall.api import AUTH_ERRORS, DEVICE_AUTH, IsoDate, get_hall_for_staff

router = Router(tags=["bookings"])


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


class DayQuery(Schema):
    date: IsoDate | None = None


@router.get(
    "/halls/{hall}/bookings",
    response={200: list[StaffBookingOut], **AUTH_ERRORS},
    auth=DEVICE_AUTH,
    tags=["staff"],
    operation_id="appointments_api_list_hall_bookings",
)
def list_hall_bookings(request, hall: str, query: Query[DayQuery]):
    """A day's bookings of the caller's hall (today by default). Staff of the hall see names in full."""
    principal = request.auth
    hall_obj = get_hall_for_staff(principal, hall)
    date = query.date or hall_obj.local_date(timezone.now())
    bookings = (
        Booking.objects.of_day(hall_obj, date)
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
            "start": local_time(b, b.slot.start),
            "end": local_time(b, b.slot.end),
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
