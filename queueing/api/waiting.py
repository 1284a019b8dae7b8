"""The people waiting now and a walk-in's estimated wait, per service of a hall: public, for citizens
deciding whether to set out (queueing.waiting_now)."""

import datetime as dt

from ninja import Field, Router, Schema

from appointments.api.throttles import READS
from hall.api import ErrorOut, get_hall
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
    (the live estimate, with its range). Kept briefly: queueing.waiting_now.kept_figures."""
    return waiting_now.kept_figures(get_hall(hall))
