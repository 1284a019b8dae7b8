"""The board and the live ticket page in Chromium, against a real uvicorn process on the test database.

pytest-django's live_server is a WSGI thread server, which cannot stream Server-Sent Events; these tests
start uvicorn as tests/queueing/test_live.py does. Calls are made in this process: they are published
through Redis after commit and reach the pages through the server's event stream.

Speech is recorded, not played: an init script replaces speechSynthesis.speak (and ends each utterance at
once), and counts navigator.vibrate. Selectors are attributes, not words, so that the tests hold
whichever language is compiled; the expected speech is built from the phrase the page was given.
"""

import urllib.request

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hall.models import ApiToken, DeviceKind
from queueing import calls, walkins
from queueing.services import Actor
from tests.conftest import BROWSER_TIMEOUT_MS
from tests.makers import make_counter, make_service, make_staff, pair_browser
from tests.queueing.helpers import make_hall_open_today
from tests.queueing.test_live import Server

pytestmark = [
    pytest.mark.requires_browser,
    pytest.mark.requires_postgres,
    pytest.mark.django_db(transaction=True),
]

RECORD_SPEECH = """
window.__spoken = [];
window.__vibrations = 0;
window.speechSynthesis.speak = function (utterance) {
  window.__spoken.push(utterance.text);
  setTimeout(function () { if (utterance.onend) utterance.onend(); }, 50);
};
navigator.vibrate = function () { window.__vibrations += 1; return true; };
"""

# An AudioContext that waits for a click, as in a browser started without the kiosk's autoplay flag.
SUSPENDED_AUDIO = """
window.AudioContext = function () {
  this.state = "suspended";
  this.currentTime = 0;
  this.destination = {};
};
window.AudioContext.prototype.resume = function () { this.state = "running"; return Promise.resolve(); };
"""

SETTLE_MS = 2500  # long enough for a second announcement of the same call to have begun


@pytest.fixture
def server():
    started = Server()
    yield started
    started.stop()


def board_context(browser, server, hall):
    """A Chinese 1920 x 1080 screen on `server` that records speech instead of playing it: the hall's
    paired board (and window display)."""
    base_url = f"http://127.0.0.1:{server.port}"
    context = browser.new_context(base_url=base_url, locale="zh-CN", viewport={"width": 1920, "height": 1080})
    for kind in (DeviceKind.BOARD, DeviceKind.COUNTER_DISPLAY):
        pair_browser(context, base_url, hall, kind)
    context.add_init_script(RECORD_SPEECH)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    return context


@pytest.fixture
def context(browser, server, hall):
    context = board_context(browser, server, hall)
    yield context
    context.close()


@pytest.fixture
def hall():
    return make_hall_open_today()


@pytest.fixture
def service(hall):
    return make_service(hall)


@pytest.fixture
def counter(hall, service):
    return make_counter(hall, 3, [service])


@pytest.fixture
def clerk(hall, counter):
    clerk = make_staff(hall)
    calls.open_counter(counter=counter, actor=Actor("console", clerk))
    return clerk


def walk_in(service):
    return walkins.issue_walk_in(hall=service.hall, service=service, actor=Actor("kiosk")).ticket


def open_board(context, hall):
    page = context.new_page()
    page.goto(reverse("queueing:board", args=[hall.slug]))
    expect(page.locator("[data-board]")).to_have_attribute("data-feed", "live")
    return page


def spoken_call(page, number, counter):
    """What the board should say, from its phrase and digit words ("请 A 零 零 一 号到 3 号窗口")."""
    board = page.locator("[data-board]")
    phrase, digits = board.get_attribute("data-phrase"), board.get_attribute("data-digits").split()
    said = " ".join(digits[int(c)] if c.isdigit() else c for c in number)
    return phrase.replace("%(number)s", said).replace("%(counter)s", str(counter))


def spoken(page) -> list[str]:
    return page.evaluate("window.__spoken")


def wait_spoken(page, count):
    page.wait_for_function(f"() => window.__spoken.length >= {count}")
    page.wait_for_timeout(SETTLE_MS)


def expect_latest(page, number, counter, timeout=None):
    latest = page.locator("[data-latest]")
    expect(latest).to_have_attribute("data-number", number, timeout=timeout)
    expect(latest).to_have_attribute("data-counter", str(counter), timeout=timeout)


