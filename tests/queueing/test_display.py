"""The hall's screens (board, window display) and the citizen's live ticket page, through Django's client.

Pages are asked for in English (the language cookie), so that assertions do not depend on compiled
Chinese; the screens speak the hall's language, and these tests set it to English where they read words.
"""

import datetime as dt
import json
import re

import phonenumbers
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains

from hall.models import DeviceKind
from queueing import board, calls, display_views, services, walkins
from queueing.models import Outcome, QueueRules
from queueing.services import Actor
from tests.makers import make_counter, make_id_number, make_service, make_staff, pair_client
from tests.queueing.helpers import book, make_hall_open_today

pytestmark = pytest.mark.django_db
KIOSK = Actor("kiosk")


@pytest.fixture
def client(client, hall):
    """A browser of the hall's paired board and window displays."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    pair_client(client, hall, DeviceKind.BOARD)
    pair_client(client, hall, DeviceKind.COUNTER_DISPLAY)
    return client


@pytest.fixture
def english_screens(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def hall():
    return make_hall_open_today(
        seat_rows=2, seats_per_row=4, notice_en="Closed on Saturday", notice_zh_hans="周六闭厅"
    )


@pytest.fixture
def service(hall):
    return make_service(hall, average_handling_minutes=12)


@pytest.fixture
def clerk(hall):
    return make_staff(hall)


@pytest.fixture
def counter(hall, service):
    return make_counter(hall, 3, [service])


def walk_in(service, **kw):
    return walkins.issue_walk_in(hall=service.hall, service=service, actor=KIOSK, **kw).ticket


def call_at(counter, clerk):
    actor = Actor("console", clerk)
    calls.open_counter(counter=counter, actor=actor)
    return calls.call_next(counter=counter, actor=actor)


def board_url(hall):
    return reverse("queueing:board", args=[hall.slug])


def ticket_url(ticket):
    return reverse("queueing:ticket", args=[ticket.token])


def embedded_snapshot(response) -> dict:
    match = re.search(
        r'<script id="board-snapshot" type="application/json">(.*?)</script>', response.content.decode()
    )
    return json.loads(match[1])


# The board


def test_board_shows_hall_latest_call_windows_waiting_and_notice(
    client, english_screens, hall, service, counter, clerk
):
    walk_in(service)
    walk_in(service)
    call_at(counter, clerk)

    response = client.get(board_url(hall))

    html = response.content.decode()
    assertInHTML('<h1 class="board-hall">North District Hall</h1>', html)
    assertInHTML(
        '<p class="board-call">Please, number <span class="call-number">A001</span>, '
        'to window <span class="call-counter">3</span>.</p>',
        html,
    )
    assertInHTML(
        '<li class="board-counter counter-open" data-counter="3"><span class="counter-name">Window 3</span>'
        '<span class="counter-serving">A001</span></li>',
        html,
    )
    assertInHTML(
        '<li class="board-waiting-line" data-service="id-renewal"><span class="waiting-prefix">A</span>'
        '<span class="waiting-name" title="ID card renewal">ID card renewal</span>'
        '<span class="waiting-count">1</span></li>',
        html,
    )
    assertInHTML('<footer class="board-notice" data-notice>Closed on Saturday</footer>', html)


def test_board_speaks_the_hall_language_whatever_the_browser_asks(client, hall, service):
    response = client.get(board_url(hall))

    assertContains(response, '<html lang="zh-hans">')
    assertContains(response, 'data-speech-lang="zh-CN"')
    assertContains(response, "北区户政大厅")


def test_board_gives_speech_phrase_and_digits_for_the_script(client, english_screens, hall):
    response = client.get(board_url(hall))

    assertContains(response, 'data-phrase="Please, number %(number)s, to window %(counter)s."')
    assertContains(response, 'data-digits="0 1 2 3 4 5 6 7 8 9"')
    assertNotContains(response, "data-phrase-en")  # an English board needs no English line below


def test_board_shows_no_personal_data(client, hall, service, counter, clerk):
    booking = book(service, timezone.now() - dt.timedelta(minutes=5))
    services.check_in(hall=hall, code=booking.code, actor=KIOSK)
    walk_in(
        service,
        id_number=make_id_number(7),
        phone=phonenumbers.parse("13912345678", "CN"),
    )
    called = call_at(counter, clerk)

    html = client.get(board_url(hall)).content.decode()
    snapshot = json.dumps(board.snapshot(hall), ensure_ascii=False)

    for personal in ("王五", "13900000001", "13912345678", "5678", make_id_number(1), make_id_number(7)):
        assert personal not in html
        assert personal not in snapshot
    assert f'<span class="call-number">{called.number}</span>' in html


def test_board_has_no_inline_script_or_style(client, hall, service):
    html = client.get(board_url(hall)).content.decode()

    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == [
        '<script id="board-snapshot" type="application/json">',
        '<script src="/static/js/live.js" defer>',
        '<script src="/static/js/board.js" defer>',
    ]
    assert "style=" not in html and "<style" not in html and "onclick" not in html


def test_board_embeds_the_snapshot_the_script_starts_from(client, hall, service, counter, clerk):
    walk_in(service)
    call_at(counter, clerk)

    response = client.get(board_url(hall))

    with translation.override("zh-hans"):  # the board's language, whatever the browser asked
        expected = json.loads(json.dumps(board.snapshot(hall)))
    assert embedded_snapshot(response) == expected


def test_board_of_unknown_hall_is_404(client):
    assert client.get(reverse("queueing:board", args=["nowhere"])).status_code == 404


def test_board_lists_a_recalled_number_once(client, english_screens, hall, service, counter, clerk):
    first = walk_in(service)
    walk_in(service)
    call_at(counter, clerk)
    calls.recall(ticket=first, actor=Actor("console", clerk))

    html = client.get(board_url(hall)).content.decode()

    assert html.count('<span class="recent-number">') == 0  # A001 twice in the calls: shown once, as latest
    assert html.count('<span class="call-number">A001</span>') == 1


def test_board_snapshot_queries_do_not_grow_with_tickets(hall, service):
    counters = [make_counter(hall, n, [service]) for n in (1, 2, 3)]
    clerks = [make_staff(hall, username=f"clerk{n}") for n in (1, 2, 3)]

    def snapshot_queries():
        with CaptureQueriesContext(connection) as context:
            board.snapshot(hall)
        return len(context.captured_queries)

    walk_in(service)
    walk_in(service)
    call_at(counters[0], clerks[0])
    one = snapshot_queries()
    for n in (1, 2):
        walk_in(service)
        walk_in(service)
        call_at(counters[n], clerks[n])
    three = snapshot_queries()  # three called, three waiting

    assert (one, three) == (7, 7)  # the seventh reads the current notices


def test_board_page_queries_do_not_grow_with_tickets(client, hall, service):
    counters = [make_counter(hall, n, [service]) for n in (1, 2, 3)]
    clerks = [make_staff(hall, username=f"clerk{n}") for n in (1, 2, 3)]

    def page_queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get(board_url(hall)).status_code == 200
        return len(context.captured_queries)

    page_queries()  # the board's first look records it as seen (at most once a minute)
    walk_in(service)
    call_at(counters[0], clerks[0])
    one = page_queries()
    for n in (1, 2):
        walk_in(service)
        call_at(counters[n], clerks[n])
    three = page_queries()

    assert one == three


# The display above a window


def test_counter_display_shows_number_called_to_that_window(
    client, english_screens, hall, service, counter, clerk
):
    walk_in(service)
    call_at(counter, clerk)

    response = client.get(reverse("queueing:counter_display", args=[hall.slug, 3]))

    html = response.content.decode()
    assertInHTML('<h1 class="counter-screen-title">Window 3</h1>', html)
    assertInHTML('<p class="counter-screen-number" data-number>A001</p>', html)
    assertContains(response, 'data-counter="3"')


def test_counter_display_of_idle_and_closed_windows(client, english_screens, hall, service, counter, clerk):
    make_counter(hall, 4, [service])
    calls.open_counter(counter=counter, actor=Actor("console", clerk))

    open_idle = client.get(reverse("queueing:counter_display", args=[hall.slug, 3])).content.decode()
    closed = client.get(reverse("queueing:counter_display", args=[hall.slug, 4])).content.decode()

    assertInHTML('<p class="counter-screen-state">Next please: waiting for the next call.</p>', open_idle)
    assertInHTML('<p class="counter-screen-state">Closed</p>', closed)


def test_counter_display_of_unknown_or_inactive_window_is_404(client, hall, service, counter):
    make_counter(hall, 5, [service]).__class__.objects.filter(number=5).update(active=False)

    assert client.get(reverse("queueing:counter_display", args=[hall.slug, 9])).status_code == 404
    assert client.get(reverse("queueing:counter_display", args=[hall.slug, 5])).status_code == 404


# The citizen's ticket


def test_ticket_waiting_inside_shows_place_people_ahead_wait_and_seat(client, hall, service, counter):
    calls.open_counter(counter=counter, actor=Actor("system"))
    walk_in(service)
    ticket = walk_in(service)
    row, number = ticket.seat.split("-")

    html = client.get(ticket_url(ticket)).content.decode()

    assertInHTML('<h1 class="live-number">A002</h1>', html)
    assertInHTML('<dd data-field="position">2</dd>', html)
    assertInHTML('<dd class="slip-ahead" data-field="ahead">1</dd>', html)
    # One ahead at the one open counter, 12 minutes configured and nothing handled yet: 12 +- 6, a
    # log-normal; most of the 40 plays call within 5 minutes of 9, the middle two thirds at 6-14.
    assertInHTML('<dd data-field="wait">about 6–14 minutes</dd>', html)
    assertInHTML(f'<p class="slip-seat" data-field="seat">Seat row {row}, no. {number}</p>', html)
    assertInHTML(
        '<p class="live-come-in" data-come-in hidden>Please come into the hall now: your turn is near.</p>',
        html,
    )


def test_ticket_next_in_line_is_told_so(client, hall, service):
    ticket = walk_in(service)

    html = client.get(ticket_url(ticket)).content.decode()

    assertInHTML('<dd class="slip-ahead" data-field="ahead">0</dd>', html)
    assertInHTML('<dd data-field="wait">You are next</dd>', html)


def test_ticket_outside_far_back_waits_outside(client, hall, service):
    hall.max_waiting_inside = 0
    hall.save()
    QueueRules.objects.filter(hall=hall).update(come_in_at=1)
    for _ in range(3):
        walk_in(service)
    ticket = walk_in(service)

    html = client.get(ticket_url(ticket)).content.decode()

    outside = "Please wait outside; this page shows when it is your turn."
    assertInHTML(f'<p class="slip-seat" data-field="seat">{outside}</p>', html)
    assertInHTML(
        '<p class="live-come-in" data-come-in hidden>Please come into the hall now: your turn is near.</p>',
        html,
    )


def test_ticket_outside_with_few_ahead_is_asked_in(client, hall, service):
    hall.max_waiting_inside = 0
    hall.save()
    QueueRules.objects.filter(hall=hall).update(come_in_at=2)
    walk_in(service)
    ticket = walk_in(service, phone=phonenumbers.parse("13912345678", "CN"))

    html = client.get(ticket_url(ticket)).content.decode()

    assertInHTML(
        '<p class="live-come-in" data-come-in>Please come into the hall now: your turn is near.</p>', html
    )
    assertInHTML(
        '<p class="slip-seat" data-field="seat">'
        "Please wait outside; we will send you a message when it is your turn.</p>",
        html,
    )
    assert "13912345678" not in html


def test_ticket_called_shows_the_window(client, hall, service, counter, clerk):
    ticket = walk_in(service)
    call_at(counter, clerk)

    html = client.get(ticket_url(ticket)).content.decode()

    assertInHTML(
        '<p class="live-headline live-call" data-when="called">Please, number A001, to window 3.</p>', html
    )
    assertInHTML('<p class="live-headline" data-when="serving" hidden></p>', html)


def test_ticket_serving_shows_the_window(client, hall, service, counter, clerk):
    ticket = walk_in(service)
    call_at(counter, clerk)
    calls.start_serving(ticket=ticket, actor=Actor("console", clerk))

    html = client.get(ticket_url(ticket)).content.decode()

    assertInHTML('<p class="live-headline" data-when="serving">Being served at window 3.</p>', html)


def test_ticket_done_offers_the_rating_and_stops_refreshing(client, hall, service, counter, clerk):
    ticket = walk_in(service)
    call_at(counter, clerk)
    calls.complete(ticket=ticket, actor=Actor("console", clerk), outcome=Outcome.DONE)

    response = client.get(ticket_url(ticket))

    html = response.content.decode()
    assertInHTML(f'<a class="button" href="/t/{ticket.token}/rate/" data-rate>Rate our service</a>', html)
    assert 'http-equiv="refresh"' not in html
    assert "js/ticket.js" not in html


def test_ticket_waiting_gives_script_its_urls_and_refreshes_only_without_script(client, hall, service):
    ticket = walk_in(service)

    html = client.get(ticket_url(ticket)).content.decode()

    assert '<noscript><meta http-equiv="refresh" content="30"></noscript>' in html
    assert f'data-status-url="/api/v1/tickets/{ticket.token}"' in html
    assert f'data-events-url="/api/v1/halls/{hall.slug}/events"' in html
    assert 'data-called-phrase="Please, number %(number)s, to window %(counter)s."' in html
    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/static/js/live.js" defer>',
        '<script src="/static/js/ticket.js" defer>',
    ]
    assert "style=" not in html


def test_ticket_status_json_the_page_follows(client, hall, service, counter, clerk):
    """The page re-reads GET /api/v1/tickets/<token>; these are the fields ticket.js uses."""
    calls.open_counter(counter=counter, actor=Actor("console", clerk))
    walk_in(service)
    ticket = walk_in(service)

    status_url = reverse("api-v1:get_ticket", args=[ticket.token])

    waiting = client.get(status_url).json()
    first = call_at(counter, clerk)
    calls.complete(ticket=first, actor=Actor("console", clerk))
    calls.call_next(counter=counter, actor=Actor("console", clerk))
    called = client.get(status_url).json()

    picked = (
        "number",
        "service",
        "state",
        "position",
        "ahead",
        "estimated_wait_minutes",
        "counter",
        "inside",
    )
    assert {k: waiting[k] for k in picked} == {
        "number": "A002",
        "service": "id-renewal",
        "state": "waiting",
        "position": 2,
        "ahead": 1,
        "estimated_wait_minutes": 9,  # one ahead of 12 +- 6 minutes (see above)
        "counter": None,
        "inside": True,
    }
    assert (called["number"], called["state"], called["counter"], called["ahead"]) == (
        "A002",
        "called",
        3,
        None,
    )


def test_ticket_of_unknown_token_is_404(client):
    assert client.get(reverse("queueing:ticket", args=["nope"])).status_code == 404


# Helpers


def test_call_markup_escapes_and_wraps_number_and_window():
    markup = display_views.call_markup("请 %(number)s 号到 %(counter)s 号<窗口>", "A0<1", 3)

    assert markup == (
        '请 <span class="call-number">A0&lt;1</span> 号到 <span class="call-counter">3</span> 号&lt;窗口&gt;'
    )


def test_distinct_calls_keeps_the_newest_of_each_number():
    calls_ = [
        {"number": "A002"},
        {"number": "A001", "n": 2},
        {"number": "A002", "old": True},
        {"number": "A001"},
    ]

    assert display_views.distinct_calls(calls_) == [{"number": "A002"}, {"number": "A001", "n": 2}]


def test_board_lists_the_halls_windows_not_its_online_room(client, english_screens, hall, service, counter):
    """The online room (网上户籍室) serves video calls from an office: citizens in the hall never go to it, so
    the board does not list it as a window."""
    make_counter(hall, 5, [service], kind="online_room", label="Online room")

    html = client.get(board_url(hall)).content.decode()

    assert [c["number"] for c in board.snapshot(hall)["counters"]] == [3]
    assert 'data-counter="3"' in html and 'data-counter="5"' not in html
