"""Sending a hard question up the hall's chain; the answer comes back to whoever took it first (首问责任).

A question is escalated from its call-back (which holds the citizen's mobile): to the first level above the
window, then, if that level cannot answer, to the next. Each step has a named owner (a person or a unit
outside the hall's software, typed by the clerk) and a deadline in working days. Whoever receives the answer
records it on the level's behalf; the first taker then tells the citizen (by phone, or by a text message
through the outbox) and so closes both the escalation and the call-back. Every change is one function that
locks the row, checks the state and writes an EscalationEvent (who, when, from → to, level, owner)."""

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations import escalation_messages, timing
from consultations.models import (
    AttemptResult,
    CallAttempt,
    CallBack,
    CallBackState,
    Escalation,
    EscalationEvent,
    EscalationLevel,
    EscalationState,
    PassedOnBy,
)
from consultations.services import ConsultationError, _is_supervisor, _locked, _record
from hall.models import Hall
from notifications import services as notify
from notifications.models import Notification

log = logging.getLogger(__name__)

# The chain of the Pinghu report: 窗口负责民警 → 治安大队领导 → 市局治安支队. A hall without levels of its
# own gets these the first time it needs them; the admin edits names and days per hall.
DEFAULT_LEVELS = [
    {"rank": 1, "name_zh_hans": "治安大队", "name_en": "Public order brigade", "working_days": 2},
    {
        "rank": 2,
        "name_zh_hans": "市局治安支队",
        "name_en": "City bureau, public order division",
        "working_days": 5,
    },
]

NOT_OPEN_CALL_BACK = _("Only an open call-back can be escalated; this one is %(state)s.")
ALREADY_ESCALATED = _("This question has already been escalated; follow it on its escalation page.")
TOP_OF_CHAIN = _("%(level)s is the top of the chain: there is no level above it.")
NOT_WAITING = _("This escalation is no longer waiting for an answer; it is %(state)s.")
NOTHING_TO_PASS_ON = _("There is no answer to pass on; this escalation is %(state)s.")
NOT_FIRST_TAKER = _("Only the staff member who took the question first, or a supervisor, can do that.")
NO_MOBILE = _("The citizen's mobile is no longer kept: pass the answer on by phone if you have it.")
OWNER_REQUIRED = _("Enter who answers at this level: a person or a unit.")
ANSWER_REQUIRED = _("Enter the answer.")
MOVED_ON = _("This question is already at %(level)s.")

KIND_ESCALATED = "escalation_sent"
KIND_ANSWER = "escalation_answer"


def levels_shown(hall: Hall) -> list[EscalationLevel]:
    """The hall's chain above the window, lowest first, to show: the default chain, unsaved, if the hall
    has none yet (a page read writes nothing; the first escalation saves it)."""
    found = list(EscalationLevel.objects.filter(hall=hall).order_by("rank"))
    return found or [EscalationLevel(hall=hall, **level) for level in DEFAULT_LEVELS]


def levels(hall: Hall) -> list[EscalationLevel]:
    """The hall's chain above the window, lowest first, saved: the default chain if the hall has none yet."""
    found = list(EscalationLevel.objects.filter(hall=hall).order_by("rank"))
    if found:
        return found
    try:
        with transaction.atomic():
            EscalationLevel.objects.bulk_create(
                EscalationLevel(hall=hall, **level) for level in DEFAULT_LEVELS
            )
    except IntegrityError:  # another request created them first
        pass
    return list(EscalationLevel.objects.filter(hall=hall).order_by("rank"))


def next_level(escalation: Escalation) -> EscalationLevel | None:
    return (
        EscalationLevel.objects.filter(hall_id=escalation.hall_id, rank__gt=escalation.level.rank)
        .order_by("rank")
        .first()
    )


def _event(escalation: Escalation, *, user, now, from_state: str, note: str = "") -> None:
    EscalationEvent.objects.create(
        escalation=escalation,
        at=now,
        actor=user,
        from_state=from_state,
        to_state=escalation.state,
        level=escalation.level,
        owner_name=escalation.owner_name,
        deadline=escalation.deadline,
        note=note[:200],
    )
    log.info(
        "escalation %s: %s -> %s at level %s by user %s",
        escalation.pk,
        from_state or "-",
        escalation.state,
        escalation.level.rank,
        getattr(user, "pk", None),
    )


