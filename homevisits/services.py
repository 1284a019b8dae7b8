"""Home visit flows. Each transition lives in exactly one function here, which locks the visit, checks its
current state first and records the change (who, when, from → to) with the message to the citizen."""

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import availability
from hall.errors import DomainError
from hall.models import Counter, Staff
from hall.privacy import hash_id_number, mask_id_number, validate_id_number
from homevisits import texts
from homevisits.models import HomeVisit, HomeVisitEvent, VisitState
from notifications import services as notify
from notifications.models import Kind

log = logging.getLogger(__name__)

NOT_OFFERED = _("This service cannot be done by a home visit.")
NOT_PENDING = _(
    "Only a request that is still waiting for a decision can be approved or declined; this one is %(state)s."
)
NOT_CANCELLABLE = _("This visit can no longer be cancelled: it is %(state)s.")
NOT_SCHEDULED = _("An outcome can only be recorded for a scheduled visit; this one is %(state)s.")
REASON_REQUIRED = _("Give the reason: the citizen is told it.")
TWO_STAFF = _("Choose two different staff members of this hall.")
COUNTER_NOT_IN_HALL = _("Choose only windows of this hall.")
START_PAST = _("The visit must start in the future.")
DURATION_RANGE = _("A visit, travel included, takes from %(min)s to %(max)s minutes.")
WINDOWS_FULL = _(
    "The windows left open cannot serve the citizens already booked for %(windows)s. Leave fewer windows "
    "closed, or choose another time."
)
MISSING_REQUIRED = _("Tick what is missing, or write it in the box.")
STAFF_BUSY = _("%(name)s is already out on another home visit at that time.")

MIN_MINUTES, MAX_MINUTES = 30, 8 * 60


class VisitError(DomainError):
    """A refused request or transition, with a message to show as it is."""


@dataclass(frozen=True)
class Request:
    person_name: str
    id_number: str
    requester_name: str
    relationship: str
    phone: object  # phonenumbers.PhoneNumber
    reason: str
    address: str
    preferred_dates: tuple[dt.date, ...]
    reason_note: str = ""
    contact_notes: str = ""
    language: str = "zh-hans"


@dataclass(frozen=True)
class Actor:
    source: str  # web, staff, system
    user: object = None


def status_url(visit: HomeVisit) -> str:
    return settings.SITE_URL + reverse("homevisits:status", args=[visit.token])


def _record(visit: HomeVisit, from_state: str, actor: Actor, now: dt.datetime, note: str = "") -> None:
    HomeVisitEvent.objects.create(
        visit=visit,
        from_state=from_state,
        to_state=visit.state,
        note=note[:300],
        actor=actor.user if getattr(actor.user, "is_authenticated", False) else None,
        source=actor.source,
        at=now,
    )


def _tell(visit: HomeVisit, step: str, render) -> None:
    """Record the message for this step in the outbox, in the citizen's language, with this transaction."""
    notify.record(
        hall=visit.hall,
        kind=Kind.HOME_VISIT,
        subject_type="home_visit",
        subject_id=visit.pk,
        key=step,
        phone=visit.phone,
        language=visit.language,
        render=render,
    )


def _locked(visit: HomeVisit) -> HomeVisit:
    return (
        HomeVisit.objects.select_for_update(of=("self",)).select_related("hall", "service").get(pk=visit.pk)
    )


def _move(visit: HomeVisit, to_state: str, actor: Actor, now: dt.datetime, note: str = "") -> None:
    from_state = visit.state
    visit.state = to_state
    visit.save(update_fields=["state", "start", "end", "decision_note", "missing_note", "finished_at"])
    _record(visit, from_state, actor, now, note)
    log.info("home visit %s: %s -> %s by %s", visit.pk, from_state, to_state, actor.source)


def _refuse(code: str, message, visit: HomeVisit) -> VisitError:
    return VisitError(code, message % {"state": visit.get_state_display()})


