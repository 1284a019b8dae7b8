"""Hours at the door (issue 16, item 3): walk-in tickets only while the hall is open and before each
service's last-ticket time, through every way of issuing one: the service, the kiosk, 导办 and the API."""

import datetime as dt
import json
import zoneinfo

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pytest_django.asserts import assertContains, assertNotContains

from hall.models import ApiToken, ExtraSession
from queueing import calls, hours, walkins
from queueing.models import QueueRules, Ticket, WalkInQuota
from queueing.services import Actor, QueueError
from tests.makers import make_counter, make_hall, make_service, make_staff, make_weekday_hours, pair_client
from tests.queueing.helpers import make_hall_open_today

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
KIOSK = Actor("kiosk")
TUESDAY = dt.date(2026, 11, 24)
WEEKDAYS_ZH = "一二三四五六日"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def chinese(instant: dt.datetime) -> str:
    weekday = WEEKDAYS_ZH[instant.weekday()]
    return f"{instant.year}年{instant.month}月{instant.day}日 星期{weekday} {instant:%H:%M}"


@pytest.fixture
def hall():
    hall = make_hall()
    make_weekday_hours(hall)  # Monday to Friday 08:30–17:30
    return hall


@pytest.fixture
def service(hall):
    return make_service(hall)


def refusal(hall, service, now) -> QueueError:
    with translation.override("zh-hans"), pytest.raises(QueueError) as caught:
        walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=now)
    return caught.value


def test_walk_in_at_3am_on_national_day_refused_with_next_opening(hall, service):
    error = refusal(hall, service, at(dt.date(2026, 10, 1), 3))
    assert error.code == "hall_closed"
    assert "2026年10月8日 星期四 08:30" in error.message  # the holiday week ends on Wednesday 7 October
    assert not Ticket.objects.exists()


def test_walk_in_at_737_on_a_sunday_refused_with_mondays_opening(hall, service):
    error = refusal(hall, service, at(dt.date(2026, 12, 6), 7, 37))
    assert error.code == "hall_closed"
    assert "2026年12月7日 星期一 08:30" in error.message
    assert not Ticket.objects.exists()


def test_walk_in_before_opening_on_a_workday_refused(hall, service):
    assert refusal(hall, service, at(TUESDAY, 8, 29)).code == "hall_closed"
    assert (
        walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=at(TUESDAY, 8, 30)).ticket.number
        == "A001"
    )


def test_walk_in_at_closing_time_refused_with_next_mornings_opening(hall, service):
    error = refusal(hall, service, at(TUESDAY, 17, 30))
    assert error.code == "hall_closed"
    assert "2026年11月25日 星期三 08:30" in error.message


def test_walk_in_after_the_cut_off_refused_and_just_before_issued(hall, service):
    walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=at(TUESDAY, 16, 59))
    error = refusal(hall, service, at(TUESDAY, 17, 0))  # 30 minutes before closing, by default
    assert error.code == "last_ticket_passed"
    assert "17:00" in error.message and "2026年11月25日 星期三 08:30" in error.message
    assert Ticket.objects.count() == 1


def test_hall_cut_off_setting_moves_the_last_ticket(hall, service):
    QueueRules.objects.create(hall=hall, last_ticket_minutes=90)
    assert refusal(hall, service, at(TUESDAY, 16, 0)).code == "last_ticket_passed"
    assert walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=at(TUESDAY, 15, 59)).ticket


def test_service_cut_off_overrides_the_halls(hall, service):
    other = make_service(hall, code="certificate", prefix="B", name_en="Certificate")
    WalkInQuota.objects.create(service=service, last_ticket_minutes=60)
    assert refusal(hall, service, at(TUESDAY, 16, 30)).code == "last_ticket_passed"
    assert (
        walkins.issue_walk_in(hall=hall, service=other, actor=KIOSK, now=at(TUESDAY, 16, 30)).ticket.number
        == "B001"
    )


def test_estimate_stops_walk_ins_before_the_cut_off(hall, service):
    """Six waiting at 10 minutes each (spread 5) with one counter open: a new ticket would wait about an
    hour (most of the 40 plays call it within 5 minutes of 51), so the last one is at 16:39, before the
    fixed cut-off at 17:00."""
    clerk = make_staff(hall)
    counter = make_counter(hall, 1, [service])
    calls.open_counter(counter=counter, actor=Actor("console", clerk), now=at(TUESDAY, 9))
    for minute in range(6):
        walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=at(TUESDAY, 16, minute))
    error = refusal(hall, service, at(TUESDAY, 16, 40))
    assert error.code == "last_ticket_passed"
    assert "16:39" in error.message


def test_estimate_rule_can_be_switched_off(hall, service):
    QueueRules.objects.create(hall=hall, stop_by_estimate=False)
    for minute in range(6):
        walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=at(TUESDAY, 16, minute))
    assert (
        walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=at(TUESDAY, 16, 30)).ticket.number
        == "A007"
    )


def test_extra_session_on_a_sunday_opens_the_door(hall, service):
    sunday = dt.date(2026, 12, 6)
    ExtraSession.objects.create(hall=hall, date=sunday, start=dt.time(9), end=dt.time(12), reason="周末值班")
    assert (
        walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=at(sunday, 9, 15)).ticket.number
        == "A001"
    )
    assert refusal(hall, service, at(sunday, 11, 45)).code == "last_ticket_passed"


