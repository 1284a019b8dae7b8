"""The citizen's online consultation (网上咨询): a question becomes a call-back with one owner and a
deadline, confirmed once by text message; rate limits; bad input; the staff see it."""

import datetime as dt
import logging
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consultations import ask_views, services
from consultations.models import CallBack, CallBackState, Channel, Consultation, Result
from consultations.timing import HalfDay
from notifications.models import Notification
from tests.consultations.conftest import FRIDAY, MONDAY_CLOSE, MONDAY_MORNING, SHANGHAI, log_call_back

pytestmark = pytest.mark.django_db  # also empties the cache (rate limits) before each test


@pytest.fixture(autouse=True)
def _rate_limits_on(settings):
    settings.RATE_LIMITS = True


def ask_url(hall):
    return reverse("consultations:ask", args=[hall.slug])


def offered_times(client, hall) -> list[str]:
    """The values of the call-back times the form offers, as the citizen's browser sees them."""
    html = client.get(ask_url(hall)).content.decode()
    return re.findall(r'name="half_day" value="([^"]+)"', html)


def answers(half_day, mobile="13800138000", **fields):
    return {"service": "", "question": "迁入需要什么材料？", "mobile": mobile, "half_day": half_day, **fields}


def test_ask_creates_call_back_owned_by_staff_due_in_the_chosen_half_day_with_one_text(hall, service, clerk):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    times = offered_times(client, hall)
    chosen = times[2]  # the second half-day offered, after "as soon as possible"

    response = client.post(ask_url(hall), answers(chosen, service=str(service.pk)))

    assert response["Location"] == reverse("consultations:asked", args=[hall.slug])
    call_back = CallBack.objects.get()
    consultation = call_back.consultation
    assert (consultation.channel, consultation.result, consultation.topic, consultation.service) == (
        Channel.ONLINE,
        Result.CALL_BACK,
        "迁入需要什么材料？",
        service,
    )
    assert consultation.taken_by is None
    assert (call_back.owner, call_back.state, str(call_back.mobile)) == (clerk, "open", "+8613800138000")
    due = timezone.localtime(call_back.due_at, SHANGHAI)
    assert due.strftime("%Y-%m-%dT%H:%M") == chosen
    assert call_back.deadline - call_back.due_at <= dt.timedelta(hours=6)
    sms = Notification.objects.get()
    assert (sms.kind, sms.subject_type, sms.subject_id, str(sms.phone), sms.language) == (
        "consultation_received",
        "call_back",
        call_back.pk,
        "+8613800138000",
        "zh-hans",
    )
    assert sms.text.startswith(f"【北区户政大厅】已收到您的咨询（编号{call_back.pk}），我们将于")
    page = client.get(response["Location"]).content.decode()
    assert f"{due:%H:%M}" in page and "138****8000" in page and "13800138000" not in page


def test_ask_refreshed_confirmation_sends_no_second_text(hall, clerk):
    client = Client()
    client.post(ask_url(hall), answers("soon"))

    client.get(reverse("consultations:asked", args=[hall.slug]))
    client.get(reverse("consultations:asked", args=[hall.slug]))

    assert Notification.objects.count() == 1


def test_ask_as_soon_as_possible_is_due_the_next_working_morning(hall, clerk):
    call_back = services.ask_online(
        hall=hall,
        service=None,
        question="户籍证明怎么开",
        mobile="13800138000",
        half_day=None,
        language="en",
        now=FRIDAY,
    )

    assert (call_back.due_at, call_back.deadline) == (MONDAY_MORNING, MONDAY_CLOSE)
    assert Notification.objects.get().text == (
        f"[North District Hall] We have your question (ref. {call_back.pk}). "
        "We will call you on September 22 (Mon) between 08:30 and 17:30."
    )


def test_ask_goes_to_the_staff_member_with_fewest_open_call_backs(hall, clerk, colleague, supervisor):
    log_call_back(hall, clerk)
    log_call_back(hall, supervisor)

    call_back = services.ask_online(
        hall=hall,
        service=None,
        question="问",
        mobile="13800138000",
        half_day=None,
        language="zh-hans",
        now=FRIDAY,
    )

    assert call_back.owner == colleague
    assert [(e.by, e.from_state, e.to_state, e.to_owner) for e in call_back.events.all()] == [
        (None, "", CallBackState.OPEN, colleague)
    ]


def test_ask_for_a_half_day_that_has_begun_is_refused(hall, clerk):
    begun = HalfDay(MONDAY_MORNING, MONDAY_MORNING + dt.timedelta(hours=3))

    with pytest.raises(services.ConsultationError) as refusal:
        services.ask_online(
            hall=hall,
            service=None,
            question="问",
            mobile="13800138000",
            half_day=begun,
            language="zh-hans",
            now=MONDAY_MORNING + dt.timedelta(minutes=5),
        )

    assert refusal.value.code == "time_passed"
    assert Consultation.objects.count() == 0


