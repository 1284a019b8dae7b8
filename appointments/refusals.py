"""The refusals of the booking flows: `BookingError` and the messages a citizen can act on
(appointments/services.py and appointments/matters.py raise them; services re-exports them)."""

from django.utils.translation import gettext_lazy as _

from hall.errors import DomainError

SLOT_FULL = _("This time is fully booked. Please choose another time.")
SLOT_NOT_BOOKABLE = _("This time can no longer be booked. Please choose another time.")
DUPLICATE_BOOKING = _(
    "You already have a booking for this service. Change or cancel it instead of booking again."
)
NOT_CHANGEABLE = _("This booking can no longer be changed.")
HELD_BACK_STAFF_ONLY = _("Only staff can book the places held back for the green channel.")
SERVICE_FULL = _(
    "%(service)s is fully booked at this time. Leave it out, or choose another time for the whole visit."
)
SERVICE_NOT_THEN = _(
    "%(service)s cannot be booked at this time. Leave it out, or choose another time for the whole visit."
)
TOO_MANY_MATTERS = _("You can add at most two more services to one visit.")


class BookingError(DomainError):
    """A refusal a citizen can act on; `code` is the API's error code."""

    api_status = {"not_bookable": 400, "not_allowed": 403, "too_many_services": 422, "rate_limited": 429}
