"""The call-back state machine, transition by transition, including every refused one."""

import datetime as dt

import pytest
from django.utils import translation

from consultations import services
from consultations.models import (
    AttemptResult,
    CallAttempt,
    CallBack,
    CallBackState,
    Channel,
    Consultation,
    Result,
)
from consultations.services import ConsultationError
from tests.consultations.conftest import FRIDAY, MONDAY_CLOSE, MONDAY_MORNING, log_call_back
from tests.makers import make_service

LATER = MONDAY_MORNING + dt.timedelta(hours=1)


def events(call_back):
    return [
        (
            e.from_state,
            e.to_state,
            e.by.username,
            e.at,
            getattr(e.from_owner, "username", None),
            getattr(e.to_owner, "username", None),
        )
        for e in call_back.events.select_related("by", "from_owner", "to_owner")
    ]


def refused(code, action, **kwargs):
    with pytest.raises(ConsultationError) as caught:
        action(**kwargs)
    assert caught.value.code == code
    return caught.value


def fail(call_back, user, times, result=AttemptResult.NO_ANSWER):
    for n in range(times):
        services.record_attempt(
            call_back=call_back, user=user, result=result, now=LATER + dt.timedelta(minutes=n)
        )


def test_log_consultation_answered_makes_no_call_back(hall, clerk, service):
    consultation = services.log_consultation(
        hall=hall,
        user=clerk,
        channel=Channel.WALK_UP,
        service=service,
        topic=" 换证照片要求 ",
        result=Result.ANSWERED,
        now=FRIDAY,
    )

    assert (consultation.hall, consultation.taken_by, consultation.at) == (hall, clerk, FRIDAY)
    assert (consultation.channel, consultation.service, consultation.topic) == (
        "walk_up",
        service,
        "换证照片要求",
    )
    assert CallBack.objects.count() == 0


def test_log_consultation_call_back_is_open_owned_and_due_next_working_morning(hall, clerk, service):
    call_back = log_call_back(hall, clerk, service=service)

    assert (call_back.state, call_back.owner, call_back.hall) == (CallBackState.OPEN, clerk, hall)
    assert (call_back.due_at, call_back.deadline) == (MONDAY_MORNING, MONDAY_CLOSE)
    assert (str(call_back.mobile), call_back.name) == ("+8613800138000", "张三丰")
    assert events(call_back) == [("", "open", "clerk", FRIDAY, None, "clerk")]


def test_log_consultation_deadline_setting_counts_working_days(hall, clerk, settings):
    settings.CALLBACK_DEADLINE_WORKING_DAYS = 2

    call_back = log_call_back(hall, clerk)

    assert (call_back.due_at, call_back.deadline) == (MONDAY_MORNING, MONDAY_CLOSE + dt.timedelta(days=1))


def test_log_consultation_call_back_without_mobile_is_refused_and_saves_nothing(hall, clerk):
    refused("mobile_needed", log_call_back, hall=hall, user=clerk, mobile=None)

    assert Consultation.objects.count() == CallBack.objects.count() == 0


def test_log_consultation_with_another_halls_service_is_refused(hall, clerk, other_hall):
    foreign = make_service(other_hall, code="south-id")

    refused("service_not_in_hall", log_call_back, hall=hall, user=clerk, service=foreign)

    assert Consultation.objects.count() == 0


def test_failed_attempt_is_recorded_and_keeps_the_call_back_open(call_back, clerk):
    services.record_attempt(call_back=call_back, user=clerk, result=AttemptResult.BUSY, now=LATER)

    call_back.refresh_from_db()
    assert call_back.state == CallBackState.OPEN
    assert list(call_back.attempts.values_list("at", "result", "by__username")) == [(LATER, "busy", "clerk")]
    assert len(events(call_back)) == 1


def test_answered_attempt_makes_open_done(call_back, clerk):
    services.record_attempt(call_back=call_back, user=clerk, result=AttemptResult.ANSWERED, now=LATER)

    call_back.refresh_from_db()
    assert (call_back.state, call_back.done_at, call_back.unreachable_at) == (CallBackState.DONE, LATER, None)
    assert events(call_back)[-1] == ("open", "done", "clerk", LATER, None, None)