def test_board_shows_and_speaks_a_call_once_and_a_recall_again(context, hall, service, counter, clerk):
    first = walk_in(service)
    walk_in(service)
    board = open_board(context, hall)
    text = spoken_call(board, "A001", 3)

    calls.call_next(counter=counter, actor=Actor("console", clerk))

    expect_latest(board, "A001", 3)
    expect(board.locator("[data-counters] [data-counter='3'] .counter-serving")).to_have_text("A001")
    expect(board.locator("[data-waiting] [data-service='id-renewal'] .waiting-count")).to_have_text("1")
    wait_spoken(board, 1)
    assert spoken(board) == [text]

    calls.recall(ticket=first, actor=Actor("console", clerk))

    wait_spoken(board, 2)
    assert spoken(board) == [text, text]


def test_board_does_not_repeat_calls_made_before_it_was_switched_on(context, hall, service, counter, clerk):
    walk_in(service)
    calls.call_next(counter=counter, actor=Actor("console", clerk))

    board = open_board(context, hall)
    expect_latest(board, "A001", 3)
    board.wait_for_timeout(SETTLE_MS)

    assert spoken(board) == []


def test_ticket_page_follows_the_call_and_offers_the_rating_when_done(context, hall, service, counter, clerk):
    ahead = walk_in(service)
    ticket = walk_in(service)
    page = context.new_page()
    page.goto(reverse("queueing:ticket", args=[ticket.token]))
    root = page.locator("[data-live-ticket]")
    expect(root).to_have_attribute("data-feed", "live")
    expect(root.locator("[data-field='ahead']")).to_have_text("1")
    page.locator("[data-enable-alerts]").click()
    taps = page.evaluate("window.__vibrations")

    calls.call_next(counter=counter, actor=Actor("console", clerk))  # A001, the one ahead
    expect(root.locator("[data-field='ahead']")).to_have_text("0")
    calls.complete(ticket=ahead, actor=Actor("console", clerk))
    calls.call_next(counter=counter, actor=Actor("console", clerk))  # A002: this ticket

    called = root.locator("[data-when='called']")
    expect(called).to_be_visible()
    expect(called).to_contain_text("A002")
    expect(called).to_contain_text("3")
    expect(root).to_have_attribute("data-state", "called")
    page.wait_for_function(f"() => window.__vibrations > {taps}")

    calls.start_serving(ticket=ticket, actor=Actor("console", clerk))
    expect(root.locator("[data-when='serving']")).to_be_visible()
    calls.complete(ticket=ticket, actor=Actor("console", clerk))

    rate = page.locator("a[data-rate]")
    expect(rate).to_be_visible()  # the page reloaded to show what comes after
    expect(rate).to_have_attribute("href", reverse("reports:rate", args=[ticket.token]))


def test_ticket_page_sounds_again_on_a_recall(context, hall, service, counter, clerk):
    ticket = walk_in(service)
    page = context.new_page()
    page.goto(reverse("queueing:ticket", args=[ticket.token]))
    expect(page.locator("[data-live-ticket]")).to_have_attribute("data-feed", "live")

    calls.call_next(counter=counter, actor=Actor("console", clerk))
    page.wait_for_function("() => window.__vibrations >= 1")
    page.wait_for_timeout(1000)
    after_call = page.evaluate("window.__vibrations")
    calls.recall(ticket=ticket, actor=Actor("console", clerk))

    page.wait_for_function(f"() => window.__vibrations > {after_call}")
    assert after_call == 1


def test_board_shows_a_call_made_after_a_server_restart_once(context, server, hall, service, counter, clerk):
    """It reconnects by itself and shows the call, in order, spoken once; how fast is measured in
    bench/faults.py and bench/sse_clients.py (a duration is no assert on a shared 2-core machine)."""
    first = walk_in(service)
    walk_in(service)
    board = open_board(context, hall)
    calls.call_next(counter=counter, actor=Actor("console", clerk))
    expect_latest(board, "A001", 3)

    server.stop()
    server.proc = Server(server.port).proc  # same port: the board's EventSource reconnects to it
    calls.complete(ticket=first, actor=Actor("console", clerk))
    calls.call_next(counter=counter, actor=Actor("console", clerk))

    expect_latest(board, "A002", 3, timeout=30_000)
    expect(board.locator("[data-board]")).to_have_attribute("data-feed", "live", timeout=30_000)
    wait_spoken(board, 2)
    assert spoken(board) == [spoken_call(board, "A001", 3), spoken_call(board, "A002", 3)]


def call_next_over_the_api(server, counter, key) -> int:
    """The console's call-next, sent to the server (so that the server's own publish meets Redis down)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/api/v1/counters/{counter.pk}/call-next",
        data=b"{}",
        method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - a local test server
        return response.status


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own, which it may stop (never the shared one)."""
    from bench.faults import Redis

    redis = Redis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


