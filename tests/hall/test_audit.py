"""The audit log's records: sign-in and sign-out, windows opened and closed (console and API), report
exports, and the logged reveal of a citizen's full mobile number."""

import datetime as dt
import io

import phonenumbers
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from appointments.models import Booking
from hall.models import ApiToken, AuditAction, AuditEntry
from queueing import calls
from queueing.services import Actor
from reports.models import FollowUp
from tests.makers import make_counter, make_hall, make_service, make_staff
from tests.queueing.helpers import make_hall_open_today
from tests.reports.day import build_day

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-only"


@pytest.fixture
def hall():
    return make_hall_open_today()


@pytest.fixture
def counter(hall):
    return make_counter(hall, 3, [make_service(hall)])


@pytest.fixture
def clerk(hall):
    return make_staff(hall, "clerk")


def english_client(user=None) -> Client:
    client = Client(REMOTE_ADDR="10.1.2.3")
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
        AuditEntry.objects.all().delete()  # force_login signs in too; tests look at what follows
    return client


def entries(**filters):
    return list(
        AuditEntry.objects.filter(**filters)
        .order_by("id")
        .values_list("hall__slug", "actor__username", "action", "object_type", "object_id", "detail", "ip")
    )


# Sign-in and sign-out


def test_sign_in_is_recorded_with_hall_and_address(hall, clerk):
    client = english_client()

    response = client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})

    assert response.status_code == 302
    assert entries() == [("north", "clerk", AuditAction.SIGNED_IN, "", "", "", "10.1.2.3")]


def test_sign_out_is_recorded(hall, clerk):
    client = english_client(clerk)

    client.post(reverse("logout"))

    assert entries() == [("north", "clerk", AuditAction.SIGNED_OUT, "", "", "", "10.1.2.3")]


def test_refused_sign_in_of_a_staff_account_names_the_account(hall, clerk):
    response = english_client().post(reverse("login"), {"username": "clerk", "password": "wrong"})

    assert response.status_code == 200
    assert entries() == [("north", "clerk", AuditAction.SIGN_IN_FAILED, "", "", "", "10.1.2.3")]


def test_refused_sign_in_of_an_unknown_name_keeps_no_name(hall):
    english_client().post(reverse("login"), {"username": "pa55word-typed-here", "password": "x"})

    assert entries() == [(None, None, AuditAction.SIGN_IN_FAILED, "", "", "", "10.1.2.3")]
    assert not AuditEntry.objects.filter(detail__contains="pa55word").exists()


def test_sign_in_of_an_administrator_without_a_hall_is_recorded_without_hall(hall):
    from django.contrib.auth.models import User

    User.objects.create_superuser("root", password=PASSWORD)

    english_client().post(reverse("login"), {"username": "root", "password": PASSWORD})

    assert entries() == [(None, "root", AuditAction.SIGNED_IN, "", "", "", "10.1.2.3")]


# Windows (console)


def test_console_open_pause_resume_close_are_recorded_in_order(hall, counter, clerk):
    client = english_client(clerk)
    state_url = reverse("queueing:counter_state", args=[counter.pk])

    client.post(reverse("queueing:open_counter", args=[counter.pk]))
    client.post(state_url, {"state": "paused"})
    client.post(state_url, {"state": "open"})
    client.post(state_url, {"state": "closed"})

    counter_id = str(counter.pk)
    assert entries() == [
        ("north", "clerk", AuditAction.COUNTER_OPENED, "hall.counter", counter_id, "", "10.1.2.3"),
        ("north", "clerk", AuditAction.COUNTER_PAUSED, "hall.counter", counter_id, "", "10.1.2.3"),
        ("north", "clerk", AuditAction.COUNTER_RESUMED, "hall.counter", counter_id, "", "10.1.2.3"),
        ("north", "clerk", AuditAction.COUNTER_CLOSED, "hall.counter", counter_id, "", "10.1.2.3"),
    ]


def test_refused_open_and_close_are_not_recorded(hall, counter, clerk):
    other = make_staff(hall, "other")
    calls.open_counter(counter=counter, actor=Actor("console", user=other))
    client = english_client(clerk)

    client.post(reverse("queueing:open_counter", args=[counter.pk]))  # taken by the other clerk
    client.post(reverse("queueing:counter_state", args=[counter.pk]), {"state": "closed"})

    assert entries() == []


# Windows (API, with a device token)


def test_api_open_and_close_are_recorded_for_the_tokens_user(hall, counter, clerk):
    _token, key = ApiToken.objects.issue(user=clerk, hall=hall, name="keypad 3")
    client = Client(REMOTE_ADDR="10.9.9.9", HTTP_AUTHORIZATION=f"Bearer {key}")

    opened = client.post(f"/api/v1/counters/{counter.pk}/open")
    closed = client.post(f"/api/v1/counters/{counter.pk}/close")

    assert (opened.json()["state"], closed.json()["state"]) == ("open", "closed")
    counter_id = str(counter.pk)
    assert entries() == [
        ("north", "clerk", AuditAction.COUNTER_OPENED, "hall.counter", counter_id, "", "10.9.9.9"),
        ("north", "clerk", AuditAction.COUNTER_CLOSED, "hall.counter", counter_id, "", "10.9.9.9"),
    ]


# Report exports


def test_report_export_is_recorded_with_format_and_period(hall):
    supervisor = make_staff(hall, "boss", role="supervisor")
    client = english_client(supervisor)

    response = client.get(
        reverse("reports:export_csv", args=["north"]), {"from": "2026-11-02", "to": "2026-11-06"}
    )

    assert response.status_code == 200
    assert entries() == [
        ("north", "boss", AuditAction.REPORT_EXPORTED, "", "", "csv 2026-11-02..2026-11-06", "10.1.2.3")
    ]


