"""In Chromium: when the hall's server is too busy to take the booking (hall/admission.py answers 503 with
Retry-After), the Confirm booking page says so, counts down and sends the booking again by itself; the
citizen ends on the booking's page without pressing anything twice, and is booked once.

The first confirmation is refused for real: the request leaves the browser with an X-Request-Start stamp
five seconds old, as nginx would have stamped a request that waited that long in the queue."""

import datetime as dt
import re
import time

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import Booking, Slot
from hall.models import ExtraSession
from tests.makers import make_counter, make_hall, make_id_number, make_service

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hall(settings):
    settings.BOOKING_SMS_CODE = False
    settings.ADMISSION_MAX_WAIT_MS = 500
    settings.ADMISSION_RETRY_AFTER = 2
    hall = make_hall()
    ExtraSession.objects.create(
        hall=hall,
        date=timezone.localdate() + dt.timedelta(days=2),
        start=dt.time(9),
        end=dt.time(12),
        reason_zh_hans="预约服务",
        reason_en="Booking day",
    )
    make_counter(hall, 1, [make_service(hall)])
    return hall


def test_a_busy_server_makes_the_booking_page_wait_and_retry_by_itself(page, hall):
    refused, held = [], []

    def first_confirmation_waited_too_long(route, request):
        if request.method != "POST":
            route.continue_()
        elif not refused:
            refused.append(request.url)
            stamp = f"t={time.time() - 5:.3f}"
            route.continue_(headers={**request.headers, "x-request-start": stamp})
        else:
            # The retry waits here until the test has read the page's "busy" state: on a loaded machine
            # the page's two seconds could otherwise pass before the test looks.
            held.append(route)

    page.set_default_timeout(60_000)  # a shared CI machine: the page may take its time, the test waits
    page.set_default_navigation_timeout(60_000)
    page.route("**/confirm/", first_confirmation_waited_too_long)
    page.goto(f"/h/{hall.slug}/book/id-renewal/")
    page.locator(".day-link").first.click()
    page.locator(".slot-link").first.click()
    page.get_by_label("姓名").fill("张三丰")
    page.get_by_label("手机号码").fill("13800138000")
    page.get_by_role("button", name="继续").click()
    page.get_by_label("居民身份证号码").fill(make_id_number(1))
    page.get_by_role("button", name="继续").click()
    # The next page's own button: pressed at once, "继续" would still be the ID number page's.
    expect(page.get_by_role("heading", level=1)).to_have_text("办理人数和其他事项")
    page.get_by_role("button", name="继续").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("核对预约信息")

    page.get_by_role("button", name="确认预约").click()

    status = page.get_by_role("status")
    expect(status).to_contain_text("系统繁忙，")
    expect(status).to_contain_text("秒后自动重试，请不要关闭本页。")
    expect(page.get_by_role("button", name="确认预约")).to_be_disabled()  # no second booking by hand
    expect(status).to_contain_text(re.compile(r"(^|\D)0 秒后自动重试"))  # the wait is over: it sends again
    for _ in range(600):  # Playwright hands the held retry over while the test waits on the page
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the page did not send the booking again"
    assert refused and not Booking.objects.exists()  # the refused request booked nothing
    held[0].continue_()

    expect(page.get_by_role("heading", level=1)).to_have_text("预约成功", timeout=60_000)  # by itself
    booking = Booking.objects.get()
    expect(page.locator(".booking-code")).to_have_text(booking.code)


def test_a_refusal_after_the_wait_shows_on_the_page_as_without_javascript(page, hall):
    """The form sent by fetch: an answer that is not "busy" (here: the time filled up meanwhile) replaces the
    page as a normal submit would, with its error summary."""
    page.set_default_timeout(60_000)
    page.goto(f"/h/{hall.slug}/book/id-renewal/")
    page.locator(".day-link").first.click()
    page.locator(".slot-link").first.click()
    page.get_by_label("姓名").fill("张三丰")
    page.get_by_label("手机号码").fill("13800138000")
    page.get_by_role("button", name="继续").click()
    page.get_by_label("居民身份证号码").fill(make_id_number(1))
    page.get_by_role("button", name="继续").click()
    # The next page's own button: pressed at once, "继续" would still be the ID number page's.
    expect(page.get_by_role("heading", level=1)).to_have_text("办理人数和其他事项")
    page.get_by_role("button", name="继续").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("核对预约信息")
    Slot.objects.update(taken=F("capacity"))  # someone else took the last place

    page.get_by_role("button", name="确认预约").click()

    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".error-summary")).to_be_focused()  # booking.js ran on the new page too
    expect(page).to_have_title(re.compile("^错误："))
    assert not Booking.objects.exists()