def test_supervisor_may_call_on_the_owners_behalf(call_back, supervisor):
    services.record_attempt(call_back=call_back, user=supervisor, result=AttemptResult.ANSWERED, now=LATER)

    call_back.refresh_from_db()
    assert call_back.state == CallBackState.DONE
    assert events(call_back)[-1][2] == "supervisor"


def test_open_to_unreachable_after_three_failed_attempts(call_back, clerk):
    fail(call_back, clerk, 3)
    moment = LATER + dt.timedelta(hours=2)

    services.mark_unreachable(call_back=call_back, user=clerk, now=moment)

    call_back.refresh_from_db()
    assert (call_back.state, call_back.unreachable_at, call_back.done_at) == ("unreachable", moment, None)
    assert events(call_back)[-1] == ("open", "unreachable", "clerk", moment, None, None)


def test_open_to_unreachable_at_once_after_a_wrong_number(call_back, clerk):
    fail(call_back, clerk, 1, AttemptResult.WRONG_NUMBER)

    services.mark_unreachable(call_back=call_back, user=clerk, now=LATER)

    call_back.refresh_from_db()
    assert call_back.state == CallBackState.UNREACHABLE


def test_unreachable_with_too_few_attempts_is_refused(call_back, clerk):
    fail(call_back, clerk, 2)

    with translation.override("en"):
        error = refused(
            "too_few_attempts", services.mark_unreachable, call_back=call_back, user=clerk, now=LATER
        )

    assert error.message == "Try at least 3 times before giving up on a call-back (2 attempts so far)."
    call_back.refresh_from_db()
    assert call_back.state == CallBackState.OPEN


def test_refusal_messages_are_translated(call_back, clerk):
    with translation.override("zh-hans"):
        error = refused("too_few_attempts", services.mark_unreachable, call_back=call_back, user=clerk)

    assert error.message == "请至少尝试 3 次后再放弃回电（目前已尝试 0 次）。"


def test_done_to_closed_by_supervisor(call_back, clerk, supervisor):
    fail(call_back, clerk, 1, AttemptResult.ANSWERED)

    services.close_call_back(call_back=call_back, user=supervisor, now=LATER + dt.timedelta(hours=3))

    call_back.refresh_from_db()
    assert call_back.state == CallBackState.CLOSED
    assert call_back.done_at == LATER  # the answer time stays for the figures
    assert events(call_back)[-1] == (
        "done",
        "closed",
        "supervisor",
        LATER + dt.timedelta(hours=3),
        None,
        None,
    )


def test_unreachable_to_closed_by_supervisor(call_back, clerk, supervisor):
    fail(call_back, clerk, 3)
    services.mark_unreachable(call_back=call_back, user=clerk, now=LATER)

    services.close_call_back(call_back=call_back, user=supervisor, now=LATER)

    call_back.refresh_from_db()
    assert call_back.state == CallBackState.CLOSED
    assert events(call_back)[-1][:2] == ("unreachable", "closed")


def test_reassign_keeps_open_and_records_both_owners(call_back, supervisor, colleague):
    services.reassign_call_back(call_back=call_back, user=supervisor, owner=colleague, now=LATER)

    call_back.refresh_from_db()
    assert (call_back.state, call_back.owner) == (CallBackState.OPEN, colleague)
    assert events(call_back)[-1] == ("open", "open", "supervisor", LATER, "clerk", "colleague")


def test_new_owner_may_act_and_old_owner_may_not(call_back, clerk, supervisor, colleague):
    services.reassign_call_back(call_back=call_back, user=supervisor, owner=colleague, now=LATER)

    refused("not_owner", services.record_attempt, call_back=call_back, user=clerk, result=AttemptResult.BUSY)
    services.record_attempt(call_back=call_back, user=colleague, result=AttemptResult.ANSWERED, now=LATER)

    call_back.refresh_from_db()
    assert call_back.state == CallBackState.DONE


