"""The people waiting now and a walk-in's estimated wait, per service of a hall: public, for citizens
deciding whether to set out (queueing.waiting_now)."""

import datetime as dt

from django.conf import settings
from django.utils import timezone, translation
from ninja import Field, Router, Schema

from appointments.api.throttles import READS
from hall.api import ErrorOut, get_hall
from hall.cache import cached
from queueing import waiting_now

router = Router(tags=["queue"])


class ServiceWaitOut(Schema):
    code: str
    name: str = Field(description="In the request's language.")
    waiting: int = Field(description="Tickets of this service waiting now (walk-ins and appointments).")
    estimated_wait_minutes: int | None = Field(
        description="Minutes a walk-in taking a ticket now would likely wait; 0: no wait; null: no basis."
    )
    estimated_wait_low: int | None = Field(description="The estimate's range, low end (null: no basis).")
    estimated_wait_high: int | None = Field(description="The estimate's range, high end (null: no basis).")
    no_basis: bool = Field(description="No window for this service is open: nothing to estimate from.")
    walk_ins_now: bool = Field(description="A walk-in ticket for this service can be taken now.")


class HallWaitingOut(Schema):
    hall: str
    at: dt.datetime = Field(description="When these figures were read.")
    services: list[ServiceWaitOut]


@router.get(
    "/halls/{hall}/waiting",
    response={200: HallWaitingOut, 404: ErrorOut, 429: ErrorOut},
    throttle=READS,
    operation_id="queueing_api_hall_waiting",
)
def hall_waiting(request, hall: str):
    """Per service: the people waiting now, and how long a walk-in taking a ticket now would likely wait
    (the live estimate, with its range). Kept for WAITING_CACHE_SECONDS (two in production), like the board:
    every phone watching the hall asks again after each ticket."""
    key = f"waiting:{hall}:{translation.get_language()}"
    return cached(key, settings.WAITING_CACHE_SECONDS, lambda: _waiting(hall))


def _waiting(slug: str) -> dict:
    hall = get_hall(slug)
    now = timezone.now()
    return {
        "hall": hall.slug,
        "at": timezone.localtime(now, hall.tz),
        "services": [_service_out(row) for row in waiting_now.hall_waiting(hall, now)],
    }


def _service_out(row: waiting_now.ServiceWait) -> dict:
    return {
        "code": row.service.code,
        "name": row.service.name,
        "waiting": row.waiting,
        "estimated_wait_minutes": row.estimate.minutes,
        "estimated_wait_low": row.estimate.low,
        "estimated_wait_high": row.estimate.high,
        "no_basis": row.no_basis,
        "walk_ins_now": row.walk_ins,
    }
