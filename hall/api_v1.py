"""The assembled JSON API v1: the one place where the apps' routers join the NinjaAPI of hall/api.py."""

from appointments import api as appointments_api
from appointments.services import BookingError
from hall import api as hall_api
from queueing import api as queueing_api
from queueing.services import QueueError
from reports import api as reports_api

api = hall_api.api
api.add_router("", hall_api.router, throttle=appointments_api.READS)
api.add_router("", appointments_api.router)
api.add_router("", queueing_api.router)
api.add_router("", reports_api.router)
api.add_exception_handler(BookingError, appointments_api.booking_error)
api.add_exception_handler(QueueError, queueing_api.queue_error)
