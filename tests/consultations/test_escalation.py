"""The escalation chain (window → 治安大队 → 市局治安支队): deadlines in the hall's working days, the answer
back to the first taker (首问责任), who tells the citizen; figures of open and overdue escalations; the audit
log. Friday 19 September 2025, 15:00 in the hall (weekdays 08:30–17:30)."""

import datetime as dt

import pytest
from django.utils import translation

from consultations import escalation as chain
from consultations import figures, services
from consultations.models import (
    CallAttempt,
    CallBackState,
    Escalation,
    EscalationEvent,
    EscalationLevel,
    EscalationState,
)
from consultations.services import ConsultationError
from notifications.models import Notification
from reports import audit as audit_page
from tests.consultations.conftest import FRIDAY, SHANGHAI, log_call_back


def local(day, hour, minute=0):
    return dt.datetime(2025, 9, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_a_hall_gets_the_default_chain_once(hall, other_hall):
    levels = chain.levels(hall)

    assert [(lv.rank, lv.name_zh_hans, lv.name_en, lv.working_days) for lv in levels] == [
        (1, "治安大队", "Public order brigade", 2),
        (2, "市局治安支队", "City bureau, public order division", 5),
    ]
    assert chain.levels(hall) == levels
    assert EscalationLevel.objects.count() == 2


def test_a_hall_configures_its_own_chain(hall, call_back, clerk):
    EscalationLevel.objects.create(
        hall=hall, rank=1, name_zh_hans="所长", name_en="Station chief", working_days=1
    )

    escalation = chain.escalate(call_back=call_back, user=clerk, owner_name="李所长", now=FRIDAY)

    # One working day from Monday morning: Monday's close.
    assert (escalation.level.name, escalation.deadline) == ("Station chief", local(22, 17, 30))
    with pytest.raises(ConsultationError) as refused:
        chain.escalate_further(escalation=escalation, user=clerk, owner_name="someone", now=FRIDAY)
    assert (refused.value.code, refused.value.message) == (
        "top_of_chain",
        "Station chief is the top of the chain: there is no level above it.",
    )


def test_escalate_escalate_again_answer_back_to_first_taker(hall, clerk, colleague, call_back):
    escalation = chain.escalate(
        call_back=call_back,
        user=clerk,
        owner_name="治安大队 王副大队长",
        question="外省迁入的材料",
        now=FRIDAY,
    )

    # Two working days counted from Monday morning: Tuesday's close; the call-back moves to Wednesday.
    assert (escalation.level.rank, escalation.owner_name, escalation.deadline) == (
        1,
        "治安大队 王副大队长",
        local(23, 17, 30),
    )
    assert (escalation.first_taker, escalation.question, escalation.state) == (
        clerk,
        "外省迁入的材料",
        "open",
    )
    call_back.refresh_from_db()
    assert (call_back.due_at, call_back.deadline) == (local(24, 8, 30), local(24, 17, 30))
    text = Notification.objects.get(kind=chain.KIND_ESCALATED)
    assert text.text == (
        f"【北区户政大厅】您的咨询（编号{call_back.pk}）已转交治安大队答复，我们将于9月24日（周三）08:30至17:30之间告知您答复结果。"
    )
    assert "13800138000" not in text.text

    # The brigade cannot answer: only the first taker (or a supervisor) sends the question further up.
    with pytest.raises(ConsultationError) as refused:
        chain.escalate_further(
            escalation=escalation, user=colleague, owner_name="市局 张科长", now=local(22, 10)
        )
    assert refused.value.code == "not_first_taker"
    escalation = chain.escalate_further(
        escalation=escalation, user=clerk, owner_name="市局 张科长", now=local(22, 10)
    )

    # Five working days from Tuesday morning: Tue, Wed, Thu, Fri and Sunday the 28th, a make-up workday
    # (调休) before National Day in the hall's calendar.
    assert (escalation.level.rank, escalation.owner_name, escalation.deadline) == (
        2,
        "市局 张科长",
        local(28, 17, 30),
    )
    call_back.refresh_from_db()
    assert call_back.deadline == local(29, 17, 30)
    assert Notification.objects.filter(kind=chain.KIND_ESCALATED).count() == 2

    # Whoever receives the bureau's answer records it on its behalf; it goes back to the first taker.
    chain.record_answer(escalation=escalation, user=colleague, answer="可以网上办理迁入。", now=local(25, 11))
    assert list(Escalation.objects.filter(first_taker=clerk).to_pass_on()) == [escalation]
    assert list(Escalation.objects.filter(first_taker=colleague).to_pass_on()) == []

    escalation = chain.pass_on(escalation=escalation, user=clerk, how="phone", now=local(25, 14))

    assert (escalation.state, escalation.passed_on_at, escalation.passed_on_by) == (
        "passed_on",
        local(25, 14),
        "phone",
    )
    call_back.refresh_from_db()
    assert (call_back.state, call_back.done_at) == (CallBackState.DONE, local(25, 14))
    assert CallAttempt.objects.get(call_back=call_back).result == "answered"
    assert list(EscalationEvent.objects.values_list("from_state", "to_state", "level__rank", "actor")) == [
        ("", "open", 1, clerk.pk),
        ("open", "open", 2, clerk.pk),
        ("open", "answered", 2, colleague.pk),
        ("answered", "passed_on", 2, clerk.pk),
    ]


def test_the_answer_by_text_message(hall, clerk, call_back):
    escalation = chain.escalate(call_back=call_back, user=clerk, owner_name="王副大队长", now=FRIDAY)
    chain.record_answer(escalation=escalation, user=clerk, answer="可以。", now=local(22, 9))

    chain.pass_on(escalation=escalation, user=clerk, how="sms", now=local(22, 9, 5))

    text = Notification.objects.get(kind=chain.KIND_ANSWER)
    assert (text.text, str(text.phone)) == (
        f"【北区户政大厅】您咨询的问题（编号{call_back.pk}）答复如下：可以。",
        "+8613800138000",
    )
    call_back.refresh_from_db()
    assert (call_back.state, call_back.attempts.count()) == (CallBackState.DONE, 0)


def test_refusals_in_order_of_the_chain(hall, clerk, supervisor, call_back):
    with pytest.raises(ConsultationError) as refused:
        chain.escalate(call_back=call_back, user=clerk, owner_name="  ", now=FRIDAY)
    assert (refused.value.code, refused.value.field) == ("owner_required", "owner_name")

    escalation = chain.escalate(call_back=call_back, user=supervisor, owner_name="王副大队长", now=FRIDAY)
    assert escalation.first_taker == clerk  # the call-back's owner, not the supervisor who escalated
    with pytest.raises(ConsultationError) as refused:
        chain.escalate(call_back=call_back, user=clerk, owner_name="王副大队长", now=FRIDAY)
    assert refused.value.code == "already_escalated"
    with pytest.raises(ConsultationError) as refused:
        chain.pass_on(escalation=escalation, user=clerk, how="phone", now=FRIDAY)
    assert (
        refused.value.message == "There is no answer to pass on; this escalation is waiting for the answer."
    )
    with pytest.raises(ConsultationError) as refused:
        chain.record_answer(escalation=escalation, user=clerk, answer=" ", now=FRIDAY)
    assert refused.value.code == "answer_required"

    chain.record_answer(escalation=escalation, user=clerk, answer="可以。", now=FRIDAY)
    with pytest.raises(ConsultationError) as refused:
        chain.record_answer(escalation=escalation, user=clerk, answer="不行。", now=FRIDAY)
    assert refused.value.code == "not_waiting"
    chain.pass_on(escalation=escalation, user=supervisor, how="phone", now=FRIDAY)
    assert Escalation.objects.get().answer == "可以。"


def test_a_finished_call_back_cannot_be_escalated(hall, clerk, call_back):
    chain.escalate(call_back=call_back, user=clerk, owner_name="王", now=FRIDAY)
    second = log_call_back(hall, clerk, mobile="13900139000")
    second.state = CallBackState.UNREACHABLE
    second.save()

    with pytest.raises(ConsultationError) as refused:
        chain.escalate(call_back=second, user=clerk, owner_name="王", now=FRIDAY)

    assert refused.value.message == "Only an open call-back can be escalated; this one is unreachable."


def test_figures_count_open_overdue_and_to_pass_on(hall, clerk, other_hall, other_hall_clerk):
    first = chain.escalate(call_back=log_call_back(hall, clerk), user=clerk, owner_name="王", now=FRIDAY)
    second = chain.escalate(
        call_back=log_call_back(hall, clerk, mobile="13900139000"), user=clerk, owner_name="王", now=FRIDAY
    )
    third = chain.escalate(
        call_back=log_call_back(hall, clerk, mobile="13700137000"),
        user=clerk,
        owner_name="王",
        now=local(22, 10),  # due Wednesday's close
    )
    chain.escalate(
        call_back=log_call_back(other_hall, other_hall_clerk), user=other_hall_clerk, owner_name="赵"
    )
    chain.record_answer(escalation=second, user=clerk, answer="可以。", now=local(22, 9))
    wednesday_noon = local(24, 12)

    result = figures.build(hall, dt.date(2025, 9, 24), dt.date(2025, 9, 24), wednesday_noon)

    # first: past Tuesday's close; third: due Wednesday 17:30; second: answered, not passed on.
    assert (result.escalations.open, result.escalations.overdue, result.escalations.to_pass_on) == (2, 1, 1)
    assert [e.pk for e in Escalation.objects.filter(hall=hall).overdue(wednesday_noon)] == [first.pk]
    assert third.deadline == local(24, 17, 30)


def test_the_audit_page_lists_escalation_changes(hall, clerk, call_back):
    escalation = chain.escalate(call_back=call_back, user=clerk, owner_name="王", now=FRIDAY)
    chain.record_answer(escalation=escalation, user=clerk, answer="可以。", now=local(22, 9))
    filters = audit_page.Filters(first=dt.date(2025, 9, 19), last=dt.date(2025, 9, 22), action="escalation")

    rows = audit_page.lines(hall, filters, local(19, 0), local(23, 0))
    lines = audit_page.present(rows, hall)

    assert [(line.action_label, line.object_label, line.change, line.actor) for line in lines] == [
        ("escalation changed", str(escalation.pk), "waiting for the answer → answered, to pass on", clerk),
        ("escalation changed", str(escalation.pk), "— → waiting for the answer", clerk),
    ]
    assert EscalationState.OPEN == "open"


def test_a_second_click_does_not_send_the_question_two_levels_up(hall, clerk, call_back):
    for rank, name in ((1, "派出所"), (2, "治安大队"), (3, "市局治安支队")):
        EscalationLevel.objects.create(
            hall=hall, rank=rank, name_zh_hans=name, name_en=name, working_days=rank
        )
    escalation = chain.escalate(call_back=call_back, user=clerk, owner_name="李所长", now=FRIDAY)
    chain.escalate_further(escalation=escalation, user=clerk, owner_name="王", to_rank=2, now=FRIDAY)

    with pytest.raises(ConsultationError) as refused:
        chain.escalate_further(escalation=escalation, user=clerk, owner_name="王", to_rank=2, now=FRIDAY)

    assert (refused.value.code, refused.value.message) == (
        "moved_on",
        "This question is already at 治安大队.",
    )
    assert Escalation.objects.get().level.rank == 2


def test_a_question_asked_in_english_is_escalated_and_answered_in_english(hall, clerk):
    call_back = services.ask_online(
        hall=hall, service=None, question="Moving my hukou", mobile="13800138000", half_day=None,
        language="en", now=FRIDAY,
    )  # fmt: skip
    escalation = chain.escalate(call_back=call_back, user=clerk, owner_name="王副大队长", now=FRIDAY)
    chain.record_answer(escalation=escalation, user=clerk, answer="Yes.", now=local(22, 9))

    with translation.override("zh-hans"):  # whatever the clerk's own language
        chain.pass_on(escalation=escalation, user=clerk, how="sms", now=local(22, 9, 5))

    sent = Notification.objects.filter(subject_type="escalation").order_by("pk")
    assert [(n.kind, n.language) for n in sent] == [(chain.KIND_ESCALATED, "en"), (chain.KIND_ANSWER, "en")]
    assert (
        f"[North District Hall] Your question (ref. {call_back.pk}) is now with: Public order brigade."
        in (sent[0].text)
    )
    assert sent[1].text.endswith(f"The answer to your question (ref. {call_back.pk}): Yes.")
