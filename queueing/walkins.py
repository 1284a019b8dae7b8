"""Walk-in tickets: the one way every walk-in ticket is issued (the kiosk, 导办 at the door, the API), within
the hall's hours, the service's last-ticket time and its quotas; one open ticket a person."""

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hall import calendar, rows
from hall.models import Hall, Service
from hall.privacy import hash_id_number, hash_phone, validate_id_number
from queueing import estimates, hours
from queueing.models import Ticket, TicketKind, WalkInQuota
from queueing.services import (
    DUPLICATE_TICKET,
    HOUR_QUOTA_EXHAUSTED,
    QUOTA_EXHAUSTED,
    SERVICE_CLOSED,
    Actor,
    QueueError,
    issue,
    next_sequence,
    rules_for,
)


def walk_in_possible(
    *, service: Service, now: dt.datetime | None = None, quota: WalkInQuota | None = None
) -> bool:
    """Whether a walk-in ticket for `service` can be had now (active, quotas not used up): worth offering.
    `quota`: the service's, when the caller has read it already."""
    now = now or timezone.now()
    if not service.active:
        return False
    hall = service.hall
    quota = quota or WalkInQuota.objects.filter(service=service).first() or WalkInQuota(service=service)
    return quota_refusal(hall, service, quota, hall.local_date(now), now) is None


def _hour_start(now: dt.datetime, hall: Hall) -> dt.datetime:
    return timezone.localtime(now, hall.tz).replace(minute=0, second=0, microsecond=0)


_ISSUED = (
    "SELECT COUNT(*), COUNT(CASE WHEN issued_at >= %s THEN 1 END) FROM queueing_ticket "  # noqa: S608
    f"WHERE hall_id = %s AND date = %s AND service_id = %s AND kind = '{TicketKind.WALK_IN}'"
)


class WalkInsIssued(NamedTuple):
    """How many of a service's walk-in tickets were issued today and in this clock hour."""

    day: int
    hour: int


def walk_ins_issued(hall: Hall, service: Service, today: dt.date, now: dt.datetime) -> WalkInsIssued:
    """The service's walk-in tickets issued today and in this clock hour, in one count (written out: the
    ORM's statement cost more to build than to run)."""
    ((day, hour),) = rows.fetch(_ISSUED, [_hour_start(now, hall), hall.pk, today, service.pk])
    return WalkInsIssued(day, hour)


def quota_refusal(
    hall: Hall, service: Service, quota: WalkInQuota, today: dt.date, now: dt.datetime
) -> tuple[str, str] | None:
    """The service's daily or hourly walk-in quota used up: the refusal (code, message); None while one
    more walk-in ticket is within both. The one statement of the quota rule, for the offer and the issue."""
    issued = walk_ins_issued(hall, service, today, now)
    if issued.day >= quota.per_day:
        return "quota_exhausted", QUOTA_EXHAUSTED
    if issued.hour >= quota.per_hour:
        next_hour = (_hour_start(now, hall) + dt.timedelta(hours=1)).strftime("%H:%M")
        return "quota_exhausted", HOUR_QUOTA_EXHAUSTED % {"time": next_hour}
    return None


@dataclass(frozen=True)
class WalkIn:
    """A walk-in ticket just issued, with the reads of the hall its issuing made: `read`, the hall as the
    cut-off's estimate read it just before the ticket (None when it did not), and `hours`, the hall's hours.
    The issuing request reckons the ticket's place and wait from them (progress.ticket_progress's `read`
    and `hours`), not from reads of the hall again (issue 20 item 7)."""

    ticket: Ticket
    read: estimates.Snapshot | None
    hours: calendar.Schedule


def issue_walk_in(
    *,
    hall: Hall,
    service: Service,
    actor: Actor,
    now: dt.datetime | None = None,
    green_channel: str = "",
    green_note: str = "",
    id_number: str = "",
    phone=None,
    language: str = "zh-hans",
) -> WalkIn:
    """A walk-in ticket while the hall is open and before the service's last-ticket time (queueing.hours),
    within the service's daily and hourly quotas; one open ticket a person. Every way of issuing one (the
    kiosk, 导办 at the door, the API) comes through here. Returns the ticket (`.ticket`) with the reads of the
    hall its issuing made (`WalkIn`), for a caller that shows the ticket's place and wait (the API)."""
    now = now or timezone.now()
    if service.hall_id != hall.pk or not service.active:
        raise QueueError("not_found", SERVICE_CLOSED)
    try:
        id_hash = hash_id_number(validate_id_number(id_number, today=now.date())) if id_number else ""
    except ValidationError as error:
        raise QueueError("invalid_id_number", error.messages[0]) from None
    phone_hash = hash_phone(phone) if phone else ""
    today = hall.local_date(now)
    quota = WalkInQuota.objects.filter(service=service).first() or WalkInQuota(service=service)
    rules = rules_for(hall)
    schedule = hours.schedule_from(hall, today)  # read before the lock: issuing does not change it
    read: list[estimates.Snapshot] = []

    def estimate():
        read.append(estimates.hall_now(hall, today, now, rules.appointments_per_walk_in, schedule))
        return estimates.walk_in_estimate(read[-1], service.pk)

    with transaction.atomic():
        sequence = next_sequence(hall, service, today)  # serialises this service's issuing
        refusal = hours.walk_in_refusal(
            hall=hall,
            service=service,
            now=now,
            rules=rules,
            quota=quota,
            estimate=estimate,
            schedule=schedule,
        )
        if refusal:
            raise QueueError(*refusal)
        if refusal := quota_refusal(hall, service, quota, today, now):
            raise QueueError(*refusal)
        for field, value in (("id_hash", id_hash), ("phone_hash", phone_hash)):
            if value:
                held = (
                    Ticket.objects.today(hall, today).open().filter(service=service, **{field: value}).first()
                )
                if held:
                    raise QueueError(
                        "duplicate_ticket", DUPLICATE_TICKET % {"number": held.number}, ticket=held
                    )
        ticket = issue(
            hall=hall,
            service=service,
            kind=TicketKind.WALK_IN,
            actor=actor,
            now=now,
            sequence=sequence,
            green_channel=green_channel,
            green_note=green_note if green_channel else "",
            id_hash=id_hash,
            phone=phone or "",
            phone_hash=phone_hash,
            language=language,
        )
    return WalkIn(ticket, read[-1] if read else None, schedule)