def test_touching_sessions_close_at_the_end_of_the_last(hall):
    ExtraSession.objects.create(
        hall=hall, date=TUESDAY, start=dt.time(17, 30), end=dt.time(19), reason="延时"
    )
    door = hours.door(hall.schedule(), at(TUESDAY, 17, 0))
    assert door.closing == at(TUESDAY, 19)


# The pages and the API run on the real clock: halls closed, or past their last ticket, all day today.


@pytest.fixture
def client(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


@pytest.fixture
def closed_hall():
    """Closed today whatever the hour; open the day after tomorrow from 09:00."""
    hall = make_hall("closed")
    ExtraSession.objects.create(
        hall=hall,
        date=timezone.localdate() + dt.timedelta(days=2),
        start=dt.time(9),
        end=dt.time(12),
        reason="x",
    )
    return hall


@pytest.fixture
def late_hall():
    """Open all day today, but every walk-in's last ticket has passed; open again the day after tomorrow."""
    hall = make_hall_open_today(slug="late")
    QueueRules.objects.filter(hall=hall).update(last_ticket_minutes=24 * 60)
    ExtraSession.objects.create(
        hall=hall,
        date=timezone.localdate() + dt.timedelta(days=2),
        start=dt.time(9),
        end=dt.time(12),
        reason="x",
    )
    return hall


def next_opening_text() -> str:
    day = timezone.localdate() + dt.timedelta(days=2)
    return chinese(at(day, 9))


def test_kiosk_when_closed_offers_no_ticket_but_the_next_opening_and_booking_link(client, closed_hall):
    make_service(closed_hall)
    pair_client(client, closed_hall)
    page = client.get(reverse("queueing:kiosk", args=[closed_hall.slug]))
    assertContains(page, "当前非办公时间")
    assertContains(page, next_opening_text())
    assertContains(page, reverse("hall:home", args=[closed_hall.slug]))
    assertNotContains(page, reverse("queueing:kiosk_walk_in", args=[closed_hall.slug]))


def test_kiosk_walk_in_post_when_closed_issues_nothing(client, closed_hall):
    service = make_service(closed_hall)
    pair_client(client, closed_hall)
    url = reverse("queueing:kiosk_walk_in", args=[closed_hall.slug])
    page = client.post(url, {"service": service.pk})
    assert page.status_code == 200
    assertContains(page, next_opening_text(), count=2)  # in the error and in the panel
    assert not Ticket.objects.exists()


def test_kiosk_walk_in_after_the_cut_off_issues_nothing(client, late_hall):
    service = make_service(late_hall)
    pair_client(client, late_hall)
    page = client.post(reverse("queueing:kiosk_walk_in", args=[late_hall.slug]), {"service": service.pk})
    assertContains(page, "最后取号时间")
    assertContains(page, next_opening_text(), count=2)
    assertContains(page, reverse("hall:home", args=[late_hall.slug]))
    assert not Ticket.objects.exists()


def test_front_desk_guide_when_closed_issues_nothing(closed_hall):
    service = make_service(closed_hall)
    staff = Client()
    staff.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    staff.force_login(make_staff(closed_hall))
    page = staff.post(
        reverse("queueing:kiosk_guide", args=[closed_hall.slug]),
        {"service": service.pk, "green_channel": "elderly"},
    )
    assertContains(page, "当前非办公时间")
    assert not Ticket.objects.exists()


def test_front_desk_guide_after_the_cut_off_issues_nothing(late_hall):
    service = make_service(late_hall)
    staff = Client()
    staff.force_login(make_staff(late_hall))
    page = staff.post(reverse("queueing:kiosk_guide", args=[late_hall.slug]), {"service": service.pk})
    assertContains(page, "最后取号时间")
    assert not Ticket.objects.exists()


def post_ticket(client, hall, key, service):
    return client.post(
        f"/api/v1/halls/{hall.slug}/tickets",
        json.dumps({"service": service.code}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def kiosk_key(hall):
    return ApiToken.objects.issue(
        user=User.objects.create_user(f"kiosk-{hall.slug}"), hall=hall, name="kiosk"
    )[1]


def test_api_walk_in_when_closed_is_409_hall_closed(client, settings, closed_hall):
    settings.RATE_LIMITS = False
    service = make_service(closed_hall)
    answer = post_ticket(client, closed_hall, kiosk_key(closed_hall), service)
    assert answer.status_code == 409
    body = answer.json()
    assert body["error"] == "hall_closed"
    assert (
        body["message"]
        == f"当前非办公时间。下次办公时间：{next_opening_text()}。您也可以在网上预约办理时间。"
    )
    assert body["fields"] == {"service": body["message"]}
    assert not Ticket.objects.exists()


def test_api_walk_in_after_the_cut_off_is_409_last_ticket_passed(client, settings, late_hall):
    settings.RATE_LIMITS = False
    service = make_service(late_hall)
    answer = post_ticket(client, late_hall, kiosk_key(late_hall), service)
    assert answer.status_code == 409
    assert answer.json()["error"] == "last_ticket_passed"
    assert answer.json()["message"].startswith("本业务现已停止现场取号")
    assert next_opening_text() in answer.json()["message"]
    assert not Ticket.objects.exists()
