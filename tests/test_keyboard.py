"""Keyboard only: a citizen books with Tab, Shift+Tab, arrows, Enter and Space; a clerk drives the console
by its shortcuts. Every element the keyboard lands on must show where the focus is (an outline or a box
shadow under :focus-visible). See docs/accessibility.md."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import Booking, BookingState
from hall.models import ExtraSession
from queueing import calls, walkins
from queueing.models import Ticket, TicketState
from queueing.services import Actor
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_staff
from tests.queueing.helpers import make_hall_open_today

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]

# Where the focus is, and whether it is drawn: an outline that is not "none"/0 wide, or a box shadow.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== "none";
  const name = (el.getAttribute("aria-label") || el.textContent || el.value || "").trim().slice(0, 40);
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    name: name,
    visible: el.matches(":focus-visible") && (outline || shadow),
  };
}"""


class Keyboard:
    """Presses keys and remembers every focused element whose focus was not drawn."""

    def __init__(self, page):
        self.page = page
        self.unseen: list[str] = []

    def focused(self) -> dict | None:
        focused = self.page.evaluate(FOCUSED)
        if focused and not focused["visible"]:
            self.unseen.append(
                f"{self.page.url}: <{focused['tag']} id={focused['id']!r}> {focused['name']!r}"
            )
        return focused

    def tab_to(self, selector: str, *, backwards: bool = False, limit: int = 40) -> None:
        """Tab (or Shift+Tab) until the focused element matches `selector`."""
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            self.focused()
            if self.page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"{selector} was not reached with {limit} presses of Tab on {self.page.url}")

    def follow(self, key: str = "Enter") -> None:
        """Press a key that opens the next page, and wait for it."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)


def test_citizen_books_with_the_keyboard_only(page):
    hall = make_hall()
    day = timezone.localdate() + dt.timedelta(days=2)
    ExtraSession.objects.create(hall=hall, date=day, start=dt.time(9), end=dt.time(12), reason="预约")
    service = make_service(hall)
    make_counter(hall, 1, [service])
    keys = Keyboard(page)

    page.goto(reverse("hall:service_detail", args=[hall.slug, service.code]))
    page.keyboard.press("Tab")  # the first stop skips to the content
    expect(page.locator(".skip-link")).to_be_focused()
    expect(page.locator(".skip-link")).to_be_in_viewport()
    keys.focused()
    keys.tab_to(f"a[href='{reverse('appointments:choose_date', args=[hall.slug, service.code])}']")
    keys.follow()

    expect(page).to_have_url(reverse("appointments:choose_date", args=[hall.slug, service.code]))
    keys.tab_to(".day-link")
    keys.follow()
    keys.tab_to(".slot-link")
    keys.follow()

    keys.tab_to("main form button.primary")
    keys.follow()  # nothing filled in: the error summary lists what to fix
    expect(page.locator(".error-summary")).to_be_visible()
    keys.tab_to(".error-summary a[href='#id_name']")
    page.keyboard.press("Enter")
    expect(page.locator("#id_name")).to_be_focused()
    keys.focused()
    page.keyboard.type("张三丰")
    keys.tab_to("#id_phone")
    page.keyboard.type("13800138000")
    keys.tab_to("main form button.primary")
    keys.follow()
    expect(page.locator(".step-count")).to_have_text("第 2 步，共 3 步")
    keys.tab_to("#id_id_number")
    page.keyboard.type(make_id_number(1))
    keys.tab_to("main form button.primary")
    keys.follow()
    expect(page.locator(".step-count")).to_have_text("第 3 步，共 3 步")
    keys.tab_to("input[name='language']:checked")
    page.keyboard.press("ArrowDown")  # the other language; arrows move within a radio group
    expect(page.locator("input[name='language'][value='en']")).to_be_checked()
    keys.focused()
    keys.tab_to("#id_persons", backwards=True)
    keys.tab_to("input[name='language']:checked")
    page.keyboard.press("ArrowUp")
    expect(page.locator("input[name='language'][value='zh-hans']")).to_be_checked()
    keys.tab_to("main form button.primary")
    keys.follow()

    expect(page.locator(".summary-list")).to_contain_text("110***********")
    keys.tab_to("main .back-link")  # back to the last question, which kept its answers
    keys.follow()
    expect(page.locator("input[name='language'][value='zh-hans']")).to_be_checked()
    keys.tab_to("main form button.primary")
    keys.follow()
    keys.tab_to("main form button.primary")
    keys.follow("Space")

    booking = Booking.objects.get()
    expect(page.locator(".booking-code")).to_have_text(booking.code)
    assert (booking.state, booking.language, booking.slot.date) == (BookingState.BOOKED, "zh-hans", day)
    assert keys.unseen == []


def sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def test_clerk_drives_the_console_by_its_shortcuts(page, live_server):
    hall = make_hall_open_today()
    service = make_service(hall)
    counter = make_counter(hall, 1, [service])
    clerk = make_staff(hall)
    calls.open_counter(counter=counter, actor=Actor("console", user=clerk))
    first, second = (
        walkins.issue_walk_in(hall=hall, service=service, actor=Actor("kiosk")).ticket for _ in "12"
    )
    sign_in(page, live_server, clerk)
    keys = Keyboard(page)
    page.goto(reverse("queueing:counter", args=[counter.pk]))

    def state(ticket) -> str:
        ticket.refresh_from_db()
        return ticket.state

    keys.follow("n")
    expect(page.locator(".current-number")).to_have_text(first.number)
    assert state(first) == TicketState.CALLED
    keys.follow("r")
    expect(page.locator(".current-number")).to_have_text(first.number)
    first.refresh_from_db()
    assert (first.state, first.calls) == (TicketState.CALLED, 2)
    keys.tab_to("[data-shortcut='s']")  # each shortcut is also a button, with a visible focus
    keys.follow("s")
    expect(page.locator("[data-shortcut='r']")).to_have_count(0)
    assert state(first) == TicketState.SERVING
    keys.follow("p")
    expect(page.locator(".current-empty")).to_be_visible()
    assert state(first) == TicketState.PARKED

    keys.follow("n")
    expect(page.locator(".current-number")).to_have_text(second.number)
    keys.follow("x")
    expect(page.locator(".current-empty")).to_be_visible()
    assert state(second) == TicketState.NO_SHOW

    keys.tab_to(".parked-table button")  # the parked ticket comes back by Tab and Enter
    keys.follow()
    expect(page.locator(".current-number")).to_have_text(first.number)
    keys.follow("d")
    expect(page.locator(".current-empty")).to_be_visible()
    assert state(first) == TicketState.DONE
    assert list(Ticket.objects.filter(state=TicketState.DONE)) == [first]
    assert keys.unseen == []


def test_supervisor_pauses_the_live_view_refresh_with_the_keyboard(page, live_server):
    hall = make_hall_open_today()
    sign_in(page, live_server, make_staff(hall, "boss", role="supervisor"))
    keys = Keyboard(page)
    reloads = []
    page.on("request", lambda request: reloads.append(request.url) if "refresh=auto" in request.url else None)
    # The page's clock stands still until the test moves it: its reload after 10 s comes when the test
    # says, not while Tab is being pressed on a machine so busy that the steps below take 10 s.
    start = dt.datetime.now(dt.UTC)
    page.clock.install(time=start)
    page.clock.pause_at(start + dt.timedelta(seconds=1))
    page.goto(reverse("reports:live", args=[hall.slug]))
    page.evaluate("() => { window.notReloaded = true; }")

    # Past the staff header as a keyboard user goes: its first stop is "skip to main content".
    keys.tab_to(".skip-link")
    page.keyboard.press("Enter")
    keys.tab_to("[data-refresh-toggle]")
    page.keyboard.press("Enter")
    toggle = page.locator("[data-refresh-toggle]")
    expect(toggle).to_have_text("恢复自动刷新")  # the label says what a press does, with no pressed state
    assert toggle.get_attribute("aria-pressed") is None
    page.clock.run_for(60_000)  # a minute on the page's clock: it would have reloaded after 10 s
    assert page.evaluate("() => window.notReloaded") is True

    page.keyboard.press("Space")
    expect(toggle).to_have_text("暂停自动刷新")
    with page.expect_navigation(url="**/reports/live/?refresh=auto"):
        page.clock.run_for(10_000)
    assert len(reloads) == 1  # the one after resuming, none while paused
    assert keys.unseen == []