def request_visit(*, service, request: Request, now: dt.datetime | None = None) -> HomeVisit:
    """A citizen or relative asks for a visit: state requested; they get the status link."""
    now = now or timezone.now()
    if not (service.home_visit and service.active):
        raise VisitError("not_offered", NOT_OFFERED)
    id_number = validate_id_number(request.id_number, today=now.date())
    dates = list(request.preferred_dates) + [None, None, None]
    with transaction.atomic():
        visit = HomeVisit.objects.create(
            token=secrets.token_urlsafe(24),
            hall=service.hall,
            service=service,
            person_name=request.person_name.strip(),
            id_hash=hash_id_number(id_number),
            id_masked=mask_id_number(id_number),
            requester_name=request.requester_name.strip(),
            relationship=request.relationship.strip(),
            phone=request.phone,
            reason=request.reason,
            reason_note=request.reason_note.strip(),
            address=request.address.strip(),
            preferred_date_1=dates[0],
            preferred_date_2=dates[1],
            preferred_date_3=dates[2],
            contact_notes=request.contact_notes.strip(),
            language=request.language,
            created_at=now,
        )
        _record(visit, "", Actor("web"), now)
        _tell(visit, VisitState.REQUESTED, lambda: texts.requested(visit, url=status_url(visit)))
    return visit


def _check_schedule(visit, start, minutes, staff, counters, now) -> None:
    if start <= now:
        raise VisitError("start_past", START_PAST, field="date")
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise VisitError(
            "duration", DURATION_RANGE % {"min": MIN_MINUTES, "max": MAX_MINUTES}, field="minutes"
        )
    user_ids = {u.pk for u in staff}
    if len(staff) != 2 or len(user_ids) != 2:
        raise VisitError("two_staff", TWO_STAFF, field="staff")
    if Staff.objects.filter(hall=visit.hall, user_id__in=user_ids).count() != 2:
        raise VisitError("two_staff", TWO_STAFF, field="staff")
    if any(c.hall_id != visit.hall_id for c in counters):
        raise VisitError("counter", COUNTER_NOT_IN_HALL, field="counters")


def _busy_staff(visit: HomeVisit, staff: list, start: dt.datetime, end: dt.datetime):
    """A chosen staff member already scheduled for another visit that overlaps, or None. (Two supervisors
    scheduling the same person at the same moment could both pass; a hall has one or two supervisors.)"""
    clash = (
        HomeVisit.objects.filter(state=VisitState.SCHEDULED, start__lt=end, end__gt=start)
        .exclude(pk=visit.pk)
        .filter(staff__in=staff)
    )
    busy_ids = set(clash.values_list("staff", flat=True))
    return next((member for member in staff if member.pk in busy_ids), None)


def _conflict_text(visit: HomeVisit, slots) -> str:
    tz = visit.hall.tz
    times = [(s.service.name, timezone.localtime(s.start, tz), timezone.localtime(s.end, tz)) for s in slots]
    return "; ".join(f"{name} {start:%m-%d %H:%M}–{end:%H:%M}" for name, start, end in times)


def schedule_visit(
    *,
    visit: HomeVisit,
    start: dt.datetime,
    minutes: int,
    staff: list,
    counters: list[Counter],
    actor: Actor,
    now: dt.datetime | None = None,
) -> HomeVisit:
    """requested → scheduled: a block for two staff members, travel included, that takes `counters` out of
    the hall's slots for its length. Refused, with the windows named, if that would drop booked citizens."""
    now = now or timezone.now()
    _check_schedule(visit, start, minutes, staff, counters, now)
    end = start + dt.timedelta(minutes=minutes)
    with transaction.atomic():
        visit = _locked(visit)
        if not visit.can_move_to(VisitState.SCHEDULED):
            raise _refuse("not_pending", NOT_PENDING, visit)
        busy = _busy_staff(visit, staff, start, end)
        if busy is not None:
            raise VisitError(
                "staff_busy", STAFF_BUSY % {"name": busy.get_full_name() or busy.username}, "staff"
            )
        try:
            absences = availability.take_counters_away(
                hall=visit.hall,
                counters=list(counters),
                start=start,
                end=end,
                reason=f"home visit {visit.pk}",
            )
        except availability.CapacityConflict as conflict:
            raise VisitError(
                "windows_full",
                WINDOWS_FULL % {"windows": _conflict_text(visit, conflict.slots)},
                field="counters",
            ) from None
        visit.start, visit.end = start, end
        visit.staff.set(staff)
        visit.absences.set(absences)
        _move(visit, VisitState.SCHEDULED, actor, now, note=f"counters {sorted(c.number for c in counters)}")
        _tell(visit, VisitState.SCHEDULED, lambda: texts.scheduled(visit, url=status_url(visit)))
    return visit