@pytest.fixture
def done(call_back, clerk):
    fail(call_back, clerk, 1, AttemptResult.ANSWERED)
    call_back.refresh_from_db()
    return call_back


@pytest.fixture
def unreachable(call_back, clerk):
    fail(call_back, clerk, 3)
    services.mark_unreachable(call_back=call_back, user=clerk, now=LATER)
    call_back.refresh_from_db()
    return call_back


@pytest.fixture
def closed(done, supervisor):
    services.close_call_back(call_back=done, user=supervisor, now=LATER)
    done.refresh_from_db()
    return done


@pytest.mark.parametrize("state", ["done", "unreachable", "closed"])
def test_attempt_after_open_is_refused(request, state, clerk):
    call_back = request.getfixturevalue(state)
    attempts = CallAttempt.objects.count()

    refused(
        "not_open", services.record_attempt, call_back=call_back, user=clerk, result=AttemptResult.ANSWERED
    )

    assert CallAttempt.objects.count() == attempts
    call_back.refresh_from_db()
    assert call_back.state == state


@pytest.mark.parametrize("state", ["done", "unreachable", "closed"])
def test_unreachable_after_open_is_refused(request, state, clerk):
    call_back = request.getfixturevalue(state)

    refused("not_open", services.mark_unreachable, call_back=call_back, user=clerk)

    call_back.refresh_from_db()
    assert call_back.state == state


@pytest.mark.parametrize("state", ["done", "unreachable", "closed"])
def test_reassign_after_open_is_refused(request, state, supervisor, colleague):
    call_back = request.getfixturevalue(state)
    owner = call_back.owner

    refused("not_open", services.reassign_call_back, call_back=call_back, user=supervisor, owner=colleague)

    call_back.refresh_from_db()
    assert (call_back.state, call_back.owner) == (state, owner)


@pytest.mark.parametrize("state", ["call_back", "closed"])
def test_close_of_open_or_closed_is_refused(request, state, supervisor):
    call_back = request.getfixturevalue(state)
    before = call_back.state

    refused("not_finished", services.close_call_back, call_back=call_back, user=supervisor)

    call_back.refresh_from_db()
    assert call_back.state == before


def test_close_by_the_owner_is_refused(done, clerk):
    refused("supervisors_only", services.close_call_back, call_back=done, user=clerk)

    done.refresh_from_db()
    assert done.state == CallBackState.DONE


def test_reassign_by_window_staff_is_refused(call_back, clerk, colleague):
    refused("supervisors_only", services.reassign_call_back, call_back=call_back, user=clerk, owner=colleague)

    call_back.refresh_from_db()
    assert call_back.owner == clerk


def test_reassign_to_another_halls_staff_is_refused(call_back, supervisor, other_hall_clerk):
    refused(
        "owner_not_in_hall",
        services.reassign_call_back,
        call_back=call_back,
        user=supervisor,
        owner=other_hall_clerk,
    )

    call_back.refresh_from_db()
    assert call_back.owner.username == "clerk"


def test_reassign_to_the_same_owner_is_refused(call_back, supervisor, clerk):
    refused("same_owner", services.reassign_call_back, call_back=call_back, user=supervisor, owner=clerk)

    assert len(events(call_back)) == 1


def test_colleague_who_does_not_own_it_may_not_call(call_back, colleague):
    refused(
        "not_owner", services.record_attempt, call_back=call_back, user=colleague, result=AttemptResult.BUSY
    )
    refused("not_owner", services.mark_unreachable, call_back=call_back, user=colleague)

    assert call_back.attempts.count() == 0


def test_another_halls_supervisor_may_do_nothing(call_back, other_hall_supervisor, colleague):
    refused(
        "not_owner",
        services.record_attempt,
        call_back=call_back,
        user=other_hall_supervisor,
        result=AttemptResult.ANSWERED,
    )
    refused(
        "supervisors_only",
        services.reassign_call_back,
        call_back=call_back,
        user=other_hall_supervisor,
        owner=colleague,
    )

    call_back.refresh_from_db()
    assert call_back.state == CallBackState.OPEN
