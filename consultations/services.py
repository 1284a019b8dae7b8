"""Logging consultations and moving call-backs through their states. Each transition lives in one function
that locks the call-back, checks its state and records an event (who, when, from → to)."""

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations import messages, timing
from consultations.models import (
    AttemptResult,
    CallAttempt,
    CallBack,
    CallBackEvent,
    CallBackState,
    Channel,
    Consultation,
    Result,
)
from hall.errors import DomainError
from hall.models import Hall, Service, Staff
from notifications import services as notify

log = logging.getLogger(__name__)

NOT_OPEN = _("This call-back is no longer open; it is %(state)s.")
NOT_FINISHED = _("Only an answered or unreachable call-back can be closed; this one is %(state)s.")
TOO_FEW_ATTEMPTS = _(
    "Try at least %(needed)s times before giving up on a call-back (%(made)s attempts so far)."
)
NOT_OWNER = _("Only the owner of this call-back or a supervisor can do that.")
SUPERVISORS_ONLY = _("Only a supervisor can do that.")
OWNER_NOT_IN_HALL = _("Choose a staff member of this hall.")
SAME_OWNER = _("This staff member already owns the call-back.")
MOBILE_NEEDED = _("Enter the citizen's mobile number so that the call-back can be made.")
SERVICE_NOT_IN_HALL = _("Choose a service of this hall, or a general question.")
NO_STAFF = _("This hall cannot take questions online at the moment. Please call the hall.")
TIME_PASSED = _("That time has begun or passed. Choose another time.")

# The outbox kind of the text that confirms an online question (subject "call_back").
KIND_RECEIVED = "consultation_received"
# How many half-days (mornings and afternoons of working days) a citizen may choose from.
CALL_BACK_CHOICES = 6


class ConsultationError(DomainError):
    """A refused consultation or call-back change, with a message staff or citizens can act on."""


def _staff(user, hall: Hall) -> Staff | None:
    return Staff.objects.filter(user_id=getattr(user, "pk", None), hall=hall).first()


def _is_supervisor(user, hall: Hall) -> bool:
    staff = _staff(user, hall)
    return staff is not None and staff.is_supervisor


def _record(call_back: CallBack, *, user, now, from_state: str, from_owner=None, to_owner=None) -> None:
    CallBackEvent.objects.create(
        call_back=call_back,
        at=now,
        by=user,
        from_state=from_state,
        to_state=call_back.state,
        from_owner=from_owner,
        to_owner=to_owner,
    )
    log.info(
        "call-back %s: %s -> %s by user %s",
        call_back.pk,
        from_state or "-",
        call_back.state,
        getattr(user, "pk", None),
    )


def _locked(call_back: CallBack) -> CallBack:
    return CallBack.objects.select_for_update(of=("self",)).select_related("hall").get(pk=call_back.pk)


@transaction.atomic
def log_consultation(
    *,
    hall: Hall,
    user,
    channel: str,
    service: Service | None,
    topic: str,
    result: str,
    mobile=None,
    name: str = "",
    now: dt.datetime | None = None,
) -> Consultation:
    """Record a consultation; one that needs a call back queues a call-back owned by `user` (首问责任) for
    the hall's next working morning."""
    now = now or timezone.now()
    if service is not None and service.hall_id != hall.pk:
        raise ConsultationError("service_not_in_hall", SERVICE_NOT_IN_HALL)
    if result == Result.CALL_BACK and not mobile:
        raise ConsultationError("mobile_needed", MOBILE_NEEDED)
    consultation = Consultation.objects.create(
        hall=hall, taken_by=user, at=now, channel=channel, service=service, topic=topic.strip(), result=result
    )
    if result == Result.CALL_BACK:
        _open_call_back(consultation, owner=user, by=user, mobile=mobile, name=name, now=now)
    return consultation


def _open_call_back(consultation, *, owner, by, mobile, name="", now, due=None) -> CallBack:
    """The call-back of a consultation, owned by `owner` (首问责任), due at the hall's next working morning
    unless `due` says otherwise; its first event records who opened it (None: the citizen, online)."""
    hall = consultation.hall
    due = due or timing.call_back_due(
        hall.schedule(), now, working_days=settings.CALLBACK_DEADLINE_WORKING_DAYS
    )
    call_back = CallBack.objects.create(
        consultation=consultation,
        hall=hall,
        owner=owner,
        mobile=mobile,
        name=name.strip(),
        due_at=due.at,
        deadline=due.deadline,
    )
    _record(call_back, user=by, now=now, from_state="", to_owner=owner)
    return call_back


def _require_owner_or_supervisor(call_back: CallBack, user) -> None:
    if call_back.owner_id != user.pk and not _is_supervisor(user, call_back.hall):
        raise ConsultationError("not_owner", NOT_OWNER)


def _require_open(call_back: CallBack) -> None:
    if call_back.state != CallBackState.OPEN:
        raise ConsultationError("not_open", NOT_OPEN % {"state": call_back.get_state_display()})


@transaction.atomic
def record_attempt(*, call_back: CallBack, user, result: str, now: dt.datetime | None = None) -> CallAttempt:
    """One call made; a call that reached the citizen and answered the question makes the call-back done."""
    now = now or timezone.now()
    call_back = _locked(call_back)
    _require_open(call_back)
    _require_owner_or_supervisor(call_back, user)
    attempt = CallAttempt.objects.create(call_back=call_back, at=now, by=user, result=result)
    if result == AttemptResult.ANSWERED:
        call_back.state, call_back.done_at = CallBackState.DONE, now
        call_back.save(update_fields=["state", "done_at"])
        _record(call_back, user=user, now=now, from_state=CallBackState.OPEN)
    return attempt


