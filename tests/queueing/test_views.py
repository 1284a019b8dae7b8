import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains, assertRedirects

from appointments.models import BookingState
from hall.models import Material
from notifications.models import Kind, Notification
from queueing import calls, services, spacing, walkins
from queueing.models import CounterSession, CounterState, Outcome, Ticket, TicketState, WalkInQuota
from queueing.services import Actor
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_staff, pair_client
from tests.queueing.helpers import book, make_hall_open_today

pytestmark = pytest.mark.django_db
KIOSK = Actor("kiosk")


@pytest.fixture
def client(client, hall):
    """The hall's paired kiosk, in a browser that asks for English (assertions do not depend on compiled
    Chinese)."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    pair_client(client, hall)
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
    return walkins.issue_walk_in(hall=service.hall, service=service, actor=KIOSK, **kw).ticket


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
    # No window open: no basis for an estimate yet (it was reckoned as one window before issue 19).
    assertInHTML('<dd class="slip-wait">No estimate yet: no window for this service is open</dd>', html)
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


def booked_for_another_day(service, day: dt.date):
    booking = book(service, timezone.now())
    booking.slot.date = day
    booking.slot.save()
    return booking


def test_kiosk_check_in_on_another_day_says_so_with_the_day_in_chinese_and_offers_a_walk_in(hall, service):
    booking = booked_for_another_day(service, dt.date(2030, 12, 9))  # a Monday
    kiosk = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    pair_client(kiosk, hall)

    response = kiosk.post(kiosk_url("kiosk_check_in", hall), {"code": booking.code})

    page = response.content.decode()
    assert "填写有误" not in page  # nothing was filled in wrong
    assertInHTML('<h2 id="another-day-title">您的预约不是今天</h2>', page)
    assertContains(response, "您的预约是12月9日（星期一），不是今天，请在当天前来办理。")
    assertContains(response, f'name="service" value="{service.pk}"')
    assert Ticket.objects.count() == 0


def test_kiosk_check_in_on_another_day_offers_no_walk_in_when_none_is_left(client, hall, service):
    WalkInQuota.objects.create(service=service, per_day=0, per_hour=0)
    booking = booked_for_another_day(service, dt.date(2030, 12, 9))

    response = client.post(kiosk_url("kiosk_check_in", hall), {"code": booking.code})

    assertContains(response, "Your booking is for Monday 9 December, not today. Please come on that day.")
    assertNotContains(response, 'name="service"')


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


# Console


def open_counter(counter, user):
    calls.open_counter(counter=counter, actor=Actor("console", user))


def console_url(name, counter, *args):
    return reverse(f"queueing:{name}", args=[counter.pk, *args])


def test_console_requires_login(client, counter):
    response = client.get(console_url("counter", counter))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_console_counter_of_another_hall_is_404(counter, service):
    other_hall_clerk = make_staff(make_hall(slug="south"), "other_hall_clerk")
    client = Client()
    client.force_login(other_hall_clerk)
    walk_in(service)

    page = client.get(console_url("counter", counter))
    opened = client.post(console_url("open_counter", counter))
    called = client.post(console_url("call_next", counter))

    assert (page.status_code, opened.status_code, called.status_code) == (404, 404, 404)
    assert Ticket.objects.get().state == TicketState.WAITING


def test_console_is_404_for_users_without_a_staff_row(counter, django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_user("citizen"))

    assert client.get(reverse("queueing:console")).status_code == 404


def test_console_lists_the_halls_counters(clerk_client, counter):
    make_counter(make_hall(slug="south"), 9, [])

    response = clerk_client.get(reverse("queueing:console"))

    assertContains(response, "Open window 1")
    assertNotContains(response, "Open window 9")


def test_console_open_counter_then_call_next_shows_current_ticket(clerk_client, clerk, counter, service):
    walk_in(service)

    clerk_client.post(console_url("open_counter", counter))
    response = clerk_client.post(console_url("call_next", counter), follow=True)

    html = response.content.decode()
    assertInHTML('<p class="current-number" data-current="A001">A001</p>', html)
    assertContains(response, "Please, number A001, to window 1.")
    assert Ticket.objects.get().state == TicketState.CALLED


def test_console_counter_taken_by_someone_else_says_so(clerk, counter, hall):
    open_counter(counter, clerk)
    clerk2 = make_staff(hall, "clerk2")
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(clerk2)

    response = client.post(console_url("open_counter", counter), follow=True)
    called = client.post(console_url("call_next", counter), follow=True)

    assertContains(response, "Someone else is working at this counter.")
    assertContains(called, "Someone else is working at this counter.")


def test_console_nobody_waiting(clerk_client, clerk, counter):
    open_counter(counter, clerk)

    response = clerk_client.post(console_url("call_next", counter), follow=True)

    assertContains(response, "Nobody is waiting for this window&#x27;s services.")


def test_console_pause_stops_calls(clerk_client, clerk, counter, service):
    open_counter(counter, clerk)
    walk_in(service)

    clerk_client.post(console_url("counter_state", counter), {"state": "paused"})
    response = clerk_client.post(console_url("call_next", counter), follow=True)

    assertContains(response, "Open the counter first.")
    assert CounterSession.objects.get(counter=counter).state == CounterState.PAUSED


def test_console_recall_until_no_show(clerk_client, clerk, counter, service):
    open_counter(counter, clerk)
    ticket = walk_in(service)
    calls.call_next(counter=counter, actor=Actor("console", clerk))
    url = console_url("ticket_action", counter, ticket.pk, "recall")

    messages = [[str(m) for m in clerk_client.post(url, follow=True).context["messages"]] for _ in range(3)]

    ticket.refresh_from_db()
    assert messages == [
        ["A001 called again (call 2 of 3)."],
        ["A001 called again (call 3 of 3)."],
        ["A001 did not come after 3 calls: marked as a no-show."],
    ]
    assert ticket.state == TicketState.NO_SHOW


def test_console_park_and_call_back(clerk_client, clerk, counter, service):
    open_counter(counter, clerk)
    ticket = walk_in(service)
    calls.call_next(counter=counter, actor=Actor("console", clerk))

    clerk_client.post(console_url("ticket_action", counter, ticket.pk, "start"))
    parked = clerk_client.post(console_url("ticket_action", counter, ticket.pk, "park"), follow=True)
    back = clerk_client.post(console_url("call_ticket", counter, ticket.pk), follow=True)

    assertContains(parked, "A001 is fetching papers: call them back from the parked list.")
    ticket.refresh_from_db()
    assert (ticket.state, ticket.counter, ticket.owner) == (TicketState.CALLED, counter, clerk)
    assertInHTML('<p class="current-number" data-current="A001">A001</p>', back.content.decode())


def test_console_lists_a_ticket_parked_before_anyone_served_it(clerk_client, clerk, counter, service):
    open_counter(counter, clerk)
    ticket = walk_in(service)
    calls.call_next(counter=counter, actor=Actor("console", clerk))

    response = clerk_client.post(console_url("ticket_action", counter, ticket.pk, "park"), follow=True)

    parked = response.content.decode().split('class="console-table parked-table"')[1].split("</table>")[0]
    assertInHTML('<th scope="row">A001</th>', parked)
    assertInHTML("<td>—</td>", parked)  # nobody has served it yet
    assert console_url("call_ticket", counter, ticket.pk) in parked


def test_console_transfer_to_another_service_with_note(clerk_client, clerk, counter, service, hall):
    moves = make_service(hall, code="move-in", prefix="C", name_en="Moving in")
    open_counter(counter, clerk)
    ticket = walk_in(service)
    calls.call_next(counter=counter, actor=Actor("console", clerk))

    response = clerk_client.post(
        console_url("transfer", counter, ticket.pk),
        {"service": moves.pk, "note": "also moving in"},
        follow=True,
    )

    new = Ticket.objects.get(transferred_from=ticket)
    assert (new.number, new.service, new.note, new.owner) == ("C001", moves, "also moving in", clerk)
    assertContains(response, "A001 sent on as C001: Moving in.")


def test_console_transfer_to_a_counter_that_does_not_serve_the_service(
    clerk_client, clerk, counter, service, hall
):
    other = make_counter(hall, 2, [])
    open_counter(counter, clerk)
    ticket = walk_in(service)
    calls.call_next(counter=counter, actor=Actor("console", clerk))

    response = clerk_client.post(console_url("transfer", counter, ticket.pk), {"counter": other.pk})

    assertContains(response, "Window 2 does not handle ID card renewal. Choose another window or service.")
    assert Ticket.objects.count() == 1


def test_console_action_on_a_ticket_of_another_counter_is_404(clerk_client, clerk, counter, service, hall):
    open_counter(counter, clerk)
    clerk2 = make_staff(hall, "clerk2")
    counter2 = make_counter(hall, 2, [service])
    open_counter(counter2, clerk2)
    ticket = walk_in(service)
    calls.call_next(counter=counter2, actor=Actor("console", clerk2))

    response = clerk_client.post(console_url("ticket_action", counter, ticket.pk, "done"))

    ticket.refresh_from_db()
    assert (response.status_code, ticket.state) == (404, TicketState.CALLED)


def test_console_complete_with_missing_materials_prints_slip(clerk_client, clerk, counter, service, hall):
    open_counter(counter, clerk)
    photo = Material.objects.create(
        service=service, name_en="Two photos", name_zh_hans="照片两张", position=1
    )
    booking = book(service, timezone.now() - dt.timedelta(minutes=5))
    ticket = services.check_in(hall=hall, code=booking.code, actor=KIOSK)
    calls.call_next(counter=counter, actor=Actor("console", clerk))
    booklet = service.materials.get(name_en="Household register booklet")

    response = clerk_client.post(
        console_url("missing_materials", counter, ticket.pk),
        {"missing": [booklet.pk, photo.pk], "missing_note": "Proof of address"},
        follow=True,
    )

    assert response.redirect_chain == [(console_url("slip", counter, ticket.pk), 302)]
    assertInHTML(
        '<ol class="slip-missing"><li>Household register booklet</li><li>Two photos</li>'
        "<li>Proof of address</li></ol>",
        response.content.decode(),
    )
    ticket.refresh_from_db()
    assert (ticket.state, ticket.outcome, ticket.owner) == (
        TicketState.DONE,
        Outcome.MATERIALS_MISSING,
        clerk,
    )
    assert Notification.objects.filter(kind=Kind.MATERIALS_MISSING, subject_id=ticket.pk).count() == 1


def test_console_missing_materials_needs_something_missing(clerk_client, clerk, counter, service):
    open_counter(counter, clerk)
    ticket = walk_in(service)
    calls.call_next(counter=counter, actor=Actor("console", clerk))

    response = clerk_client.post(console_url("missing_materials", counter, ticket.pk), {"missing_note": " "})

    assertContains(response, "Tick what is missing, or write it in the box.")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CALLED


def test_console_shows_first_owner_of_an_earlier_ticket_of_the_same_person(
    clerk_client, clerk, counter, service
):
    clerk.first_name = "Li"
    clerk.save()
    open_counter(counter, clerk)
    id_number = make_id_number(5)
    first = walk_in(service, id_number=id_number)
    calls.call_next(counter=counter, actor=Actor("console", clerk))
    calls.start_serving(ticket=first, actor=Actor("console", clerk))
    calls.complete(ticket=first, actor=Actor("console", clerk), outcome=Outcome.MATERIALS_MISSING)
    again = walk_in(service, id_number=id_number)
    Ticket.objects.filter(pk=again.pk).update(state=TicketState.CALLED, counter=counter, calls=1)

    response = clerk_client.get(console_url("counter", counter))

    assertInHTML('<dd class="current-owner">Li · earlier today as A001</dd>', response.content.decode())


def test_console_served_list_shows_handling_minutes(clerk_client, clerk, counter, service):
    open_counter(counter, clerk)
    ticket = walk_in(service)
    console = Actor("console", clerk)
    start = timezone.now()
    calls.call_next(counter=counter, actor=console, now=start)
    serving = calls.start_serving(ticket=ticket, actor=console, now=start + dt.timedelta(minutes=1))
    calls.complete(ticket=serving, actor=console, now=start + dt.timedelta(minutes=8))

    response = clerk_client.get(console_url("counter", counter))

    assertContains(response, "<td>7 min</td>", html=True)


def test_console_page_query_count_does_not_grow_with_the_queue(clerk_client, clerk, counter, service, hall):
    open_counter(counter, clerk)
    current = walk_in(service)
    calls.call_next(counter=counter, actor=Actor("console", clerk))
    calls.start_serving(ticket=current, actor=Actor("console", clerk))

    def queries_with_waiting(count):
        Ticket.objects.filter(state=TicketState.WAITING).delete()
        for n in range(count):
            walk_in(service, green_channel="elderly" if n == 0 else "")
        with CaptureQueriesContext(connection) as queries:
            response = clerk_client.get(console_url("counter", counter))
        assert len(response.context["waiting"]) == count
        return len(queries)

    assert queries_with_waiting(1) == queries_with_waiting(3)
