"""JSON API v1 routes for availability and bookings, mounted on the one NinjaAPI in hall/api_v1.py: the free
times (availability.py), the citizen's bookings (bookings.py) and the hall's bookings for staff (staff.py);
throttles.py holds the per-address rate limits of the public routes.

OpenAPI operationIds stay `appointments_api_<view>` (set on each route), as when the routes were one module:
clients generated from the schema keep their method names."""

from ninja import Router

from appointments.api import availability, bookings, staff
from appointments.api.throttles import READS

router = Router()
for part in (availability, bookings, staff):
    router.add_router("", part.router)

__all__ = ["READS", "router"]
