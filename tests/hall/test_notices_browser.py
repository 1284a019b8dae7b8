"""The board's notice strip in Chromium against a real uvicorn (see tests/queueing/test_display_browser.py):
a notice that expires leaves the board at its next snapshot, a new one appears, without reloading the page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from hall.models import DeviceKind, Notice
from queueing import walkins
from queueing.services import Actor
from tests.conftest import BROWSER_TIMEOUT_MS
from tests.makers import make_service, pair_browser
from tests.queueing.helpers import make_hall_open_today
from tests.queueing.test_live import Server

pytestmark = [
    pytest.mark.requires_browser,
    pytest.mark.requires_postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def server():
    started = Server()
    yield started
    started.stop()


@pytest.fixture
def context(browser, server):
    context = browser.new_context(
        base_url=f"http://127.0.0.1:{server.port}", locale="zh-CN", viewport={"width": 1920, "height": 1080}
    )
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    yield context
    context.close()


def make_notice(hall, title, days=30):
    now = timezone.now()
    return Notice.objects.create(
        hall=hall,
        title_zh_hans=title,
        title_en=title,
        valid_from=now - dt.timedelta(days=1),
        valid_until=now + dt.timedelta(days=days),
    )


def test_board_strip_follows_the_notices_without_a_reload(context, server):
    hall = make_hall_open_today()
    service = make_service(hall)
    old = make_notice(hall, "身份证办理时间调整")
    pair_browser(context, f"http://127.0.0.1:{server.port}", hall, DeviceKind.BOARD)
    page = context.new_page()
    page.goto(reverse("queueing:board", args=[hall.slug]))
    board = page.locator("[data-board]")
    expect(board).to_have_attribute("data-feed", "live")
    strip = page.locator("[data-notices]")
    expect(strip).to_be_visible()
    expect(strip.locator("li")).to_have_text(["身份证办理时间调整"])

    Notice.objects.filter(pk=old.pk).update(valid_until=timezone.now() - dt.timedelta(seconds=1))
    walkins.issue_walk_in(hall=hall, service=service, actor=Actor("kiosk"))  # any event re-reads the snapshot

    expect(strip).to_be_hidden()

    make_notice(hall, "准迁证有效期顺延六个月")
    walkins.issue_walk_in(hall=hall, service=service, actor=Actor("kiosk"))

    expect(strip.locator("li")).to_have_text(["准迁证有效期顺延六个月"])
    expect(strip).to_be_visible()
