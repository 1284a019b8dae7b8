"""Only a paired kiosk gives out tickets and checks bookings in, within its limits (issue 16)."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from appointments.models import BookingState, Slot
from hall.models import AuditAction, AuditEntry, Device, PrinterTrouble
from queueing.models import Ticket
from tests.makers import make_service, make_staff, pair_client
from tests.queueing.helpers import book, make_hall_open_today

pytestmark = pytest.mark.django_db

NOT_SET_UP = "This screen is not set up"


@pytest.fixture
def hall():
    return make_hall_open_today(kiosk_tickets_per_minute=3, kiosk_wrong_codes_per_minute=3)


@pytest.fixture
def service(hall):
    return make_service(hall)


def english(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def anonymous():
    return english(Client())


@pytest.fixture
def kiosk(hall):
    client = english(Client())
    client.device = pair_client(client, hall)
    return client


def url(name, hall):
    return reverse(f"queueing:{name}", args=[hall.slug])


# Anyone without a paired kiosk: no ticket, no check-in, no oracle


def test_anonymous_walk_in_post_gets_no_ticket(anonymous, hall, service):
    responses = [anonymous.post(url("kiosk_walk_in", hall), {"service": service.pk}) for _ in range(5)]

    assert {r.status_code for r in responses} == {403}
    assertContains(responses[0], NOT_SET_UP, status_code=403)
    assert Ticket.objects.count() == 0


def test_anonymous_check_in_post_checks_nothing_in(anonymous, hall, service):
    booking = book(service, timezone.now())

    response = anonymous.post(url("kiosk_check_in", hall), {"code": booking.code})

    assertContains(response, NOT_SET_UP, status_code=403)
    booking.refresh_from_db()
    assert booking.state == BookingState.BOOKED
    assert Ticket.objects.count() == 0


def test_anonymous_code_guesses_cannot_tell_a_real_booking_from_none(anonymous, hall, service):
    another_day = book(service, timezone.now())
    Slot.objects.filter(pk=another_day.slot_id).update(date=timezone.localdate() + dt.timedelta(days=3))
    another_day.refresh_from_db()

    def answer(code):
        response = anonymous.post(url("kiosk_check_in", hall), {"code": code})
        body = response.content.decode()
        # the pairing code, QR and token differ per page; the words a guesser reads must not
        told = ("No booking with this code", "This booking is for", another_day.slot.date.isoformat())
        return response.status_code, [text in body for text in told]

    assert answer(another_day.code) == answer("ZZZZ9999") == (403, [False, False, False])


def test_anonymous_refusals_are_audited_once_a_minute(anonymous, hall, service):
    for _ in range(3):
        anonymous.post(url("kiosk_walk_in", hall), {"service": service.pk})

    entries = AuditEntry.objects.filter(hall=hall, action=AuditAction.DEVICE_REFUSED)
    assert [e.detail for e in entries] == ["kiosk post"]


def test_unpaired_kiosk_page_shows_code_and_qr_instead_of_choices(anonymous, hall):
    response = anonymous.get(url("kiosk", hall))

    assertContains(response, NOT_SET_UP)
    assertContains(response, 'class="qr-code"')
    assertNotContains(response, url("kiosk_walk_in", hall))


def test_a_board_key_does_not_work_at_the_kiosk(hall, service):
    board = english(Client())
    pair_client(board, hall, "board")

    response = board.post(url("kiosk_walk_in", hall), {"service": service.pk})

    assert response.status_code == 403
    assert Ticket.objects.count() == 0


def test_a_revoked_kiosk_issues_nothing(kiosk, hall, service):
    Device.objects.filter(pk=kiosk.device.pk).update(key_hash=None)

    response = kiosk.post(url("kiosk_walk_in", hall), {"service": service.pk})

    assertContains(response, NOT_SET_UP, status_code=403)
    assert Ticket.objects.count() == 0


# A paired kiosk's limits


def test_paired_kiosk_issues_a_ticket_and_is_seen(kiosk, hall, service):
    response = kiosk.post(url("kiosk_walk_in", hall), {"service": service.pk})

    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("queueing:kiosk_ticket", args=[hall.slug, ticket.token])
    kiosk.device.refresh_from_db()
    assert kiosk.device.last_seen_at is not None


def test_paired_kiosk_pauses_after_its_tickets_for_the_minute(kiosk, hall, service):
    for _ in range(3):
        kiosk.post(url("kiosk_walk_in", hall), {"service": service.pk})

    response = kiosk.post(url("kiosk_walk_in", hall), {"service": service.pk})

    assertContains(response, "has given out many tickets in the last minute")
    assert Ticket.objects.count() == 3


def test_paired_kiosk_pauses_check_in_after_wrong_codes(kiosk, hall, service):
    booking = book(service, timezone.now())
    answers = [kiosk.post(url("kiosk_check_in", hall), {"code": f"WRONG00{n}"}) for n in range(3)]

    after = kiosk.post(url("kiosk_check_in", hall), {"code": booking.code})

    assertContains(answers[0], "No booking with this code")
    assertContains(answers[2], "Too many wrong booking codes")
    assertContains(after, "Too many wrong booking codes")
    booking.refresh_from_db()
    assert booking.state == BookingState.BOOKED
    assert AuditEntry.objects.filter(action=AuditAction.DEVICE_REFUSED, detail="wrong codes").count() == 1


# The printer


def test_printer_trouble_stops_the_kiosk_and_shows_on_the_dashboard(kiosk, hall, service):
    supervisor = english(Client())
    supervisor.force_login(make_staff(hall, "boss", role="supervisor"))

    reported = kiosk.post(url("kiosk_printer", hall), {"trouble": PrinterTrouble.NOT_PRINTED})
    refused = kiosk.post(url("kiosk_walk_in", hall), {"service": service.pk})
    dashboard = supervisor.get(reverse("reports:dashboard", args=[hall.slug]))

    assert reported.status_code == 204
    assertContains(refused, "This machine cannot print tickets now", count=2)  # the notice and the error
    assert Ticket.objects.count() == 0
    assertContains(dashboard, "Kiosk printer trouble")
    assertContains(dashboard, kiosk.device.name)


def test_printer_fixed_by_the_supervisor_lets_the_kiosk_issue_again(kiosk, hall, service):
    supervisor = english(Client())
    supervisor.force_login(make_staff(hall, "boss", role="supervisor"))
    kiosk.post(url("kiosk_printer", hall), {"trouble": PrinterTrouble.PRINT_FAILED})

    supervisor.post(reverse("reports:device_printer_fixed", args=[hall.slug, kiosk.device.pk]))
    kiosk.post(url("kiosk_walk_in", hall), {"service": service.pk})

    assert Ticket.objects.count() == 1
    printer = AuditEntry.objects.filter(hall=hall, action__startswith="printer_")
    assert list(printer.values_list("action", flat=True)) == [
        AuditAction.PRINTER_FIXED,
        AuditAction.PRINTER_TROUBLE,
    ]


def test_printer_report_without_a_paired_kiosk_changes_nothing(anonymous, kiosk, hall):
    response = anonymous.post(url("kiosk_printer", hall), {"trouble": PrinterTrouble.PRINT_FAILED})

    assert response.status_code == 403
    kiosk.device.refresh_from_db()
    assert kiosk.device.printer_trouble == ""
