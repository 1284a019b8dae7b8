"""The board's layout on a busy day, in Chromium: 10 earlier calls, 14 services with long names, 12 windows,
at the three screen sizes a hall's TV or a cheap monitor has, in both languages the board can speak.

What a person ten metres away would notice: two texts drawn over each other, or a text that runs out of
the screen or is cut off by its box. Each text node's box (clipped by the boxes that hide overflow) must
lie inside the viewport and apart from every other; a box that hides overflow may only do so with an
ellipsis, and then the whole text is in its title.
"""

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hall.models import DeviceKind
from queueing import calls, walkins
from queueing.services import Actor
from tests.makers import make_counter, make_service, make_staff, pair_browser
from tests.queueing.helpers import make_hall_open_today

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]

SIZES = [(1920, 1080), (1366, 768), (1280, 720)]
SERVICES = [
    ("户口迁移（省内跨市迁入及投靠落户）", "Household transfer (moving in from another city of the region)"),
    ("居民身份证换领", "ID card renewal"),
    ("居民身份证挂失补领", "Replacing a lost ID card"),
    ("临时居民身份证", "Temporary ID card"),
    ("出生登记", "Birth registration"),
    ("死亡注销", "Deregistration after a death"),
    ("户籍证明开具", "Certificate of household registration"),
    ("姓名变更登记（成年人及未成年人）", "Change of name (adults and minors)"),
    ("居住证办理", "Residence permit"),
    ("户口簿补领换领", "Replacing the household register booklet"),
    ("港澳台居民居住证", "Residence permit for Hong Kong, Macao and Taiwan residents"),
    ("分户登记", "Splitting a household"),
    ("出入境证件受理", "Exit and entry documents"),
    ("其他业务咨询", "Other questions"),
]
PREFIXES = "ABCDEFGHJKLMNP"

# Every visible text node's box, clipped by its ancestors that hide overflow; and every box that hides
# overflow and is overflowing, with how it does so.
MEASURE = """() => {
  const clip = (rect, el) => {
    let r = {left: rect.left, top: rect.top, right: rect.right, bottom: rect.bottom};
    for (let a = el; a && a !== document.documentElement; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
        const b = a.getBoundingClientRect();
        r = {left: Math.max(r.left, b.left), top: Math.max(r.top, b.top),
             right: Math.min(r.right, b.right), bottom: Math.min(r.bottom, b.bottom)};
      }
    }
    return r;
  };
  const texts = [], cut = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let index = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode(), index++) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el.checkVisibility() || el.closest('script')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const line of range.getClientRects()) {  // one box per line the text runs over
      // The em box of the glyphs, not the taller content area of the font, which overlaps the next
      // line whenever the line height is under about 1.4.
      const size = parseFloat(getComputedStyle(el).fontSize), middle = (line.top + line.bottom) / 2;
      const em = {left: line.left, right: line.right, top: middle - size / 2, bottom: middle + size / 2};
      const r = clip(em, el);
      if (r.right - r.left < 1 || r.bottom - r.top < 1) {
        if (line.width >= 1) cut.push({text: node.textContent.trim(), how: 'hidden by its box'});
        continue;
      }
      texts.push({text: node.textContent.trim(), node: index, ...r});
    }
  }
  for (const el of document.body.querySelectorAll('*')) {
    const s = getComputedStyle(el);
    if (!el.checkVisibility() || (s.overflowX === 'visible' && s.overflowY === 'visible')) continue;
    const wide = el.scrollWidth > el.clientWidth + 1;
    // A line's box is its line height; the font's content area may stick out of it a little (not its glyphs).
    const tall = el.scrollHeight > el.clientHeight + 0.25 * parseFloat(s.fontSize);
    if (tall || (wide && (s.textOverflow !== 'ellipsis' || el.title !== el.textContent.trim()))) {
      cut.push({text: el.textContent.trim().slice(0, 40), how: tall ? 'too tall' : 'cut without ellipsis'});
    }
  }
  return {texts, cut, width: innerWidth, height: innerHeight,
          scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight]};
}"""


