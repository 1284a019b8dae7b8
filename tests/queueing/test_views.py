import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains, assertRedirects

from appointments.models import BookingState
from queueing import calls, services, spacing
from queueing.models import Ticket, WalkInQuota
from queueing.services import Actor
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_staff
from tests.queueing.helpers import book, make_hall_open_today

pytestmark = pytest.mark.django_db
KIOSK = Actor("kiosk")


@pytest.fixture
def client(client):
    """A browser that asks for English, so that assertions do not depend on compiled Chinese."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def hall():
    return make_hall_open_today(seat_rows=2, seats_per_row=4)


@pytest.fixture
def service(hall):
    return make_service(hall, average_handling_minutes=12)


@pytest.fixture
def clerk(hall):
    return make_staff(hall)


@pytest.fixture
def counter(hall, service):
    return make_counter(hall, 1, [service])


@pytest.fixture
def clerk_client(clerk):
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(clerk)
    return client


def walk_in(service, **kw):
    return services.issue_walk_in(hall=service.hall, service=service, actor=KIOSK, **kw)


def kiosk_url(name, hall, *args):
    return reverse(f"queueing:{name}", args=[hall.slug, *args])


def seat_text(ticket):
    row, number = spacing.parse_seat(ticket.seat)
    return f"Seat row {row}, no. {number}"


# Kiosk: check-in


def test_kiosk_check_in_on_time_shows_ticket_with_number_seat_and_people_ahead(
    client, hall, service, counter
):
    walk_in(service, green_channel="elderly")  # the green channel goes first: one person ahead
    booking = book(service, timezone.now() - dt.timedelta(minutes=5))

    response = client.post(kiosk_url("kiosk_check_in", hall), {"code": booking.code.lower()}, follow=True)

    ticket = Ticket.objects.get(booking=booking)
    assert response.redirect_chain == [(kiosk_url("kiosk_ticket", hall, ticket.token), 302)]
    html = response.content.decode()
    assertInHTML('<p class="slip-number" id="ticket-number">A002</p>', html)
    assertInHTML('<dd class="slip-ahead">1</dd>', html)
    assertInHTML('<dd class="slip-wait">about 12 minutes</dd>', html)  # no window open: reckoned as one
    assertInHTML(f'<p class="slip-seat">{seat_text(ticket)}</p>', html)
    assertContains(response, reverse("queueing:ticket_print", args=[ticket.token]))
    booking.refresh_from_db()
    assert booking.state == BookingState.CHECKED_IN


def test_kiosk_check_in_too_early_says_when_to_come_back(client, hall, service):
    start = timezone.now() + dt.timedelta(hours=3)
    booking = book(service, start)
    opens = timezone.localtime(start - dt.timedelta(minutes=30), hall.tz).strftime("%H:%M")

    response = client.post(kiosk_url("kiosk_check_in", hall), {"code": booking.code})

    message = f"You are early. Check-in for your booking opens at {opens}."
    assertInHTML(f'<li><a href="#id_code">{message}</a></li>', response.content.decode())
    assert Ticket.objects.count() == 0


def test_kiosk_check_in_too_late_offers_a_walk_in_ticket(client, hall, service):
    booking = book(service, timezone.now() - dt.timedelta(hours=2))

    response = client.post(kiosk_url("kiosk_check_in", hall), {"code": booking.code})
    offered = client.post(kiosk_url("kiosk_walk_in", hall), {"service": service.pk})

    assertContains(response, "Your booked time has passed. You can take a walk-in ticket instead.")
    assertInHTML(
        f'<button type="submit" class="kiosk-button" name="service" value="{service.pk}">'
        "Take a walk-in ticket for ID card renewal</button>",
        response.content.decode(),
    )
    ticket = Ticket.objects.get()
    assert (ticket.kind, ticket.booking) == ("walk_in", None)
    assertRedirects(offered, kiosk_url("kiosk_ticket", hall, ticket.token))


def test_kiosk_check_in_without_code_says_what_to_enter(client, hall):
    response = client.post(kiosk_url("kiosk_check_in", hall), {"code": " "})

    assertInHTML(
        '<li><a href="#id_code">Enter the booking code from your text message or booking page.</a></li>',
        response.content.decode(),
    )


def test_kiosk_posts_need_the_csrf_token(hall, service):
    kiosk = Client(enforce_csrf_checks=True)

    response = kiosk.post(kiosk_url("kiosk_walk_in", hall), {"service": service.pk})

    assert (response.status_code, Ticket.objects.count()) == (403, 0)


# Kiosk: walk-ins


def test_kiosk_walk_in_issues_a_ticket(client, hall, service):
    response = client.post(kiosk_url("kiosk_walk_in", hall), {"service": service.pk}, follow=True)

    ticket = Ticket.objects.get()
    assert (ticket.number, ticket.kind, ticket.green_channel, ticket.language) == (
        "A001",
        "walk_in",
        "",
        "en",
    )
    assertInHTML('<p class="slip-number" id="ticket-number">A001</p>', response.content.decode())
    assertInHTML('<dd class="slip-wait">You are next</dd>', response.content.decode())


def test_kiosk_walk_in_ignores_green_channel_from_the_public(client, hall, service):
    client.post(kiosk_url("kiosk_walk_in", hall), {"service": service.pk, "green_channel": "elderly"})

    assert Ticket.objects.get().green_channel == ""


def test_kiosk_walk_in_quota_exhausted_says_so(client, hall, service):
    WalkInQuota.objects.create(service=service, per_day=1, per_hour=10)
    walk_in(service)

    response = client.post(kiosk_url("kiosk_walk_in", hall), {"service": service.pk})

    assertInHTML(
        '<li><a href="#id_service_0">All tickets for this service have been given out today.</a></li>',
        response.content.decode(),
    )
    assert Ticket.objects.count() == 1


def test_kiosk_walk_in_lists_only_this_halls_active_services(client, hall, service):
    make_service(hall, code="old", prefix="Z", name_en="Old service", active=False)
    other = make_service(make_hall(slug="south"), code="cert", prefix="B", name_en="South certificate")

    response = client.get(kiosk_url("kiosk_walk_in", hall))
    refused = client.post(kiosk_url("kiosk_walk_in", hall), {"service": other.pk})

    assertContains(response, "ID card renewal")
    assertNotContains(response, "Old service")
    assertNotContains(response, "South certificate")
    assertContains(refused, "Choose what you have come for.")
    assert Ticket.objects.count() == 0


# Kiosk: 导办 mode


def test_guide_mode_requires_staff_login(client, hall, service):
    response = client.post(
        kiosk_url("kiosk_guide", hall), {"service": service.pk, "green_channel": "elderly"}
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert Ticket.objects.count() == 0


def test_guide_mode_is_404_for_another_halls_staff(hall, service):
    other_hall_clerk = make_staff(make_hall(slug="south"), "other_hall_clerk")
    client = Client()
    client.force_login(other_hall_clerk)

    response = client.post(
        kiosk_url("kiosk_guide", hall), {"service": service.pk, "green_channel": "elderly"}
    )

    assert (response.status_code, Ticket.objects.count()) == (404, 0)


def test_guide_mode_issues_green_channel_ticket_with_mobile(clerk_client, hall, service):
    response = clerk_client.post(
        kiosk_url("kiosk_guide", hall),
        {"service": service.pk, "green_channel": "elderly", "id_number": "", "phone": "13800138000"},
    )

    ticket = Ticket.objects.get()
    assertRedirects(response, kiosk_url("kiosk_ticket", hall, ticket.token))
    assert (ticket.green_channel, str(ticket.phone), ticket.events.get().actor.username) == (
        "elderly",
        "+8613800138000",
        "clerk",
    )


def test_guide_mode_duplicate_shows_the_existing_ticket(clerk_client, hall, service):
    data = {"service": service.pk, "green_channel": "", "id_number": make_id_number(7), "phone": ""}
    clerk_client.post(kiosk_url("kiosk_guide", hall), data)

    response = clerk_client.post(kiosk_url("kiosk_guide", hall), data, follow=True)

    first = Ticket.objects.get()
    assert response.redirect_chain == [(kiosk_url("kiosk_ticket", hall, first.token), 302)]
    assertContains(response, "You already hold a ticket for this service: A001.")


def test_guide_mode_refuses_a_wrong_id_number(clerk_client, hall, service):
    response = clerk_client.post(
        kiosk_url("kiosk_guide", hall), {"service": service.pk, "green_channel": "", "id_number": "12345"}
    )

    assertContains(response, "A resident ID number has 18 characters: 17 digits and a last digit or X.")
    assert Ticket.objects.count() == 0


# The ticket


def test_print_page_shows_number_people_ahead_seat_and_qr(client, hall, service):
    walk_in(service)
    ticket = walk_in(service)

    response = client.get(reverse("queueing:ticket_print", args=[ticket.token]))

    html = response.content.decode()
    assertInHTML('<p class="slip-number" id="ticket-number">A002</p>', html)
    assertInHTML('<dd class="slip-ahead">1</dd>', html)
    assertInHTML(f'<p class="slip-seat">{seat_text(ticket)}</p>', html)
    assert '<svg role="img" viewBox=' in html
    assert "<script>" not in html and "style=" not in html


def test_ticket_waiting_outside_is_told_so(client, hall, service):
    hall.max_waiting_inside = 0
    hall.save()
    ticket = walk_in(service)

    response = client.get(reverse("queueing:ticket_print", args=[ticket.token]))

    assertInHTML(
        '<p class="slip-seat">Please wait outside; scan the QR code to follow your turn.</p>',
        response.content.decode(),
    )


def test_live_ticket_page_shows_window_when_called(client, hall, service, counter, clerk):
    ticket = walk_in(service)
    calls.open_counter(counter=counter, actor=Actor("console", clerk))
    calls.call_next(counter=counter, actor=Actor("console", clerk))

    response = client.get(reverse("queueing:ticket", args=[ticket.token]))

    assertInHTML('<h1 class="live-number">A001</h1>', response.content.decode())
    assertContains(response, "Please, number A001, to window 1.")


def test_unknown_ticket_token_is_404(client):
    assert client.get(reverse("queueing:ticket_print", args=["nope"])).status_code == 404


def test_kiosk_ticket_of_another_hall_is_404(client, hall, service):
    ticket = walk_in(service)
    make_hall(slug="south")

    response = client.get(reverse("queueing:kiosk_ticket", args=["south", ticket.token]))

    assert response.status_code == 404