def decline_visit(
    *, visit: HomeVisit, reason: str, actor: Actor, now: dt.datetime | None = None
) -> HomeVisit:
    """requested → declined, with the reason the citizen is told."""
    now = now or timezone.now()
    if not reason.strip():
        raise VisitError("reason_required", REASON_REQUIRED, field="reason")
    with transaction.atomic():
        visit = _locked(visit)
        if not visit.can_move_to(VisitState.DECLINED):
            raise _refuse("not_pending", NOT_PENDING, visit)
        visit.decision_note = reason.strip()[:300]
        visit.finished_at = now
        _move(visit, VisitState.DECLINED, actor, now, note=visit.decision_note)
        _tell(visit, VisitState.DECLINED, lambda: texts.declined(visit, url=status_url(visit)))
    return visit


def cancel_visit(
    *, visit: HomeVisit, actor: Actor, reason: str = "", now: dt.datetime | None = None
) -> HomeVisit:
    """requested or scheduled → cancelled, by the citizen (status link) or by staff (a reason is required);
    a scheduled visit's counters come back to the hall's slots."""
    now = now or timezone.now()
    if actor.source != "web" and not reason.strip():
        raise VisitError("reason_required", REASON_REQUIRED, field="reason")
    with transaction.atomic():
        visit = _locked(visit)
        if not visit.can_move_to(VisitState.CANCELLED):
            raise _refuse("not_cancellable", NOT_CANCELLABLE, visit)
        availability.bring_counters_back(absences=list(visit.absences.select_related("hall")))
        visit.decision_note = reason.strip()[:300]
        visit.finished_at = now
        _move(visit, VisitState.CANCELLED, actor, now, note=visit.decision_note)
        if actor.source != "web":  # the citizen who cancelled needs no message about it
            _tell(visit, VisitState.CANCELLED, lambda: texts.cancelled(visit, url=status_url(visit)))
    return visit


def record_outcome(
    *,
    visit: HomeVisit,
    done: bool,
    actor: Actor,
    missing=(),
    missing_note: str = "",
    now: dt.datetime | None = None,
) -> HomeVisit:
    """scheduled → done, or → materials missing with everything missing told at once (一次性告知)."""
    now = now or timezone.now()
    missing = list(missing)
    if not done and not missing and not missing_note.strip():
        raise VisitError("missing_required", MISSING_REQUIRED, field="missing")
    to_state = VisitState.DONE if done else VisitState.MATERIALS_MISSING
    with transaction.atomic():
        visit = _locked(visit)
        if not visit.can_move_to(to_state):
            raise _refuse("not_scheduled", NOT_SCHEDULED, visit)
        visit.finished_at = now
        if not done:
            visit.missing.set([m for m in missing if m.service_id == visit.service_id])
            visit.missing_note = missing_note.strip()
        _move(visit, to_state, actor, now)
        if done:
            _tell(visit, VisitState.DONE, lambda: texts.done(visit))
        else:
            _tell(
                visit,
                VisitState.MATERIALS_MISSING,
                lambda: texts.materials_missing(visit, url=status_url(visit)),
            )
    return visit
