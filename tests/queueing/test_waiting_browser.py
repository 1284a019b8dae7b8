"""'Waiting now' on the hall's public page in Chromium, against a real uvicorn process on the test database
(as tests/queueing/test_display_browser.py): a walk-in ticket issued in this process reaches the page
through the hall's event stream, and the page re-reads GET /api/v1/halls/{hall}/waiting without a reload.
The page is public: no pairing."""

import os
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from queueing import calls, walkins
from queueing.services import Actor
from tests.conftest import BROWSER_TIMEOUT_MS
from tests.makers import make_counter, make_service, make_staff
from tests.queueing.helpers import make_hall_open_today
from tests.queueing.test_live import Server

pytestmark = [
    pytest.mark.requires_browser,
    pytest.mark.requires_postgres,
    pytest.mark.django_db(transaction=True),
]


WIDER_THAN_THE_SCREEN = """() => Array.from(document.querySelectorAll("body *"))
  .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .map((e) => e.tagName + "." + e.className + " " + (e.textContent || "").trim().slice(0, 30))"""


@pytest.fixture
def server():
    started = Server()
    yield started
    started.stop()


def test_hall_page_waiting_figures_follow_a_new_walk_in_without_reload(browser, server):
    hall = make_hall_open_today()
    service = make_service(hall)
    calls.open_counter(counter=make_counter(hall, 1, [service]), actor=Actor("console", make_staff(hall)))
    context = browser.new_context(
        base_url=f"http://127.0.0.1:{server.port}", locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    page = context.new_page()
    page.goto(reverse("hall:home", args=[hall.slug]))
    section = page.locator("[data-waiting-now]")
    row = section.locator(f"tr[data-service='{service.code}']")
    expect(section).to_have_attribute("data-feed", "live")
    expect(row.locator("[data-field='waiting']")).to_have_text("0")
    expect(row.locator("[data-field='wait']")).to_have_text("现在无需等待")
    expect(section).to_have_attribute("data-read-at", re.compile(".+"))  # the read on connecting is done
    page.evaluate("document.querySelector('[data-waiting-now]').dataset.loadedOnce = 'yes'")

    for _ in range(2):
        walkins.issue_walk_in(hall=hall, service=service, actor=Actor("kiosk"))

    expect(row.locator("[data-field='waiting']")).to_have_text("2")
    expect(row.locator("[data-field='wait']")).to_have_text("约 10–30 分钟")
    assert (
        page.evaluate("document.querySelector('[data-waiting-now]').dataset.loadedOnce") == "yes"
    )  # no reload
    font = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.waiting-table td')).fontSize)")
    assert font >= 16
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone
    if path := os.environ.get("WAITING_SCREENSHOT"):  # to read the page as a citizen would
        page.screenshot(path=path, full_page=True)

    # English in large text, the longest words at the largest size, still fits the phone.
    # Each preference posts and reloads the page: the second is pressed on the page the first brought back
    # (pressed on the old one, its post would cancel the first's).
    page.locator(".preferences button[name='language']").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator(".preferences button[aria-pressed]").click()
    expect(page.locator("html")).to_have_class("large-text")
    expect(row.locator("[data-field='wait']")).to_have_text("about 10–30 minutes")
    page.wait_for_load_state("load")  # measured below: with its stylesheet
    if path := os.environ.get("WAITING_SCREENSHOT"):
        page.screenshot(path=path.replace(".png", "_en_large.png"), full_page=True)
    wide = page.evaluate(WIDER_THAN_THE_SCREEN)
    assert wide == []
    context.close()
