"""A hall's services by code through the API, and the free arrival times of one service on one date."""

import datetime as dt
from typing import Annotated

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema
from pydantic import StringConstraints

from appointments import availability
from appointments.api.throttles import READS
from hall.api import ApiError, ErrorOut, IsoDate, get_hall
from hall.cache import cached

SERVICE_NOT_FOUND = _("This hall has no service with this code.")
SERVICE_NOT_BOOKABLE = _("This service cannot be booked online. Please take a ticket at the hall.")

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]

router = Router(tags=["bookings"])


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


def active_service(hall, code: str):
    """A service the hall offers now, by its code; 404 on the `service` field otherwise."""
    service = hall.services.active().filter(code=code).first()
    if service is None:
        raise ApiError(404, "not_found", SERVICE_NOT_FOUND, {"service": SERVICE_NOT_FOUND})
    return service


def bookable_service(hall, code: str):
    service = active_service(hall, code)
    if not service.bookable:
        raise ApiError(400, "not_bookable", SERVICE_NOT_BOOKABLE, {"service": SERVICE_NOT_BOOKABLE})
    return service


@router.get(
    "/halls/{hall}/availability",
    response={200: DayOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    throttle=READS,
    operation_id="appointments_api_get_availability",
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
    service = bookable_service(get_hall(hall), query.service)
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
