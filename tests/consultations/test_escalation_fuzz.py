"""Hostile input to every escalation form: never a 5xx, errors in Chinese, and the escalation always in one
whole state (an event for each change, an answer exactly when answered)."""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given

from consultations import escalation as chain
from consultations.models import CallBack, Escalation, EscalationEvent
from tests.consultations.test_fuzz import CJK, FUZZ, field, post_data


def assert_sound(response):
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        form = response.context["form"]
        assert form.errors
        for errors in form.errors.values():
            assert all(CJK.search(str(message)) for message in errors), form.errors
    for escalation in Escalation.objects.all():
        assert bool(escalation.answer) == (escalation.answered_at is not None)
        assert escalation.events.filter(from_state="").count() == 1
        assert escalation.events.last().to_state == escalation.state


@pytest.fixture
def chinese_client(clerk):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(clerk)
    return client


def test_hostile_escalate_form(hall, call_back, chinese_client):
    url = reverse("consultations:escalate", args=[hall.slug, call_back.pk])

    @FUZZ
    @given(owner_name=field("治安大队 王副大队长"), question=field("外省迁入的材料"))
    def post(owner_name, question):
        response = chinese_client.post(url, post_data({"owner_name": owner_name, "question": question}))
        assert_sound(response)
        Escalation.objects.all().delete()

    post()


@pytest.mark.parametrize("name", ["escalate_further", "answer", "pass_on"])
def test_hostile_escalation_forms(hall, clerk, call_back, chinese_client, name):
    escalation = chain.escalate(call_back=call_back, user=clerk, owner_name="王")
    url = reverse(f"consultations:{name}", args=[hall.slug, escalation.pk])

    def start_over():
        EscalationEvent.objects.filter(escalation=escalation).exclude(from_state="").delete()
        Escalation.objects.filter(pk=escalation.pk).update(
            state="open",
            answer="",
            answered_at=None,
            passed_on_at=None,
            passed_on_by="",
            level=escalation.level,
        )
        CallBack.objects.filter(pk=call_back.pk).update(state="open", done_at=None)
        if name == "pass_on":
            chain.record_answer(escalation=escalation, user=clerk, answer="可以。")

    @FUZZ
    @given(owner_name=field("市局 张科长"), answer=field("可以。"), how=field("sms"), to_rank=field("2"))
    def post(owner_name, answer, how, to_rank):
        start_over()
        data = {"owner_name": owner_name, "answer": answer, "how": how, "to_rank": to_rank}
        response = chinese_client.post(url, post_data(data))
        assert_sound(response)

    post()