def test_export_refused_to_window_staff_records_nothing(hall, clerk):
    response = english_client(clerk).get(reverse("reports:export_xlsx", args=["north"]))

    assert response.status_code == 403
    assert entries() == []


# Revealing a citizen's mobile on a follow-up case


@pytest.fixture
def day():
    return build_day()


@pytest.fixture
def case(day):
    case = FollowUp.objects.get(rating__ticket=day.tickets["B002"])
    ticket = case.rating.ticket
    ticket.phone = phonenumbers.parse("13812345678", "CN")
    ticket.save(update_fields=["phone"])
    return case


def test_follow_up_shows_the_mobile_masked_with_a_button(day, case):
    response = english_client(day.supervisor).get(reverse("reports:follow_up", args=["north", case.pk]))

    text = response.content.decode()
    assert "138****5678" in text
    assert "13812345678" not in text and "138 1234 5678" not in text
    assert reverse("reports:reveal_mobile", args=["north", case.pk]) in text
    assert entries() == []


def test_reveal_shows_the_full_number_and_logs_it(day, case):
    client = english_client(day.supervisor)

    response = client.post(reverse("reports:reveal_mobile", args=["north", case.pk]))

    assert response.status_code == 200
    assert "138 1234 5678" in response.content.decode()
    ticket_id = str(case.rating.ticket_id)
    assert entries() == [
        (
            "north",
            "north-supervisor",
            AuditAction.PHONE_REVEALED,
            "queueing.ticket",
            ticket_id,
            f"follow-up {case.pk}",
            "10.1.2.3",
        )
    ]
    # The next look at the case shows the mask again.
    again = client.get(reverse("reports:follow_up", args=["north", case.pk])).content.decode()
    assert "138****5678" in again and "138 1234 5678" not in again


def test_reveal_needs_a_post(day, case):
    response = english_client(day.supervisor).get(reverse("reports:reveal_mobile", args=["north", case.pk]))

    assert response.status_code == 405
    assert entries() == []


def test_reveal_refused_to_window_staff_and_other_halls(day, case):
    other_day = build_day("south")
    url = reverse("reports:reveal_mobile", args=["north", case.pk])

    by_clerk = english_client(day.clerk1).post(url)
    by_other_supervisor = english_client(other_day.supervisor).post(url)
    other_hall_case = english_client(other_day.supervisor).post(
        reverse("reports:reveal_mobile", args=["south", case.pk])
    )

    assert (by_clerk.status_code, by_other_supervisor.status_code, other_hall_case.status_code) == (
        403,
        404,
        404,
    )
    # Nothing is revealed; the last attempt (another hall's case by its number) is in the case's hall's log.
    refused = ("other_hall_refused", "reports.followup", str(case.pk), f"staff of hall {other_day.hall.pk}")
    assert entries() == [("north", "south-supervisor", *refused, None)]


def test_reveal_without_a_mobile_goes_back_to_the_case_and_logs_nothing(day, case):
    ticket = case.rating.ticket
    ticket.phone = ""
    ticket.save(update_fields=["phone"])

    response = english_client(day.supervisor).post(reverse("reports:reveal_mobile", args=["north", case.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("reports:follow_up", args=["north", case.pk])
    assert entries() == []


def test_record_keeps_only_the_first_200_characters_of_detail(hall):
    from hall import audit

    now = timezone.now() - dt.timedelta(hours=1)

    entry = audit.record(action=AuditAction.REPORT_EXPORTED, hall=hall, detail="x" * 300, now=now)

    entry.refresh_from_db()
    assert (entry.detail, entry.at, entry.actor) == ("x" * 200, now, None)


def test_exports_carry_no_citizens_data(day):
    Booking.objects.update(name="司马青云", phone="+8613765432109")
    client = english_client(day.supervisor)
    period = {"date": "2026-11-24"}

    csv_text = client.get(reverse("reports:export_csv", args=["north"]), period).content.decode("utf-8-sig")
    xlsx = client.get(reverse("reports:export_xlsx", args=["north"]), period).content
    cells = [
        str(cell)
        for sheet in load_workbook(io.BytesIO(xlsx))
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    ]

    assert "north-clerk1" in csv_text and "north-clerk1" in cells  # staff members are named, by design
    for text in (csv_text, " ".join(cells)):
        assert "司马青云" not in text and "13765432109" not in text and "5432109" not in text


@pytest.mark.parametrize(
    "path",
    ["/h/north/reports/", "/h/north/staff/people/", "/h/north/call-backs/all/", "/api/v1/halls/north/queue"],
)
def test_another_halls_supervisor_is_refused_and_the_hall_sees_the_attempt(hall, path):
    west = make_hall("west")
    intruder = make_staff(west, "west-boss", role="supervisor")
    client = Client()
    client.force_login(intruder)

    response = client.get(path)

    assert response.status_code == 404
    entry = AuditEntry.objects.get(action=AuditAction.OTHER_HALL_REFUSED)
    assert (entry.hall, entry.actor, entry.detail) == (hall, intruder, f"staff of hall {west.pk}")


def test_a_hall_that_does_not_exist_leaves_no_entry(hall):
    client = Client()
    client.force_login(make_staff(hall, "boss", role="supervisor"))

    response = client.get("/h/nowhere/reports/")

    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.OTHER_HALL_REFUSED).exists()