def test_board_announces_a_call_made_while_redis_is_down(
    browser, private_redis, hall, service, counter, clerk
):
    """Redis down: no event reaches the board, yet the call is shown and spoken once from the snapshot the
    board gets when its stream is ended and reopened; once Redis is back, the board is live again and the
    earlier call is not said twice."""
    server = Server(env={"REDIS_URL": private_redis.url})
    context = board_context(browser, server, hall)
    try:
        _token, key = ApiToken.objects.issue(user=clerk, hall=hall, name="keypad 3")
        first = walk_in(service)
        walk_in(service)
        board = open_board(context, hall)
        one, two = spoken_call(board, "A001", 3), spoken_call(board, "A002", 3)

        private_redis.stop()
        assert call_next_over_the_api(server, counter, key) == 200

        expect_latest(board, "A001", 3, timeout=15_000)
        wait_spoken(board, 1)
        assert spoken(board) == [one]

        private_redis.start()  # the same port
        expect(board.locator("[data-board]")).to_have_attribute("data-feed", "live", timeout=15_000)
        calls.complete(ticket=first, actor=Actor("console", clerk))
        assert call_next_over_the_api(server, counter, key) == 200

        expect_latest(board, "A002", 3)
        wait_spoken(board, 2)
        assert spoken(board) == [one, two]
    finally:
        context.close()
        server.stop()


def test_board_polls_when_the_stream_fails(context, hall, service, counter, clerk):
    walk_in(service)
    page = context.new_page()
    page.route("**/events*", lambda route: route.abort())
    page.goto(reverse("queueing:board", args=[hall.slug]))
    expect(page.locator("[data-board]")).to_have_attribute("data-feed", "polling", timeout=15_000)

    calls.call_next(counter=counter, actor=Actor("console", clerk))

    expect_latest(page, "A001", 3)  # within one polling period (5 s)
    wait_spoken(page, 1)
    assert spoken(page) == [spoken_call(page, "A001", 3)]


def test_board_offers_a_click_to_turn_on_sound_when_the_browser_needs_one(context, hall):
    context.add_init_script(SUSPENDED_AUDIO)
    board = open_board(context, hall)
    banner = board.locator("[data-enable-sound]")
    expect(banner).to_be_visible()

    board.mouse.click(960, 540)

    expect(banner).to_be_hidden()


def test_board_reads_ticket_numbers_digit_by_digit(context, hall):
    board = open_board(context, hall)

    results = board.evaluate(
        """[
          ChuangkouBoard.callText("请 %(number)s 号到 %(counter)s 号窗口", "A012", 3,
                                  "零 一 二 三 四 五 六 七 八 九".split(" ")),
          ChuangkouBoard.callText("Please, number %(number)s, to window %(counter)s.", "B105", 12,
                                  "0 1 2 3 4 5 6 7 8 9".split(" ")),
          ChuangkouBoard.spokenNumber("K9", "零 一 二 三 四 五 六 七 八 九".split(" ")),
        ]"""
    )

    assert results == ["请 A 零 一 二 号到 3 号窗口", "Please, number B 1 0 5, to window 12.", "K 九"]


def test_board_fits_a_1920_by_1080_screen_without_scrolling(context, hall, service, clerk):
    for n in range(4, 21):
        make_counter(hall, n, [service])
    for code in "BCDEFGHJK":
        make_service(hall, code=f"service-{code}", prefix=code)
    hall.notice_zh_hans = "本周六延时服务至18:00。" * 6
    hall.save()
    board = open_board(context, hall)

    size = board.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")

    assert size == [1920, 1080]


def test_ticket_page_keeps_the_estimates_range_when_it_refreshes(context, hall, service, counter, clerk):
    walk_in(service)
    ticket = walk_in(service)
    page = context.new_page()
    page.goto(reverse("queueing:ticket", args=[ticket.token]))
    root = page.locator("[data-live-ticket]")
    expect(root).to_have_attribute("data-feed", "live")
    wait = root.locator("[data-field='wait']")
    expect(wait).to_have_text("约 5–12 分钟")  # as the server wrote it (one ahead of 10 +- 5 minutes)

    with page.expect_response(lambda response: f"/api/v1/tickets/{ticket.token}" in response.url):
        walk_in(service)  # the queue changed: the page asks the API again

    expect(wait).to_have_text("约 5–12 分钟")  # and writes the same range, not "约 9 分钟"
