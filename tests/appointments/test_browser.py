import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import Booking, BookingState
from hall.models import ExtraSession
from tests.makers import make_counter, make_hall, make_id_number, make_service

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def service():
    hall = make_hall()
    ExtraSession.objects.create(
        hall=hall,
        date=timezone.localdate() + dt.timedelta(days=2),
        start=dt.time(9),
        end=dt.time(12),
        reason_zh_hans="预约服务",
        reason_en="Booking day",
    )
    service = make_service(hall)
    make_counter(hall, 1, [service])
    return service


def answer_question_pages(page, *, name="张三丰", phone="13800138000", id_number=None):
    """From the first question page to the check page, with the usual answers, by clicking Continue."""
    page.locator("#id_name").fill(name)
    page.locator("#id_phone").fill(phone)
    page.locator("main form button.primary").click()
    page.locator("#id_id_number").fill(id_number or make_id_number(1))
    page.locator("main form button.primary").click()
    expect(page.locator("#id_persons")).to_be_visible()
    page.locator("main form button.primary").click()
    expect(page.locator(".summary-list")).to_be_visible()


def expect_booked_with_visible_qr(page):
    booking = Booking.objects.get()
    expect(page.locator(".booking-code")).to_have_text(booking.code)
    qr = page.locator(".qr img")
    expect(qr).to_be_visible()
    # decode() waits for the image to load (it may still be on its way when the element shows) and fails
    # if it cannot be loaded or decoded.
    assert qr.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    return booking


def test_citizen_books_and_cancels_in_chinese(page, service):
    page.goto(reverse("hall:service_detail", args=[service.hall.slug, service.code]))
    expect(page.locator("h1")).to_have_text("居民身份证换领")
    book_url = reverse("appointments:choose_date", args=[service.hall.slug, service.code])
    page.locator(f"a[href='{book_url}']").click()
    expect(page.locator(".materials li")).to_have_text(["户口簿"])
    page.locator(".day-link").first.click()
    page.locator(".slot-link").first.click()

    expect(page.locator(".step-count")).to_have_text("第 1 步，共 3 步")
    page.locator("#id_name").fill("张三丰")
    page.locator("#id_phone").fill("13800138000")
    page.get_by_role("button", name="继续").click()
    expect(page.locator(".step-count")).to_have_text("第 2 步，共 3 步")
    page.get_by_role("button", name="继续").click()
    expect(page.locator(".error-summary")).to_contain_text("请输入您的居民身份证号码。")
    page.locator("#id_id_number").fill(make_id_number(1))
    page.get_by_role("button", name="继续").click()
    expect(page.locator(".step-count")).to_have_text("第 3 步，共 3 步")
    expect(page.locator("#id_language_0")).to_be_checked()  # 简体中文, the page's language
    page.get_by_role("button", name="继续").click()
    expect(page.locator("h1")).to_have_text("核对预约信息")
    expect(page.locator(".summary-list")).to_contain_text("110***********")
    page.get_by_role("link", name="修改 姓名").click()
    expect(page.locator("#id_name")).to_have_value("张三丰")
    page.locator("#id_name").fill("张三")
    page.get_by_role("button", name="继续").click()
    expect(page.locator(".summary-list")).to_contain_text("姓名张三")
    page.get_by_role("button", name="确认预约").click()
    expect(page.locator("h1")).to_have_text("预约成功")

    booking = expect_booked_with_visible_qr(page)
    expect(page.locator(".site-header .brand")).to_have_text("北区户政大厅")
    page.locator(".manage-link a").click()
    page.locator(f"a[href='{reverse('appointments:cancel', args=[booking.manage_token])}']").click()
    page.locator("main form button.danger").click()
    expect(page.locator("main .notice")).to_be_visible()
    booking.refresh_from_db()
    assert (booking.language, booking.state) == ("zh-hans", BookingState.CANCELLED)


def test_citizen_books_and_cancels_in_english(page, service):
    page.goto(reverse("hall:service_detail", args=[service.hall.slug, service.code]))
    page.get_by_role("button", name="English").click()
    page.get_by_role("link", name="Book a time").click()
    expect(page.locator("h1")).to_have_text("Which day do you want to come?")
    page.locator(".day-link").first.click()
    page.locator(".slot-link").first.click()

    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter your full name, as on your ID card.")
    page.get_by_role("link", name="Enter your full name, as on your ID card.").click()
    expect(page.get_by_label("Full name")).to_be_focused()
    page.get_by_label("Full name").fill("Zhang Sanfeng")
    page.get_by_label("Mobile number").fill("13800138000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".step-count")).to_have_text("Step 2 of 3")
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_label("Full name")).to_have_value("Zhang Sanfeng")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Resident ID number").fill(make_id_number(1))
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("About your visit")
    page.get_by_label("English").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Check your booking")
    page.get_by_role("link", name="Back").click()
    expect(page.locator(".step-count")).to_have_text("Step 3 of 3")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.locator("h1")).to_have_text("Booking confirmed")
    booking = expect_booked_with_visible_qr(page)
    page.locator(".manage-link a").click()
    page.get_by_role("link", name="Cancel the booking").click()
    page.get_by_role("button", name="Yes, cancel the booking").click()
    expect(page.locator("main .notice")).to_have_text("This booking is cancelled.")
    booking.refresh_from_db()
    assert (booking.language, booking.state) == ("en", BookingState.CANCELLED)