@transaction.atomic
def mark_unreachable(*, call_back: CallBack, user, now: dt.datetime | None = None) -> CallBack:
    """Give up after enough failed attempts (or one that found the number wrong)."""
    now = now or timezone.now()
    call_back = _locked(call_back)
    _require_open(call_back)
    _require_owner_or_supervisor(call_back, user)
    attempts = list(call_back.attempts.values_list("result", flat=True))
    needed = settings.CALLBACK_ATTEMPTS_BEFORE_UNREACHABLE
    if len(attempts) < needed and AttemptResult.WRONG_NUMBER not in attempts:
        raise ConsultationError(
            "too_few_attempts", TOO_FEW_ATTEMPTS % {"needed": needed, "made": len(attempts)}
        )
    call_back.state, call_back.unreachable_at = CallBackState.UNREACHABLE, now
    call_back.save(update_fields=["state", "unreachable_at"])
    _record(call_back, user=user, now=now, from_state=CallBackState.OPEN)
    return call_back


@transaction.atomic
def close_call_back(*, call_back: CallBack, user, now: dt.datetime | None = None) -> CallBack:
    """A supervisor closes an answered or unreachable call-back once reviewed."""
    now = now or timezone.now()
    call_back = _locked(call_back)
    if call_back.state not in (CallBackState.DONE, CallBackState.UNREACHABLE):
        raise ConsultationError("not_finished", NOT_FINISHED % {"state": call_back.get_state_display()})
    if not _is_supervisor(user, call_back.hall):
        raise ConsultationError("supervisors_only", SUPERVISORS_ONLY)
    from_state = call_back.state
    call_back.state = CallBackState.CLOSED
    call_back.save(update_fields=["state"])
    _record(call_back, user=user, now=now, from_state=from_state)
    return call_back


@transaction.atomic
def reassign_call_back(*, call_back: CallBack, user, owner, now: dt.datetime | None = None) -> CallBack:
    """A supervisor hands an open call-back to another staff member of the hall; the state stays open."""
    now = now or timezone.now()
    call_back = _locked(call_back)
    _require_open(call_back)
    if not _is_supervisor(user, call_back.hall):
        raise ConsultationError("supervisors_only", SUPERVISORS_ONLY)
    if _staff(owner, call_back.hall) is None:
        raise ConsultationError("owner_not_in_hall", OWNER_NOT_IN_HALL)
    if call_back.owner_id == owner.pk:
        raise ConsultationError("same_owner", SAME_OWNER)
    previous = call_back.owner
    call_back.owner = owner
    call_back.save(update_fields=["owner"])
    _record(call_back, user=user, now=now, from_state=CallBackState.OPEN, from_owner=previous, to_owner=owner)
    return call_back


def call_back_times(*, hall: Hall, now: dt.datetime) -> list[timing.HalfDay]:
    """The half-days a citizen asking online may choose for the call back."""
    return timing.half_days(hall.schedule(), now, count=CALL_BACK_CHOICES)


def _online_owner(hall: Hall):
    """Nobody took an online question first: it goes to the hall's active staff member with the fewest open
    call-backs (the earliest account on a tie); a supervisor can hand it over."""
    return (
        get_user_model()
        .objects.filter(staff__hall=hall, is_active=True)
        .annotate(open_call_backs=Count("call_backs", filter=Q(call_backs__state=CallBackState.OPEN)))
        .order_by("open_call_backs", "pk")
        .first()
    )


@transaction.atomic
def ask_online(
    *,
    hall: Hall,
    service: Service | None,
    question: str,
    mobile,
    half_day: timing.HalfDay | None,
    language: str,
    now: dt.datetime | None = None,
) -> CallBack:
    """A citizen's question from the web (网上咨询): a consultation with a call-back owned by one staff
    member (首问责任), due in the half-day the citizen chose (else the next working morning), confirmed by a
    text message."""
    now = now or timezone.now()
    if service is not None and service.hall_id != hall.pk:
        raise ConsultationError("service_not_in_hall", SERVICE_NOT_IN_HALL)
    if half_day is not None and half_day.start <= now:
        raise ConsultationError("time_passed", TIME_PASSED)
    owner = _online_owner(hall)
    if owner is None:
        raise ConsultationError("no_staff", NO_STAFF)
    consultation = Consultation.objects.create(
        hall=hall,
        taken_by=None,
        at=now,
        channel=Channel.ONLINE,
        service=service,
        topic=question.strip(),
        result=Result.CALL_BACK,
    )
    due = timing.Due(half_day.start, half_day.end) if half_day else None
    call_back = _open_call_back(consultation, owner=owner, by=None, mobile=mobile, now=now, due=due)
    notify.record(
        hall=hall,
        kind=KIND_RECEIVED,
        subject_type="call_back",
        subject_id=call_back.pk,
        phone=mobile,
        language=language,
        render=lambda: messages.received_text(call_back),
        urgent=True,
        now=now,
    )
    log.info("online consultation %s: call-back %s for user %s", consultation.pk, call_back.pk, owner.pk)
    return call_back
