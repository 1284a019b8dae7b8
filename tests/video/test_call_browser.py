"""The acceptance test of video appointments: a citizen on a phone and a clerk at the console talk by WebRTC
in two Chromium contexts with fake cameras, each sees the other's live picture, the call survives the
citizen reopening the page, the clerk records the identity check and completes the matter by post.

Selectors are ids and attributes, not words, so that the test holds whichever language is compiled.
"""

import json
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from appointments.models import BookingState
from hall.models import AuditAction, AuditEntry
from postal.models import PostalItem, PostalOrigin
from tests.conftest import CHROMIUM
from tests.makers import make_id_number
from tests.video.helpers import ID_SERIAL, video_booking, video_setup
from video.models import IdentityCheck, Signal

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-for-tests-only"
# The remote picture is live: it has a size and its decoder has produced frames.
REMOTE_LIVE = """() => {
  const v = document.getElementById('remote-video');
  return v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 2;
}"""


@pytest.fixture(scope="module")
def media_browser(browser):
    """A second Chromium with a fake camera and microphone, launched through the suite's Playwright (a
    second sync_playwright() in the same thread would refuse: its event loop is already running)."""
    media = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
        ],
    )
    yield media
    media.close()


def context(browser, live_server, **options):
    # http://localhost, not 127.0.0.1: a secure context, where the browser allows camera and microphone.
    base = live_server.url.replace("127.0.0.1", "localhost")
    ctx = browser.new_context(base_url=base, permissions=["camera", "microphone"], **options)
    # Two media browsers beside a busy suite on 2 cores can take long to decode their first frames.
    ctx.set_default_timeout(45_000)
    return ctx


def test_citizen_and_clerk_see_each_other_then_identity_is_checked_and_the_document_posted(
    media_browser, live_server
):
    _hall, service, clerk = video_setup()
    booking = video_booking(service)
    citizen_ctx = context(media_browser, live_server, locale="zh-CN", viewport={"width": 390, "height": 844})
    clerk_ctx = context(media_browser, live_server, locale="en-GB")
    citizen, desk = citizen_ctx.new_page(), clerk_ctx.new_page()

    # The citizen opens their booking and joins the waiting room.
    citizen.goto(reverse("appointments:manage", args=[booking.manage_token]))
    citizen.locator("#join-call").click()
    expect(citizen.locator(".video-private")).to_be_visible()
    citizen.wait_for_function("() => document.getElementById('local-video').videoWidth > 0")
    assert citizen.evaluate("document.documentElement.scrollWidth") <= 390  # fits the phone

    # The server is busy for the clerk's first message (the offer, answered 503 as in an outage): the page
    # sends it again instead of losing it and the call.
    refused = []

    def busy_once(route):
        if route.request.method == "POST" and not refused:
            refused.append(route.request.url)
            route.fulfill(status=503, headers={"Retry-After": "1"}, body="busy")
        else:
            route.continue_()

    desk.route(re.compile(r"/console/video/\d+/signal/"), busy_once)

    # The clerk signs in and opens the call from the list of video appointments.
    desk.goto(reverse("login"))
    desk.locator("#id_username").fill(clerk.username)
    desk.locator("#id_password").fill(PASSWORD)
    desk.locator("main form button[type='submit']").click()
    # Signed in once the console is there: a goto while the sign-in is still on its way would cancel it.
    desk.wait_for_url(re.compile(r"/console/"))
    desk.goto(reverse("video:today"))
    desk.locator(f"a[href='{reverse('video:call', args=[booking.pk])}']").click()

    citizen.wait_for_function(REMOTE_LIVE)
    desk.wait_for_function(REMOTE_LIVE)
    expect(citizen.locator("#video-call")).to_have_attribute("data-state", "connected")
    assert len(refused) == 1

    # A dropped call is rejoined: the citizen reopens the page and both see each other again.
    citizen.reload()
    citizen.wait_for_function(REMOTE_LIVE)
    expect(desk.locator("#video-call")).to_have_attribute("data-state", "connected")
    desk.wait_for_function(REMOTE_LIVE)

    # The identity check: a wrong number first, then the right one.
    desk.locator("#id_face_matches").check()
    desk.locator("#id_questions_answered").check()
    desk.locator("#id_id_number").fill(make_id_number(ID_SERIAL + 1))
    desk.locator("#identity-form button[type='submit']").click()
    expect(desk.locator("#identity-answer")).to_contain_text("ID number")
    expect(desk.locator("#id_id_number")).to_have_value("")
    desk.locator("#id_id_number").fill(make_id_number(ID_SERIAL))
    desk.locator("#identity-form button[type='submit']").click()
    expect(desk.locator("#identity-answer")).to_have_text("Identity confirmed and recorded.")

    # Complete the matter and send the document by post.
    desk.locator("#id_by_post").check()
    desk.locator("#id_province").fill("甘肃省")
    desk.locator("#id_city").fill("兰州市")
    desk.locator("#id_district").fill("城关区")
    desk.locator("#id_street").fill("东岗西路1号")
    desk.locator("#complete-form button[type='submit']").click()
    item = None
    expect(desk.locator("#complete-answer")).to_have_attribute("data-ok", "yes")
    item = PostalItem.objects.get(booking=booking)
    expect(desk.locator("#complete-answer")).to_have_attribute("data-reference", item.reference)
    expect(citizen.locator("#video-call")).to_have_attribute("data-state", "done")
    citizen_ctx.close()
    clerk_ctx.close()

    booking.refresh_from_db()
    assert booking.state == BookingState.SERVED
    assert (item.origin, item.city, item.recipient) == (PostalOrigin.VIDEO, "兰州市", "王五")
    assert list(IdentityCheck.objects.values_list("passed", flat=True).order_by("id")) == [False, True]
    assert AuditEntry.objects.filter(action=AuditAction.VIDEO_IDENTITY_CHECKED, actor=clerk).count() == 2
    number = make_id_number(ID_SERIAL)
    for model in (IdentityCheck, AuditEntry, Signal):
        assert not any(number in json.dumps(row, default=str) for row in model.objects.values())