@pytest.fixture
def busy_hall():
    """A hall with 14 services, 12 windows open and 11 calls made (the latest and 10 earlier)."""
    hall = make_hall_open_today()
    offered = [
        make_service(hall, code=f"s{i}", prefix=PREFIXES[i], name_zh_hans=zh, name_en=en)
        for i, (zh, en) in enumerate(SERVICES)
    ]
    for number in range(1, 13):
        counter = make_counter(hall, number, offered)
        clerk = make_staff(hall, username=f"clerk{number}")
        actor = Actor("console", clerk)
        calls.open_counter(counter=counter, actor=actor)
        if number <= 11:
            walkins.issue_walk_in(hall=hall, service=offered[number % 3], actor=Actor("kiosk"))
            calls.call_next(counter=counter, actor=actor)
    for service in offered:
        for _ in range(2):
            walkins.issue_walk_in(hall=hall, service=service, actor=Actor("kiosk"))
    hall.notice_zh_hans = "本周六延时服务至18:00，请提前预约。"
    hall.notice_en = "Open until 18:00 this Saturday; please book ahead."
    hall.save()
    return hall


def overlaps(a, b, slack=1.0) -> bool:
    return (
        min(a["right"], b["right"]) - max(a["left"], b["left"]) > slack
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > slack
    )


def measure_board(browser, live_server, hall, size, language):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": size[0], "height": size[1]}
    )
    try:
        pair_browser(context, live_server.url, hall, DeviceKind.BOARD)
        page = context.new_page()
        page.goto(reverse("queueing:board", args=[hall.slug]))
        expect(page.locator("[data-recent] .recent-call")).to_have_count(10)
        page.mouse.click(2, 2)  # a hall's operator turns the sound on once: the prompt goes
        expect(page.locator("[data-enable-sound]")).to_be_hidden()
        page.evaluate("document.fonts.ready")
        if shots := os.environ.get("BOARD_SHOTS"):  # a folder: to look at the board at each size
            page.screenshot(path=f"{shots}/board-{language}-{size[0]}x{size[1]}.png")
        return page.evaluate(MEASURE)
    finally:
        context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_board_on_a_busy_day_fits_the_screen_with_no_text_over_another(
    browser, live_server, busy_hall, settings, size, language
):
    settings.LANGUAGE_CODE = language  # the board speaks the hall's language

    found = measure_board(browser, live_server, busy_hall, size, language)

    outside = [
        t["text"]
        for t in found["texts"]
        if t["left"] < -0.5 or t["top"] < -0.5 or t["right"] > size[0] + 0.5 or t["bottom"] > size[1] + 0.5
    ]
    texts = found["texts"]
    crossing = [
        (a["text"], b["text"])
        for i, a in enumerate(texts)
        for b in texts[i + 1 :]
        if a["node"] != b["node"] and overlaps(a, b)  # the lines of one text, or its ellipsis, are one
    ]
    assert found["scroll"] == list(size)
    assert outside == []
    assert crossing == [], crossing
    assert found["cut"] == []
    assert len(texts) > 60  # the measure saw the board: 10 earlier calls, 12 windows, 14 services


def test_board_names_a_shortened_service_in_full_in_its_title(browser, live_server, busy_hall, settings):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 720})
    pair_browser(context, live_server.url, busy_hall, DeviceKind.BOARD)
    page = context.new_page()
    page.goto(reverse("queueing:board", args=[busy_hall.slug]))

    name = page.locator("[data-waiting] [data-service='s0'] .waiting-name")

    expect(name).to_have_attribute("title", SERVICES[0][0])
    page.evaluate("document.fonts.ready")
    # Shortened with an ellipsis, once the board has laid its lines out (it redraws after its first data).
    page.wait_for_function(
        "sel => { const el = document.querySelector(sel); return el && el.scrollWidth > el.clientWidth; }",
        arg="[data-waiting] [data-service='s0'] .waiting-name",
    )
    context.close()


def test_board_clock_shows_the_halls_time_on_a_tv_set_to_another_zone(browser, live_server):
    hall = make_hall_open_today(timezone="Asia/Urumqi")  # UTC+6, two hours behind Beijing
    context = browser.new_context(base_url=live_server.url, timezone_id="America/New_York")
    pair_browser(context, live_server.url, hall, DeviceKind.BOARD)
    page = context.new_page()
    before = dt.datetime.now(ZoneInfo("Asia/Urumqi"))
    page.goto(reverse("queueing:board", args=[hall.slug]))
    page.wait_for_function("() => window.ChuangkouBoard")

    shown = page.locator("[data-clock]").text_content()

    after = dt.datetime.now(ZoneInfo("Asia/Urumqi"))
    assert shown in {before.strftime("%H:%M"), after.strftime("%H:%M")}
    context.close()
