"""A supervisor pairs a kiosk and a board from the screens page; the kiosk then gives out a ticket, and a
screen that is not paired gives out none (issue 16). Two browser contexts: the screen and the supervisor's
phone or desk. Selectors are attributes and ids, not words, so that the test holds in either language."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from hall.models import Device
from queueing.models import Ticket
from tests.conftest import BROWSER_TIMEOUT_MS
from tests.makers import make_counter, make_service, make_staff
from tests.queueing.helpers import make_hall_open_today

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hall():
    hall = make_hall_open_today()
    make_counter(hall, 1, [make_service(hall)])
    return hall


@pytest.fixture
def contexts(browser, live_server):
    opened = []

    def new_context():
        context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        # pytest-django's live server cannot stream events: the board polls instead.
        context.route("**/api/v1/halls/*/events*", lambda route: route.abort())
        opened.append(context)
        return context

    yield new_context
    for context in opened:
        context.close()


def signed_in(context, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context.new_page()


def add_screen(page, hall, kind, name):
    page.goto(reverse("reports:devices", args=[hall.slug]))
    page.locator(f"[data-add-form] input[name='kind'][value='{kind}']").check()
    page.locator("[data-add-form] #id_name").fill(name)
    page.locator("[data-add-form] #id_place").fill("大门")
    page.locator("[data-add-form] button[type='submit']").click()
    expect(page.locator(".message-success")).to_be_visible()


def choose_and_pair(page, device):
    page.locator(f"[data-pair-form] input[name='device'][value='{device.pk}']").check()
    page.locator("[data-pair-form] button[type='submit']").click()
    expect(page.locator(".message-success")).to_be_visible()


def test_supervisor_pairs_a_kiosk_and_a_board_then_the_kiosk_issues_a_ticket(contexts, live_server, hall):
    supervisor = signed_in(contexts(), live_server, make_staff(hall, "boss", role="supervisor"))
    screen = contexts().new_page()
    add_screen(supervisor, hall, "kiosk", "1号取号机")
    add_screen(supervisor, hall, "board", "大厅大屏")
    kiosk, board = Device.objects.get(kind="kiosk"), Device.objects.get(kind="board")

    # The kiosk: the supervisor types the code shown on the screen.
    screen.goto(reverse("queueing:kiosk", args=[hall.slug]))
    code = screen.locator("[data-pairing-code]").inner_text()
    expect(screen.locator("[data-pairing] svg.qr-code")).to_be_visible()
    supervisor.goto(reverse("reports:devices", args=[hall.slug]))
    supervisor.locator("[data-pair-form] #id_code").fill(code)
    choose_and_pair(supervisor, kiosk)
    walk_in = screen.locator(f"a[href='{reverse('queueing:kiosk_walk_in', args=[hall.slug])}']")
    expect(walk_in).to_be_visible()  # pairing.js noticed and reloaded: the real kiosk

    # The board: the supervisor's phone scans its QR code, which opens the pair form with the code.
    screen.goto(reverse("queueing:board", args=[hall.slug]))
    code = screen.locator("[data-pairing-code]").inner_text()
    supervisor.goto(reverse("reports:devices", args=[hall.slug]) + f"?code={code}")
    expect(supervisor.locator("[data-pair-form] #id_code")).to_have_value(code)
    choose_and_pair(supervisor, board)
    expect(screen.locator("[data-board]")).to_be_visible()

    # The paired kiosk gives out a ticket.
    screen.goto(reverse("queueing:kiosk_walk_in", args=[hall.slug]))
    screen.locator("button.kiosk-choice[name='service']").first.click()
    expect(screen.locator("#ticket-number")).to_have_text("A001")
    rows = supervisor.locator("#devices tbody tr")
    supervisor.goto(reverse("reports:devices", args=[hall.slug]))
    expect(rows).to_have_count(2)
    expect(supervisor.locator("#devices form[action$='/unpair/']")).to_have_count(2)


def test_a_kiosk_that_is_not_paired_issues_no_ticket(contexts, live_server, hall):
    screen = contexts().new_page()

    screen.goto(reverse("queueing:kiosk", args=[hall.slug]))
    expect(screen.locator("[data-pairing-code]")).to_be_visible()
    expect(screen.locator("a[href$='/kiosk/walk-in/']")).to_have_count(0)
    screen.goto(reverse("queueing:kiosk_walk_in", args=[hall.slug]))
    expect(screen.locator("button.kiosk-choice")).to_have_count(0)
    # A form sent from anywhere, with the page's own CSRF token, is refused as well.
    token = screen.context.cookies()
    csrf = next(c["value"] for c in token if c["name"] == settings.CSRF_COOKIE_NAME)
    service = hall.services.get()
    answer = screen.request.post(
        reverse("queueing:kiosk_walk_in", args=[hall.slug]),
        form={"service": str(service.pk), "csrfmiddlewaretoken": csrf},
        headers={"Referer": live_server.url + "/"},
    )

    assert answer.status == 403
    assert Ticket.objects.count() == 0
