"""Real concurrent clients on PostgreSQL: two staff members escalating the same call-back, or recording an
answer to the same escalation, at the same moment: one wins, the other is told why, nothing is doubled."""

import pytest
from django.test import Client
from django.urls import reverse

from consultations import escalation as chain
from consultations.models import Escalation, EscalationEvent
from notifications.models import Notification
from tests.consultations.conftest import log_call_back
from tests.races import all_at_once

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]


def clients(*users):
    found = []
    for user in users:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        found.append(client)
    return found


def test_two_escalations_of_one_call_back_at_once(hall, clerk, supervisor):
    call_back = log_call_back(hall, clerk)
    url = reverse("consultations:escalate", args=[hall.slug, call_back.pk])
    sessions = clients(clerk, supervisor)

    answers = all_at_once(lambda i: sessions[i].post(url, {"owner_name": f"王{i}"}), threads=2)

    assert sorted(a.status_code for a in answers) == [302, 400]
    refused = next(a for a in answers if a.status_code == 400)
    assert "This question has already been escalated" in refused.content.decode()
    assert Escalation.objects.count() == 1
    assert EscalationEvent.objects.count() == 1
    assert Notification.objects.filter(kind=chain.KIND_ESCALATED).count() == 1


def test_two_answers_at_once(hall, clerk, colleague):
    escalation = chain.escalate(call_back=log_call_back(hall, clerk), user=clerk, owner_name="王")
    url = reverse("consultations:answer", args=[hall.slug, escalation.pk])
    sessions = clients(clerk, colleague)

    answers = all_at_once(lambda i: sessions[i].post(url, {"answer": f"答复{i}"}), threads=2)

    assert sorted(a.status_code for a in answers) == [302, 400]
    refused = next(a for a in answers if a.status_code == 400)
    assert "no longer waiting for an answer" in refused.content.decode()
    escalation.refresh_from_db()
    assert (escalation.state, escalation.events.filter(to_state="answered").count()) == ("answered", 1)
