"""The staff pages: logging a consultation, the call-back lists, one call-back and its actions; who may see
what (staff only their own hall: another hall is a 404)."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consultations.models import CallBack, CallBackState, Consultation
from hall.models import AuditAction, AuditEntry
from tests.consultations.conftest import log_call_back


def client_for(user, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def now_minus(**delta):
    return timezone.now() - dt.timedelta(**delta)


def set_due(call_back, due_at, deadline):
    CallBack.objects.filter(pk=call_back.pk).update(due_at=due_at, deadline=deadline)


def test_log_answered_consultation_from_the_console_returns_there(hall, clerk, service):
    url = reverse("consultations:log", args=[hall.slug])

    response = client_for(clerk).post(
        url,
        {
            "channel": "online",
            "service": str(service.pk),
            "topic": "换证需要照片吗",
            "result": "answered",
            "next": "/console/3/",
        },
    )

    assert (response.status_code, response["Location"]) == (302, "/console/3/")
    consultation = Consultation.objects.get()
    assert (consultation.channel, consultation.service, consultation.topic, consultation.result) == (
        "online",
        service,
        "换证需要照片吗",
        "answered",
    )
    assert CallBack.objects.count() == 0


def test_log_call_back_says_when_to_call(hall, clerk):
    response = client_for(clerk).post(
        reverse("consultations:log", args=[hall.slug]),
        {
            "channel": "phone",
            "service": "",
            "topic": "落户政策",
            "result": "call_back",
            "mobile": "13900001111",
            "name": "",
        },
        follow=True,
    )

    call_back = CallBack.objects.get()
    due = timezone.localtime(call_back.due_at, hall.tz)
    assert (call_back.owner, call_back.consultation.service, str(call_back.mobile)) == (
        clerk,
        None,
        "+8613900001111",
    )
    assert f"You call back on {due:%Y-%m-%d} from {due:%H:%M}." in response.content.decode()


def test_log_call_back_without_mobile_shows_the_error_and_keeps_the_input(hall, clerk):
    response = client_for(clerk).post(
        reverse("consultations:log", args=[hall.slug]),
        {"channel": "phone", "service": "", "topic": "落户政策", "result": "call_back", "mobile": ""},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert (
        page.count("Enter the citizen&#x27;s mobile number so that the call-back can be made.") == 2
    )  # summary + field
    assert 'value="落户政策"' in page
    assert Consultation.objects.count() == 0


def test_log_with_a_bad_mobile_is_refused_in_chinese(hall, clerk):
    response = client_for(clerk, "zh-hans").post(
        reverse("consultations:log", args=[hall.slug]),
        {"channel": "phone", "service": "", "topic": "x", "result": "call_back", "mobile": "12345"},
    )

    assert "请输入手机号码，例如 13800138000。" in response.content.decode()
    assert Consultation.objects.count() == 0


def test_log_with_an_outside_next_goes_back_to_the_form(hall, clerk):
    response = client_for(clerk).post(
        reverse("consultations:log", args=[hall.slug]),
        {"channel": "phone", "topic": "x", "result": "answered", "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("consultations:log", args=[hall.slug])


def test_console_links_to_the_consultation_form_with_a_shortcut(hall, clerk, service):
    from tests.makers import make_counter

    counter = make_counter(hall, 1, [service])

    page = client_for(clerk).get(reverse("queueing:counter", args=[counter.pk])).content.decode()

    log_url = reverse("consultations:log", args=[hall.slug])
    assert f'href="{log_url}?next=/console/{counter.pk}/" data-shortcut="c"' in page


def test_my_call_backs_lists_mine_earliest_first_with_overdue_flagged(hall, clerk, colleague):
    overdue = log_call_back(hall, clerk)
    today = log_call_back(hall, clerk)
    later = log_call_back(hall, clerk)
    log_call_back(hall, colleague)  # not mine
    set_due(overdue, now_minus(days=2), now_minus(days=2) + dt.timedelta(hours=9))
    set_due(today, timezone.now(), timezone.now() + dt.timedelta(hours=1))
    set_due(later, timezone.now() + dt.timedelta(days=3), timezone.now() + dt.timedelta(days=3, hours=9))

    response = client_for(clerk).get(reverse("consultations:mine", args=[hall.slug]))

    rows = response.context["rows"]
    assert [row["call_back"] for row in rows] == [overdue, today, later]
    assert [(row["overdue"], row["due_today"]) for row in rows] == [
        (True, False),
        (False, True),
        (False, False),
    ]
    page = response.content.decode()
    assert page.count("Overdue</strong>") == 1
    assert "138****8000" in page and "13800138000" not in page


def test_my_call_backs_query_count_does_not_grow_with_the_list(hall, clerk, django_assert_max_num_queries):
    log_call_back(hall, clerk)
    client = client_for(clerk)
    url = reverse("consultations:mine", args=[hall.slug])
    with django_assert_max_num_queries(12) as one:
        client.get(url)
    log_call_back(hall, clerk)
    log_call_back(hall, clerk)

    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(url)


def test_supervisor_sees_all_of_the_hall_and_can_filter_the_overdue(hall, clerk, colleague, supervisor):
    mine = log_call_back(hall, clerk)
    theirs = log_call_back(hall, colleague)
    set_due(mine, timezone.now() + dt.timedelta(days=1), timezone.now() + dt.timedelta(days=1, hours=9))
    set_due(theirs, now_minus(days=2), now_minus(days=1))
    client = client_for(supervisor)

    everything = client.get(reverse("consultations:hall", args=[hall.slug]))
    overdue = client.get(reverse("consultations:hall", args=[hall.slug]) + "?show=overdue")

    assert [row["call_back"] for row in everything.context["rows"]] == [theirs, mine]
    assert [row["call_back"] for row in overdue.context["rows"]] == [theirs]
    assert "Show only the overdue (1)" in everything.content.decode()


def test_window_staff_may_not_see_the_whole_halls_list(hall, clerk):
    response = client_for(clerk).get(reverse("consultations:hall", args=[hall.slug]))

    assert response.status_code == 403


@pytest.mark.parametrize("name", ["consultations:log", "consultations:mine", "consultations:hall"])
def test_another_halls_staff_get_404(hall, other_hall_supervisor, name):
    response = client_for(other_hall_supervisor).get(reverse(name, args=[hall.slug]))

    assert response.status_code == 404


def test_another_halls_supervisor_gets_404_for_a_call_back(call_back, hall, other_hall_supervisor):
    client = client_for(other_hall_supervisor)

    assert client.get(reverse("consultations:call_back", args=[hall.slug, call_back.pk])).status_code == 404
    # The same id under their own hall's address does not find it either.
    other = other_hall_supervisor.staff.hall.slug
    assert client.get(reverse("consultations:call_back", args=[other, call_back.pk])).status_code == 404
    response = client.post(
        reverse("consultations:attempt", args=[other, call_back.pk]), {"result": "answered"}
    )
    assert response.status_code == 404
    call_back.refresh_from_db()
    assert call_back.state == CallBackState.OPEN


def test_colleague_gets_404_for_a_call_back_they_do_not_own(call_back, hall, colleague):
    response = client_for(colleague).get(reverse("consultations:call_back", args=[hall.slug, call_back.pk]))

    assert response.status_code == 404


def test_anonymous_is_sent_to_sign_in(hall):
    response = Client().get(reverse("consultations:mine", args=[hall.slug]))

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_call_back_page_masks_the_mobile_until_the_owner_calls(call_back, hall, clerk):
    client = client_for(clerk)
    url = reverse("consultations:call_back", args=[hall.slug, call_back.pk])

    before = client.get(url).content.decode()
    revealed = client.post(reverse("consultations:reveal", args=[hall.slug, call_back.pk])).content.decode()

    assert "138****8000" in before and "138 0013 8000" not in before and "张*丰" in before
    assert 'href="tel:+8613800138000"' in revealed and "张三丰" in revealed
    entry = AuditEntry.objects.get(action=AuditAction.PHONE_REVEALED)
    assert (entry.actor, entry.object_id, entry.hall) == (clerk, str(call_back.pk), hall)


def test_supervisor_sees_the_mobile_masked_and_cannot_reveal_it(call_back, hall, supervisor):
    client = client_for(supervisor)

    page = client.get(reverse("consultations:call_back", args=[hall.slug, call_back.pk])).content.decode()
    response = client.post(reverse("consultations:reveal", args=[hall.slug, call_back.pk]), follow=True)

    assert "138****8000" in page and "Call now: show the number" not in page
    assert "Only the owner of this call-back or a supervisor can do that." in response.content.decode()
    assert "tel:+8613800138000" not in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.PHONE_REVEALED).count() == 0


def test_attempts_then_unreachable_through_the_pages(call_back, hall, clerk):
    client = client_for(clerk)
    attempt = reverse("consultations:attempt", args=[hall.slug, call_back.pk])
    give_up = reverse("consultations:unreachable", args=[hall.slug, call_back.pk])

    early = client.post(give_up, follow=True).content.decode()
    for _n in range(3):
        client.post(attempt, {"result": "no_answer"})
    client.post(give_up)

    assert "Try at least 3 times before giving up on a call-back (0 attempts so far)." in early
    call_back.refresh_from_db()
    assert call_back.state == CallBackState.UNREACHABLE
    assert list(call_back.attempts.values_list("result", flat=True)) == ["no_answer"] * 3


def test_attempt_with_a_bad_result_is_refused(call_back, hall, clerk):
    response = client_for(clerk).post(
        reverse("consultations:attempt", args=[hall.slug, call_back.pk]),
        {"result": "teleported"},
        follow=True,
    )

    assert "Choose how the call went." in response.content.decode()
    assert call_back.attempts.count() == 0


def test_supervisor_reassigns_then_closes_through_the_pages(call_back, hall, supervisor, colleague):
    client = client_for(supervisor)

    client.post(
        reverse("consultations:reassign", args=[hall.slug, call_back.pk]), {"owner": str(colleague.pk)}
    )
    refused = client.post(reverse("consultations:close", args=[hall.slug, call_back.pk]), follow=True)
    client.post(reverse("consultations:attempt", args=[hall.slug, call_back.pk]), {"result": "answered"})
    client.post(reverse("consultations:close", args=[hall.slug, call_back.pk]))

    call_back.refresh_from_db()
    assert (call_back.owner, call_back.state) == (colleague, CallBackState.CLOSED)
    assert (
        "Only an answered or unreachable call-back can be closed; this one is open (to call back)."
        in refused.content.decode()
    )
    assert [(e.from_state, e.to_state) for e in call_back.events.all()] == [
        ("", "open"),
        ("open", "open"),
        ("open", "done"),
        ("done", "closed"),
    ]


def test_reassign_to_a_stranger_is_refused(call_back, hall, supervisor, other_hall_clerk):
    response = client_for(supervisor).post(
        reverse("consultations:reassign", args=[hall.slug, call_back.pk]),
        {"owner": str(other_hall_clerk.pk)},
        follow=True,
    )

    assert "Choose a staff member of this hall." in response.content.decode()
    call_back.refresh_from_db()
    assert call_back.owner.username == "clerk"


def test_actions_need_post(call_back, hall, clerk):
    response = client_for(clerk).get(reverse("consultations:attempt", args=[hall.slug, call_back.pk]))

    assert response.status_code == 405
