"""The supervisor's consultation figures, with exact numbers, and their page in the reports."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from consultations import figures, services
from consultations.models import AttemptResult, Channel, Result
from tests.consultations.conftest import SHANGHAI
from tests.makers import make_service


def local(day, hour, minute=0):
    return dt.datetime(2025, 9, day, hour, minute, tzinfo=SHANGHAI)


NOW = local(24, 12)  # Wednesday noon: the call-backs due on Tuesday the 23rd are past their deadline


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def day(hall, clerk, service, other_hall, other_hall_clerk, settings):
    """Monday 22 September 2025: six consultations, four call-backs due on Tuesday."""
    settings.CALLBACK_ATTEMPTS_BEFORE_UNREACHABLE = 1
    proof = make_service(
        hall, code="hukou-proof", prefix="B", name_zh_hans="户籍证明", name_en="Household certificate"
    )

    def log(at, channel, service, result):
        consultation = services.log_consultation(
            hall=hall,
            user=clerk,
            channel=channel,
            service=service,
            topic="问题",
            result=result,
            mobile="13800138000" if result == Result.CALL_BACK else None,
            now=at,
        )
        return getattr(consultation, "call_back", None)

    log(local(21, 20), Channel.PHONE, proof, Result.ANSWERED)  # Sunday evening
    log(local(22, 9), Channel.PHONE, service, Result.ANSWERED)
    on_time = log(local(22, 10), Channel.PHONE, service, Result.CALL_BACK)
    log(local(22, 11), Channel.ONLINE, None, Result.ANSWERED)
    late = log(local(22, 16), Channel.WALK_UP, proof, Result.CALL_BACK)
    unreachable = log(local(22, 16, 30), Channel.PHONE, None, Result.CALL_BACK)
    log(local(22, 17), Channel.PHONE, service, Result.CALL_BACK)  # never called: overdue
    services.log_consultation(
        hall=other_hall,
        user=other_hall_clerk,
        channel=Channel.PHONE,
        service=None,
        topic="别处",
        now=local(22, 9),
        result=Result.ANSWERED,
    )
    answered = AttemptResult.ANSWERED
    services.record_attempt(call_back=on_time, user=clerk, result=answered, now=local(23, 17, 30))
    services.record_attempt(call_back=late, user=clerk, result=answered, now=local(24, 9))
    services.record_attempt(
        call_back=unreachable, user=clerk, result=AttemptResult.NO_ANSWER, now=local(23, 9)
    )
    services.mark_unreachable(call_back=unreachable, user=clerk, now=local(23, 9))
    return proof


def test_figures_of_a_day_count_by_channel_service_and_result(hall, day):
    result = figures.build(hall, dt.date(2025, 9, 22), dt.date(2025, 9, 22), NOW)

    assert result.total == 6
    assert result.by_channel == [("phone", 4), ("online message", 1), ("walk-up", 1)]
    assert result.by_result == [("answered", 2), ("call back needed", 4)]
    assert result.by_service == [
        ("A ID card renewal", 3),
        ("General question", 2),
        ("B Household certificate", 1),
    ]
    assert result.call_backs == figures.CallBackFigures()  # none was due on the Monday


def test_figures_count_call_backs_due_in_the_period_on_time_and_late(hall, day):
    result = figures.build(hall, dt.date(2025, 9, 23), dt.date(2025, 9, 23), NOW)

    assert result.total == 0
    assert result.call_backs == figures.CallBackFigures(
        due=4, on_time=1, late=1, unreachable=1, open=1, overdue=1
    )


def test_figures_of_a_range_use_the_halls_local_days(hall, day):
    result = figures.build(hall, dt.date(2025, 9, 21), dt.date(2025, 9, 23), NOW)

    assert result.total == 7
    assert result.by_channel == [("phone", 5), ("online message", 1), ("walk-up", 1)]
    assert result.by_service == [
        ("A ID card renewal", 3),
        ("B Household certificate", 2),
        ("General question", 2),
    ]
    assert (result.call_backs.due, result.call_backs.on_time, result.call_backs.late) == (4, 1, 1)


def test_a_closed_call_back_still_counts_as_answered_on_time(hall, day, clerk, supervisor):
    from consultations.models import CallBack

    services.close_call_back(
        call_back=CallBack.objects.get(done_at=local(23, 17, 30)), user=supervisor, now=NOW
    )

    result = figures.build(hall, dt.date(2025, 9, 23), dt.date(2025, 9, 23), NOW)

    assert (result.call_backs.on_time, result.call_backs.late, result.call_backs.open) == (1, 1, 1)


def test_reports_page_shows_the_figures(hall, day, supervisor):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(supervisor)

    response = client.get(
        reverse("reports:consultations", args=[hall.slug]) + "?from=2025-09-22&to=2025-09-23"
    )

    page = response.content.decode()
    assert response.context["figures"].total == 6
    assert '<dd data-figure="consultations">6</dd>' in page
    assert '<dd data-figure="call_backs_on_time">1</dd>' in page
    assert '<dd data-figure="call_backs_late">1</dd>' in page
    assert '<th scope="row">Walk-up</th><td class="num">1</td>' in page


def test_reports_page_refuses_a_bad_period_with_a_message(hall, supervisor):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(supervisor)

    response = client.get(reverse("reports:consultations", args=[hall.slug]) + "?date=2025-13-40")

    assert response.status_code == 200
    assert "Enter dates as YYYY-MM-DD, for example 2026-11-24." in response.content.decode()


def test_reports_nav_links_the_consultations_page(hall, supervisor):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(supervisor)

    page = client.get(reverse("reports:dashboard", args=[hall.slug])).content.decode()

    assert f'href="{reverse("reports:consultations", args=[hall.slug])}"' in page


def test_reports_page_is_for_the_halls_supervisors_only(hall, clerk, other_hall_supervisor):
    url = reverse("reports:consultations", args=[hall.slug])
    clerk_client, stranger = Client(), Client()
    clerk_client.force_login(clerk)
    stranger.force_login(other_hall_supervisor)

    assert (clerk_client.get(url).status_code, stranger.get(url).status_code) == (403, 404)