def _locked_escalation(escalation: Escalation) -> Escalation:
    return (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("hall", "level", "consultation")
        .get(pk=escalation.pk)
    )


def _require_first_taker_or_supervisor(escalation: Escalation, user) -> None:
    if escalation.first_taker_id != user.pk and not _is_supervisor(user, escalation.hall):
        raise ConsultationError("not_first_taker", NOT_FIRST_TAKER)


def _place(escalation: Escalation, level: EscalationLevel, owner_name: str, now) -> None:
    """Put the escalation at `level`, with its named owner and its deadline in working days from now."""
    escalation.level, escalation.owner_name, escalation.escalated_at = level, owner_name.strip(), now
    escalation.deadline = timing.answer_deadline(
        escalation.hall.schedule(), now, working_days=level.working_days
    )


def _language_of(call_back: CallBack) -> str:
    """The citizen's language: that of the last text message about the call-back (an online question's
    confirmation is sent in the language the citizen asked in); the hall's default for one taken by phone."""
    found = (
        Notification.objects.for_subject("call_back", call_back.pk).order_by("-pk").values_list("language")
    )
    return next(iter(found[:1]), (settings.LANGUAGE_CODE,))[0]


def _tell_citizen(escalation: Escalation, call_back: CallBack | None, now) -> None:
    """Move an open call-back to the first working morning after the level's deadline, and text the citizen
    where the question went and by when to expect the answer (the promise of a call changed)."""
    if call_back is None or call_back.state != CallBackState.OPEN:
        return
    due = timing.call_back_due(escalation.hall.schedule(), escalation.deadline, working_days=1)
    if due.deadline > call_back.deadline:
        call_back.due_at, call_back.deadline = due.at, due.deadline
        call_back.save(update_fields=["due_at", "deadline"])
    if call_back.mobile:
        level = escalation.level
        notify.record(
            hall=escalation.hall,
            kind=KIND_ESCALATED,
            subject_type="escalation",
            subject_id=escalation.pk,
            key=f"level-{level.rank}",
            phone=call_back.mobile,
            language=_language_of(call_back),
            render=lambda: escalation_messages.escalated_text(call_back, level),
            urgent=False,
            now=now,
        )


@transaction.atomic
def escalate(
    *, call_back: CallBack, user, owner_name: str, question: str = "", now: dt.datetime | None = None
) -> Escalation:
    """Send the question of an open call-back to the first level above the window. The call-back's owner is
    the first taker: the answer comes back to them."""
    now = now or timezone.now()
    call_back = _locked(call_back)
    if call_back.state != CallBackState.OPEN:
        raise ConsultationError("not_open", NOT_OPEN_CALL_BACK % {"state": call_back.get_state_display()})
    if call_back.owner_id != user.pk and not _is_supervisor(user, call_back.hall):
        raise ConsultationError("not_first_taker", NOT_FIRST_TAKER)
    if not owner_name.strip():
        raise ConsultationError("owner_required", OWNER_REQUIRED, field="owner_name")
    consultation = call_back.consultation
    if Escalation.objects.filter(consultation=consultation).exists():
        raise ConsultationError("already_escalated", ALREADY_ESCALATED)
    escalation = Escalation(
        hall=call_back.hall,
        consultation=consultation,
        first_taker=call_back.owner,
        question=(question.strip() or consultation.topic)[:300],
    )
    _place(escalation, levels(call_back.hall)[0], owner_name, now)
    escalation.save()
    _tell_citizen(escalation, call_back, now)
    _event(escalation, user=user, now=now, from_state="")
    return escalation


