"""GET /api/v1/halls/{hall}/stats: the supervisor's report as JSON; mounted in hall/api_v1.py."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from hall.api import AUTH_ERRORS, REPORTS_AUTH, ApiError, IsoDate, get_hall_for_staff
from reports import report
from reports.figures import Report, Row
from reports.periods import PeriodError, parse_period
from reports.stats import Summary

SUPERVISORS_ONLY = _("Only the hall's supervisors can read its statistics.")

router = Router(tags=["supervisor"])


class StatsQuery(Schema):
    date: IsoDate | None = None
    first: IsoDate | None = Field(None, alias="from")
    last: IsoDate | None = Field(None, alias="to")


class SummaryOut(Schema):
    mean: float | None
    p50: float | None
    p90: float | None


class GroupOut(Schema):
    id: int
    name: str
    issued: int
    served: int
    no_show: int
    materials_missing: int
    wait: SummaryOut
    handling: SummaryOut
    sla_percent: float | None
    open_minutes: float | None
    idle_minutes: float | None
    ratings: int
    rating_average: float | None
    repeat_visit_percent: float | None


class StatsOut(Schema):
    hall: str
    first: dt.date = Field(alias="from")
    last: dt.date = Field(alias="to")
    target_minutes: int
    issued: int
    served: int
    no_show: int
    cancelled: int
    appointments: int
    walk_ins: int
    green_channel: int
    after_hours: int
    rebooked: int
    day_ended: int = Field(description="Tickets still open when the day ended, ended by the system.")
    materials_missing: int
    by_service: list[GroupOut]
    by_counter: list[GroupOut]
    by_staff: list[GroupOut]
    wait: SummaryOut
    handling: SummaryOut
    sla_percent: float | None
    ratings: int
    rating_average: float | None


def _r(value, digits=1):
    return None if value is None else round(value, digits)


def _summary(summary: Summary) -> dict:
    return summary.as_dict()


def group_out(row: Row) -> dict:
    return {
        "id": row.key,
        "name": row.label,
        "issued": row.issued,
        "served": row.served,
        "no_show": row.no_show,
        "materials_missing": row.materials_missing,
        "wait": _summary(row.wait),
        "handling": _summary(row.handling),
        "sla_percent": _r(row.sla_percent),
        "open_minutes": _r(row.open_minutes),
        "idle_minutes": _r(row.idle_minutes),
        "ratings": row.ratings.count,
        "rating_average": _r(row.ratings.average, 2),
        "repeat_visit_percent": _r(row.repeat_percent),
    }


def stats_out(result: Report) -> dict:
    total = result.total
    return {
        "hall": result.hall.slug,
        "from": result.first,
        "to": result.last,
        "target_minutes": result.target,
        "issued": result.issued,
        "served": result.served,
        "no_show": result.no_show,
        "cancelled": result.cancelled,
        "appointments": result.appointments,
        "walk_ins": result.walk_ins,
        "green_channel": result.green_channel,
        "after_hours": result.after_hours,
        "rebooked": result.rebooked,
        "day_ended": result.day_ended,
        "materials_missing": total.materials_missing,
        "by_service": [group_out(r) for r in result.by_service],
        "by_counter": [group_out(r) for r in result.by_counter],
        "by_staff": [group_out(r) for r in result.by_staff],
        "wait": _summary(total.wait),
        "handling": _summary(total.handling),
        "sla_percent": _r(total.sla_percent),
        "ratings": total.ratings.count,
        "rating_average": _r(total.ratings.average, 2),
    }


@router.get(
    "/halls/{hall}/stats",
    response={200: StatsOut, **AUTH_ERRORS},
    auth=REPORTS_AUTH,
    by_alias=True,
)
def hall_stats(request, hall: str, query: Query[StatsQuery]):
    """A day (`date`) or a range (`from`, `to`, both included; at most 366 days) of the caller's hall:
    counts, and waits and handling times in minutes. Supervisors of the hall only."""
    principal = request.auth
    hall_obj = get_hall_for_staff(principal, hall)
    staff = getattr(principal.user, "staff", None)
    if staff is None or staff.hall_id != hall_obj.pk or not staff.is_supervisor:
        raise ApiError(403, "forbidden", SUPERVISORS_ONLY)
    params = {
        name: value.isoformat()
        for name, value in (("date", query.date), ("from", query.first), ("to", query.last))
        if value is not None
    }
    try:
        first, last = parse_period(params, hall_obj.local_date(timezone.now()))
    except PeriodError as error:
        raise ApiError(422, "invalid", error.message) from None
    return stats_out(report.build(hall_obj, first, last, compare=False))
