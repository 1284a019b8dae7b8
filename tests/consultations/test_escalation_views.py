"""The escalation pages: escalating from a call-back, recording the answer, passing it on from the first
taker's list; another hall's escalation is a 404 (and audited); bad input gets a clear error in Chinese and
in English; the supervisor's figures page shows open and overdue escalations."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from consultations import escalation as chain
from consultations.models import CallBack, Escalation, EscalationLevel
from hall.models import AuditAction, AuditEntry
from tests.consultations.conftest import log_call_back
from tests.consultations.test_views import client_for


def escalation_url(escalation, name="escalation"):
    return reverse(f"consultations:{name}", args=[escalation.hall.slug, escalation.pk])


def escalate_url(call_back):
    return reverse("consultations:escalate", args=[call_back.hall.slug, call_back.pk])


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def escalation(call_back, clerk):
    return chain.escalate(call_back=call_back, user=clerk, owner_name="治安大队 王副大队长")


def test_the_clerk_escalates_from_the_call_back_page(hall, clerk, call_back):
    client = client_for(clerk, "zh-hans")
    page = client.get(reverse("consultations:call_back", args=[hall.slug, call_back.pk]))
    assert "上报治安大队" in text(page)
    assert not EscalationLevel.objects.exists()  # reading the page writes nothing; escalating saves the chain

    response = client.post(
        escalate_url(call_back), {"owner_name": "治安大队 王副大队长", "question": "外省迁入的材料"}
    )

    escalation = Escalation.objects.get()
    assert response["Location"] == escalation_url(escalation)
    page = text(client.get(response["Location"]))
    assert "已上报治安大队" in page
    assert "治安大队 王副大队长" in page and "外省迁入的材料" in page
    mine = text(client.get(reverse("consultations:mine", args=[hall.slug])))
    assert "已上报：治安大队" in mine


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "请填写这一级的答复责任人（个人或单位）。"),
        ("en", "Enter who answers at this level: a person or a unit."),
    ],
)
def test_escalating_without_an_owner_says_so_in_the_users_language(hall, clerk, call_back, language, message):
    response = client_for(clerk, language).post(escalate_url(call_back), {"owner_name": "", "question": ""})

    assert response.status_code == 400
    assert message in text(response)
    assert 'class="error-summary"' in text(response)
    assert Escalation.objects.count() == 0


@pytest.mark.parametrize(
    ("language", "messages"),
    [
        (
            "zh-hans",
            ["请填写答复内容。", "答复请不超过1000个字（您填写了1001个）。", "请选择您告知群众的方式。"],
        ),
        (
            "en",
            [
                "Enter the answer.",
                "Write the answer in 1000 characters or fewer (you wrote 1001).",
                "Choose how you told the citizen.",
            ],
        ),
    ],
)
def test_bad_answers_and_pass_ons_say_so_in_the_users_language(hall, clerk, escalation, language, messages):
    client = client_for(clerk, language)

    empty = client.post(escalation_url(escalation, "answer"), {"answer": "  "})
    too_long = client.post(escalation_url(escalation, "answer"), {"answer": "长" * 1001})
    chain.record_answer(escalation=escalation, user=clerk, answer="可以。")
    no_way = client.post(escalation_url(escalation, "pass_on"), {"how": "fax"})

    assert [r.status_code for r in (empty, too_long, no_way)] == [400, 400, 400]
    for response, message in zip((empty, too_long, no_way), messages, strict=True):
        assert message in text(response)
    assert Escalation.objects.get().state == "answered"


def test_a_refused_step_says_why_in_chinese(hall, clerk, escalation):
    client = client_for(clerk, "zh-hans")
    client.post(escalation_url(escalation, "escalate_further"), {"owner_name": "市局 张科长"})

    response = client.post(escalation_url(escalation, "escalate_further"), {"owner_name": "省厅"})

    assert response.status_code == 400
    assert "市局治安支队已是最高一级，无法继续上报。" in text(response)


def test_the_answer_comes_back_to_the_first_takers_list(hall, clerk, colleague, escalation):
    colleague_client = client_for(colleague)
    answered = colleague_client.post(escalation_url(escalation, "answer"), {"answer": "可以网上办理。"})
    assert answered.status_code == 302
    assert "Only the staff member who took the question first" not in text(
        colleague_client.get(escalation_url(escalation))
    )
    refused = colleague_client.post(escalation_url(escalation, "pass_on"), {"how": "phone"})
    assert "Only the staff member who took the question first, or a supervisor, can do that." in text(refused)
    assert "可以网上办理。" not in text(colleague_client.get(reverse("consultations:mine", args=[hall.slug])))

    clerk_client = client_for(clerk)
    mine = text(clerk_client.get(reverse("consultations:mine", args=[hall.slug])))
    assert "Answers to pass on to citizens: 1" in mine
    assert f'data-escalation="{escalation.pk}"' in mine
    passed = clerk_client.post(escalation_url(escalation, "pass_on"), {"how": "phone"})

    assert passed.status_code == 302
    assert Escalation.objects.get().state == "passed_on"
    assert CallBack.objects.get().state == "done"
    assert "Answers to pass on" not in text(clerk_client.get(reverse("consultations:mine", args=[hall.slug])))


def test_another_halls_escalation_is_a_404_and_audited(
    hall, escalation, other_hall_clerk, other_hall_supervisor
):
    for client in (client_for(other_hall_clerk), client_for(other_hall_supervisor)):
        own_slug_url = reverse("consultations:escalation", args=["south", escalation.pk])
        assert client.get(own_slug_url).status_code == 404
        assert client.get(escalation_url(escalation)).status_code == 404
        assert client.post(escalation_url(escalation, "answer"), {"answer": "x"}).status_code == 404
    assert Escalation.objects.get().state == "open"
    refusals = AuditEntry.objects.filter(hall=hall, action=AuditAction.OTHER_HALL_REFUSED)
    assert refusals.filter(object_type="consultations.escalation", object_id=str(escalation.pk)).count() == 2


def test_the_supervisors_figures_show_open_and_overdue_escalations(hall, clerk, supervisor, escalation):
    late = chain.escalate(
        call_back=log_call_back(hall, clerk, mobile="13900139000"), user=clerk, owner_name="王"
    )
    Escalation.objects.filter(pk=late.pk).update(deadline=timezone.now() - dt.timedelta(hours=1))

    page = text(client_for(supervisor).get(reverse("reports:consultations", args=[hall.slug])))

    assert re.search(r'data-figure="escalations_open">2<', page)
    assert re.search(r'data-figure="escalations_overdue">1<', page)
    listing = text(client_for(supervisor).get(reverse("consultations:escalations", args=[hall.slug])))
    assert listing.count("tag-overdue") == 1
