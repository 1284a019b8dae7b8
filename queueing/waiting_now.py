"""What a citizen deciding whether to set out is told (issue 19): for each service of the hall, the people
waiting now and the wait of a walk-in who took a ticket now, as the live estimate reckons it
(queueing.estimates); the hall's public page and GET /api/v1/halls/{hall}/waiting show it, as ZMS publishes
its waiting times."""

import dataclasses
import datetime as dt
from collections import Counter

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from hall import calendar
from hall.cache import cached
from hall.models import Hall, Service
from queueing import estimates, forecast, hours
from queueing.models import WalkInQuota
from queueing.services import rules_for
from queueing.walkins import walk_in_possible

NO_BASIS = _("No estimate now: no window for this service is open")
NO_WAIT = _("No wait now")
NO_WALK_INS = _("No walk-in tickets now")


@dataclasses.dataclass(frozen=True)
class ServiceWait:
    service: Service
    waiting: int
    estimate: forecast.Estimate  # minutes None: no basis (no window open for the service)
    walk_ins: bool  # a walk-in ticket can be had now

    @property
    def no_basis(self) -> bool:
        return self.estimate.minutes is None


def _walk_ins(
    hall: Hall,
    services: list[Service],
    now: dt.datetime,
    schedule: calendar.Schedule,
    waits: dict[int, forecast.Estimate],
) -> dict[int, bool]:
    """Whether the kiosk would issue a walk-in ticket of each service now: its own checks (queueing.hours
    with the same walk-in estimate, the quotas), with the hall's schedule, rules and quotas read once."""
    if not hours.door(schedule, now).is_open:
        return dict.fromkeys((s.pk for s in services), False)
    rules = rules_for(hall)
    quotas = {q.service_id: q for q in WalkInQuota.objects.filter(service__in=services)}
    result = {}
    for service in services:
        quota = quotas.get(service.pk) or WalkInQuota(service=service)
        refusal = hours.walk_in_refusal(
            hall=hall,
            service=service,
            now=now,
            rules=rules,
            quota=quota,
            estimate=lambda pk=service.pk: waits[pk],
            schedule=schedule,
        )
        result[service.pk] = refusal is None and walk_in_possible(service=service, now=now, quota=quota)
    return result


def hall_waiting(hall: Hall, now: dt.datetime | None = None) -> list[ServiceWait]:
    """Each active service of the hall in its order, with the people waiting and a walk-in's wait now:
    one reading of the hall (estimates.hall_now) for every service's figures and cut-off."""
    now = now or timezone.now()
    today = hall.local_date(now)
    schedule = hours.schedule_from(hall, today)
    snapshot = estimates.hall_now(hall, today, now, rules_for(hall).appointments_per_walk_in, schedule)
    counts = Counter(w.service_id for w in snapshot.waiting)
    services = list(hall.services.active())
    waits = {service.pk: estimates.walk_in_estimate(snapshot, service.pk) for service in services}
    walk_ins = _walk_ins(hall, services, now, schedule, waits)
    return [
        ServiceWait(service, counts[service.pk], waits[service.pk], walk_ins[service.pk])
        for service in services
    ]


def figures(hall: Hall, now: dt.datetime | None = None) -> dict:
    """The hall's waiting figures as the API gives them, in the active language."""
    now = now or timezone.now()
    return {
        "hall": hall.slug,
        "at": timezone.localtime(now, hall.tz),
        "services": [_service_out(row) for row in hall_waiting(hall, now)],
    }


def kept_figures(hall: Hall) -> dict:
    """figures(), kept for WAITING_CACHE_SECONDS (two in production) like the board: every phone watching
    the hall asks again after each ticket. Without Redis each read computes its answer (hall.cache)."""
    key = f"waiting:{hall.slug}:{translation.get_language()}"
    return cached(key, settings.WAITING_CACHE_SECONDS, lambda: figures(hall))


def _service_out(row: ServiceWait) -> dict:
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


def phrases() -> dict:
    """What static/js/waiting.js writes when the figures change, in the page's language."""
    return {
        "minutes": _("about %(minutes)s minutes"),
        "range": _("about %(low)s–%(high)s minutes"),
        "one_minute": _("about 1 minute"),
        "no_basis": NO_BASIS,
        "no_wait": NO_WAIT,
        "no_walk_ins": NO_WALK_INS,
    }


def home_section(request, hall: Hall) -> str:
    """The "Waiting now" section of the hall's public page (hall.home_sections): the same figures as the
    API, so that the page and the phones polling it cost one computation per moment."""
    shown = kept_figures(hall)
    context = {"hall": hall, "figures": shown, "at": shown["at"].strftime("%H:%M"), "phrases": phrases()}
    return render_to_string("queueing/_waiting_now.html", context, request)