@transaction.atomic
def escalate_further(
    *,
    escalation: Escalation,
    user,
    owner_name: str,
    to_rank: int | None = None,
    now: dt.datetime | None = None,
) -> Escalation:
    """The level holding the question cannot answer it: send it to the next level with a new owner and a
    new deadline. `to_rank` is the level the person meant (the page's button): a second click, or a
    colleague who was quicker, must not send the question two levels up."""
    now = now or timezone.now()
    escalation = _locked_escalation(escalation)
    if escalation.state != EscalationState.OPEN:
        raise ConsultationError("not_waiting", NOT_WAITING % {"state": escalation.get_state_display()})
    _require_first_taker_or_supervisor(escalation, user)
    level = next_level(escalation)
    if to_rank is not None and to_rank <= escalation.level.rank:
        raise ConsultationError("moved_on", MOVED_ON % {"level": escalation.level.name})
    if level is None:
        raise ConsultationError("top_of_chain", TOP_OF_CHAIN % {"level": escalation.level.name})
    if not owner_name.strip():
        raise ConsultationError("owner_required", OWNER_REQUIRED, field="owner_name")
    _place(escalation, level, owner_name, now)
    escalation.save(update_fields=["level", "owner_name", "escalated_at", "deadline"])
    _tell_citizen(escalation, _call_back_of(escalation), now)
    _event(escalation, user=user, now=now, from_state=EscalationState.OPEN)
    return escalation


def _call_back_of(escalation: Escalation) -> CallBack | None:
    if escalation.consultation_id is None:
        return None
    found = CallBack.objects.filter(consultation_id=escalation.consultation_id).first()
    return _locked(found) if found else None


@transaction.atomic
def record_answer(*, escalation: Escalation, user, answer: str, now: dt.datetime | None = None) -> Escalation:
    """The level's owner answered (by phone, document or in person): whoever received it records it on
    their behalf, and it goes to the first taker's answers to pass on."""
    now = now or timezone.now()
    escalation = _locked_escalation(escalation)
    if escalation.state != EscalationState.OPEN:
        raise ConsultationError("not_waiting", NOT_WAITING % {"state": escalation.get_state_display()})
    if not answer.strip():
        raise ConsultationError("answer_required", ANSWER_REQUIRED, field="answer")
    escalation.state, escalation.answer, escalation.answered_at = (
        EscalationState.ANSWERED,
        answer.strip(),
        now,
    )
    escalation.save(update_fields=["state", "answer", "answered_at"])
    _event(escalation, user=user, now=now, from_state=EscalationState.OPEN)
    return escalation


@transaction.atomic
def pass_on(*, escalation: Escalation, user, how: str, now: dt.datetime | None = None) -> Escalation:
    """The first taker told the citizen the answer, by phone or by a text message sent now; the escalation
    is done, and so is its call-back (a call by phone is recorded as a call that reached the citizen)."""
    now = now or timezone.now()
    escalation = _locked_escalation(escalation)
    if escalation.state != EscalationState.ANSWERED:
        raise ConsultationError(
            "nothing_to_pass_on", NOTHING_TO_PASS_ON % {"state": escalation.get_state_display()}
        )
    _require_first_taker_or_supervisor(escalation, user)
    call_back = _call_back_of(escalation)
    if how == PassedOnBy.SMS:
        if call_back is None or not call_back.mobile:
            raise ConsultationError("no_mobile", NO_MOBILE)
        notify.record(
            hall=escalation.hall,
            kind=KIND_ANSWER,
            subject_type="escalation",
            subject_id=escalation.pk,
            phone=call_back.mobile,
            language=_language_of(call_back),
            render=lambda: escalation_messages.answer_text(escalation, call_back),
            urgent=False,
            now=now,
        )
    escalation.state, escalation.passed_on_at, escalation.passed_on_by = EscalationState.PASSED_ON, now, how
    escalation.save(update_fields=["state", "passed_on_at", "passed_on_by"])
    _event(escalation, user=user, now=now, from_state=EscalationState.ANSWERED, note=how)
    if call_back is not None and call_back.state == CallBackState.OPEN:
        if how == PassedOnBy.PHONE:
            CallAttempt.objects.create(call_back=call_back, at=now, by=user, result=AttemptResult.ANSWERED)
        call_back.state, call_back.done_at = CallBackState.DONE, now
        call_back.save(update_fields=["state", "done_at"])
        _record(call_back, user=user, now=now, from_state=CallBackState.OPEN)
    return escalation
