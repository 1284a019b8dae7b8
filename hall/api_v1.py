"""The assembled JSON API v1: the one place where the apps' routers join the NinjaAPI of hall/api.py."""

from appointments import api as appointments_api
from hall import api as hall_api
from hall.errors import DomainError
from queueing import api as queueing_api
from reports import api as reports_api

api = hall_api.api
api.add_router("", hall_api.router, throttle=appointments_api.READS)
api.add_router("", appointments_api.router)
api.add_router("", queueing_api.router)
api.add_router("", reports_api.router)


def domain_error(request, exc: DomainError):
    """Every app's refusal (BookingError, QueueError, ...) as the API's error body, in one place."""
    return hall_api.error_response(request, exc.status, exc.code, exc.message, exc.fields)


api.add_exception_handler(DomainError, domain_error)
