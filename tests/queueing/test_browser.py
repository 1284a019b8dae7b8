"""A booked citizen checks in at the kiosk; a clerk serves them from the console with the keyboard.

Selectors are classes and attributes, not words, so that the test holds whichever language is compiled.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from hall.models import Material
from notifications.models import Kind, Notification
from queueing import spacing, walkins
from queueing.models import Outcome, Ticket, TicketState
from queueing.services import Actor
from tests.makers import make_counter, make_service, make_staff, pair_browser
from tests.queueing.helpers import book, make_hall_open_today

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-for-tests-only"


@pytest.fixture
def hall():
    return make_hall_open_today()


@pytest.fixture
def page(page, live_server, hall):
    """The browser is the hall's paired kiosk (the clerk signs in in it later)."""
    pair_browser(page.context, live_server.url, hall)
    return page


def check_in_at_kiosk(page, hall, code):
    page.goto(reverse("queueing:kiosk", args=[hall.slug]))
    page.locator(f"a[href='{reverse('queueing:kiosk_check_in', args=[hall.slug])}']").click()
    expect(page.locator("[data-keypad]")).to_be_visible()  # kiosk.js offers its on-screen keys
    for character in code:
        page.locator(f"[data-key-value='{character}']").click()
    expect(page.locator("#id_code")).to_have_value(code)
    page.locator("form[data-check-in] button[type='submit']").click()


def press(page, key: str) -> None:
    """A console shortcut, which posts and brings the console back. console.js listens once the page has
    loaded (a key pressed before is lost), and the next step waits for the page the key brought."""
    page.wait_for_load_state("load")
    with page.expect_navigation():
        page.keyboard.press(key)


def sign_in(page, user):
    page.goto(reverse("login"))
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type='submit']").click()


def row_button(page, table, number):
    return page.locator(f".{table} tr", has=page.locator("th", has_text=number)).locator("button")


def test_kiosk_check_in_then_console_parks_transfers_and_completes_with_missing_materials(page, hall):
    service = make_service(hall, average_handling_minutes=10)
    moves = make_service(hall, code="move-in", prefix="C", name_en="Moving in", name_zh_hans="户口迁入")
    certificate = Material.objects.create(
        service=moves, name_en="Moving-in certificate", name_zh_hans="准迁证"
    )
    booklet = moves.materials.get(name_en="Household register booklet")
    counter = make_counter(hall, 1, [service, moves])
    clerk = make_staff(hall)
    green = walkins.issue_walk_in(
        hall=hall, service=service, actor=Actor("kiosk"), green_channel="elderly"
    ).ticket
    booking = book(service, timezone.now() - dt.timedelta(minutes=5))

    check_in_at_kiosk(page, hall, booking.code)

    expect(page.locator(".slip-number")).to_be_visible()  # the check-in's post made the ticket
    ticket = Ticket.objects.get(booking=booking)
    expect(page.locator(".slip-number")).to_have_text(ticket.number)
    expect(page.locator(".slip-ahead")).to_have_text("1")  # the green channel goes first
    page.evaluate("window.print = () => { document.body.dataset.printed = 'yes'; }")
    page.locator(".kiosk-actions [data-print]").click()
    expect(page.locator("body")).to_have_attribute("data-printed", "yes")

    page.goto(reverse("queueing:ticket_print", args=[ticket.token]))
    row, seat = spacing.parse_seat(ticket.seat)
    expect(page.locator(".slip-number")).to_have_text(ticket.number)
    expect(page.locator(".slip-ahead")).to_have_text("1")
    expect(page.locator(".slip-seat")).to_contain_text(str(row))
    expect(page.locator(".slip-seat")).to_contain_text(str(seat))
    expect(page.locator(".slip-qr svg")).to_be_visible()
    page.emulate_media(media="print")
    assert page.locator(".ticket-slip").bounding_box()["width"] <= 72 / 25.4 * 96 + 1  # 72 mm
    expect(page.locator(".print-actions")).to_be_hidden()
    page.emulate_media(media="screen")

    sign_in(page, clerk)
    page.locator(f"form[action='{reverse('queueing:open_counter', args=[counter.pk])}'] button").click()
    expect(page.locator(".waiting-table tbody tr")).to_have_count(2)

    row_button(page, "waiting-table", ticket.number).click()  # call this one, ahead of the green channel
    expect(page.locator(".current-number")).to_have_text(ticket.number)
    press(page, "s")
    expect(page.locator("[data-shortcut='r']")).to_have_count(0)  # serving: no more recalls
    press(page, "p")
    expect(page.locator(".current-empty")).to_be_visible()
    row_button(page, "parked-table", ticket.number).click()
    expect(page.locator(".current-number")).to_have_text(ticket.number)

    press(page, "t")
    page.locator(f"input[name='service'][value='{moves.pk}']").check()
    page.locator("#id_note").fill("also moving in")
    page.locator(".console-form button[type='submit']").click()
    expect(page.locator(".current-empty")).to_be_visible()
    moved = Ticket.objects.get(transferred_from=ticket)
    expect(page.locator(".waiting-table tbody tr").first.locator("th")).to_have_text(green.number)

    row_button(page, "waiting-table", moved.number).click()
    expect(page.locator(".current-number")).to_have_text(moved.number)
    press(page, "m")
    page.locator(f"input[name='missing'][value='{certificate.pk}']").check()
    page.locator(f"input[name='missing'][value='{booklet.pk}']").check()
    page.locator("#id_missing_note").fill("Proof of address")
    page.locator(".console-form button[type='submit']").click()

    expect(page.locator(".slip-missing li")).to_have_text(["户口簿", "准迁证", "Proof of address"])
    moved.refresh_from_db()
    ticket.refresh_from_db()
    assert (ticket.state, ticket.owner) == (TicketState.TRANSFERRED, clerk)
    assert (moved.state, moved.outcome, moved.owner, moved.note) == (
        TicketState.DONE,
        Outcome.MATERIALS_MISSING,
        clerk,
        "also moving in",
    )
    assert Notification.objects.filter(kind=Kind.MATERIALS_MISSING, subject_id=moved.pk).count() == 1