def test_ask_at_a_hall_without_staff_says_to_call(hall):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(ask_url(hall), answers("soon"))

    assert response.status_code == 200
    assert "This hall cannot take questions online at the moment. Please call the hall." in (
        response.content.decode()
    )
    assert (Consultation.objects.count(), Notification.objects.count()) == (0, 0)


def test_ask_is_limited_per_mobile(hall, clerk):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for n in range(ask_views.ASKS_PER_MOBILE_DAY):
        client.post(ask_url(hall), answers("soon"), REMOTE_ADDR=f"10.0.0.{n}")

    response = client.post(ask_url(hall), answers("soon"), REMOTE_ADDR="10.0.0.99")

    assert response.status_code == 429
    assert "Too many questions from this mobile number or network today." in response.content.decode()
    assert CallBack.objects.count() == Notification.objects.count() == ask_views.ASKS_PER_MOBILE_DAY


def test_ask_is_limited_per_address(hall, clerk):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    for n in range(ask_views.ASKS_PER_ADDRESS_HOUR):
        client.post(ask_url(hall), answers("soon", mobile=f"1380013{n:04d}"))

    response = client.post(ask_url(hall), answers("soon", mobile="13900139000"))

    assert response.status_code == 429
    assert "该手机号或网络今天提问次数过多" in response.content.decode()
    assert CallBack.objects.count() == ask_views.ASKS_PER_ADDRESS_HOUR


def test_ask_with_nothing_filled_in_links_each_error_to_its_field(hall, clerk):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(ask_url(hall), {})

    html = response.content.decode()
    assert response.status_code == 200
    summary = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', html)
    assert summary == [
        ("id_question", "Enter your question."),
        ("id_mobile", "Enter your mobile number."),
        ("id_half_day_0", "Choose when we may call you back."),
    ]
    assert Consultation.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mobile", "12345", "Enter a mobile number"),
        ("mobile", "010-12345678", "Enter a mobile number"),
        ("half_day", "2020-01-01T08:30", "That time is no longer offered. Choose one of the times below."),
        ("half_day", "\x00<script>", "That time is no longer offered. Choose one of the times below."),
        ("service", "999999", "Select a valid choice."),
        ("question", "问" * 201, "Write your question in 200 characters or fewer (you wrote 201)."),
    ],
)
def test_ask_with_bad_input_says_what_is_wrong(hall, clerk, field, value, message):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(ask_url(hall), {**answers("soon"), field: value})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Consultation.objects.count() == 0


def test_asked_without_a_question_in_this_browser_goes_to_the_form(hall, clerk):
    response = Client().get(reverse("consultations:asked", args=[hall.slug]))

    assert response["Location"] == ask_url(hall)


def test_ask_for_an_unknown_hall_is_not_found(db):
    assert Client().get(reverse("consultations:ask", args=["nowhere"])).status_code == 404


def test_online_question_is_in_the_owners_and_the_halls_call_back_lists(hall, clerk, supervisor):
    log_call_back(hall, supervisor)  # the clerk has fewer open call-backs: the question goes to them
    Client().post(ask_url(hall), answers("soon", question="新生儿落户要带什么"))
    clerk_client, boss_client = Client(HTTP_ACCEPT_LANGUAGE="en"), Client(HTTP_ACCEPT_LANGUAGE="en")
    clerk_client.force_login(clerk)
    boss_client.force_login(supervisor)

    mine = clerk_client.get(reverse("consultations:mine", args=[hall.slug])).content.decode()
    everyone = boss_client.get(reverse("consultations:hall", args=[hall.slug])).content.decode()
    figures = boss_client.get(reverse("reports:consultations", args=[hall.slug])).content.decode()

    assert "新生儿落户要带什么" in mine and "138****8000" in mine
    assert "新生儿落户要带什么" in everyone
    assert '<th scope="row">Online message</th><td class="num">1</td>' in figures


def test_ask_logs_no_mobile_number(hall, clerk, caplog):
    caplog.set_level(logging.INFO)

    Client().post(ask_url(hall), answers("soon"))

    assert CallBack.objects.count() == 1
    assert "13800138000" not in caplog.text and "8000" not in caplog.text


def test_online_call_back_history_says_the_citizen_asked_online(hall, clerk):
    Client().post(ask_url(hall), answers("soon"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(clerk)

    html = client.get(reverse("consultations:call_back", args=[hall.slug, CallBack.objects.get().pk])).content
    history = html.decode().split('class="console-table events-table"')[1]

    assert re.findall(r"<td>([^<]*)</td></tr>", history) == ["the citizen, online"]
