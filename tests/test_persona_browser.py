"""Each persona does its whole job by clicking only, in Chromium: the one typed address is the one that
`dev.py run` prints for its seat (the citizen site, or the staff sign-in page); every step after it is a
click on a link or a button, or typing into a form field (#15). The window clerk and the supervisor are in
tests/hall/test_navigation_browser.py."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

import dev
from appointments.models import Booking, BookingState
from hall.models import Closure, ExtraSession, WeeklySession
from tests.makers import make_counter, make_hall, make_id_number, make_service

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"
MOBILE = "13800138000"


def printed_address(seat: str, hall: str = "north") -> str:
    """The path that `dev.py run` prints for a seat of the hall: the one address a persona types."""
    for line in dev.seat_addresses("http://dev", hall=hall):
        name, address = line.split(":", 1)
        if name == seat:
            return address.split("http://dev", 1)[1].split()[0]
    raise LookupError(seat)


@pytest.fixture
def hall(settings):
    settings.BOOKING_SMS_CODE = False  # the text-message step has its own tests
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
    return hall


def test_citizen_books_finds_and_cancels_a_booking_in_chinese(page, hall):
    page.goto(printed_address("citizen site"))  # the one typed address
    expect(page.get_by_role("heading", level=1)).to_have_text("北区户政大厅")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    page.get_by_role("link", name="办事指南与预约").click()
    page.get_by_role("link", name="居民身份证换领").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("居民身份证换领")
    expect(page.locator(".materials li")).to_have_text(["户口簿"])
    page.get_by_role("link", name="预约办理").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("您想哪天来办理？")
    page.locator(".day-link").first.click()
    page.locator(".slot-link").first.click()
    page.get_by_label("姓名").fill("张三丰")
    page.get_by_label("手机号码").fill(MOBILE)
    page.get_by_role("button", name="继续").click()
    page.get_by_label("居民身份证号码").fill(make_id_number(1))
    page.get_by_role("button", name="继续").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("办理人数和其他事项")
    page.get_by_role("button", name="继续").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("核对预约信息")
    expect(page.locator(".summary-list")).to_contain_text("110***********")
    page.get_by_role("button", name="确认预约").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("预约成功")
    booking = Booking.objects.get()
    expect(page.locator(".booking-code")).to_have_text(booking.code)

    page.get_by_role("link", name="北区户政大厅").click()  # the brand leads back to the hall's page
    page.get_by_role("link", name="查询、改约或取消预约").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("查找预约")
    page.get_by_label("预约码").fill(booking.code)
    page.get_by_label("手机号码").fill(MOBILE)
    page.get_by_role("button", name="查找我的预约").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("您的预约")
    expect(page.locator("main")).to_contain_text(booking.code)

    page.get_by_role("link", name="取消预约").click()
    page.get_by_role("button", name="是的，取消预约").click()
    expect(page.locator("main .notice")).to_have_text("此预约已取消。")
    booking.refresh_from_db()
    assert (booking.language, booking.state) == ("zh-hans", BookingState.CANCELLED)


def test_citizen_switches_to_english_and_books(page, hall):
    page.goto(printed_address("citizen site"))  # the one typed address
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("North District Hall")

    page.get_by_role("link", name="Services and booking").click()
    page.get_by_role("link", name="ID card renewal").click()
    expect(page.locator(".materials li")).to_have_text(["Household register booklet"])
    page.get_by_role("link", name="Book a time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Which day do you want to come?")
    page.locator(".day-link").first.click()
    page.locator(".slot-link").first.click()
    page.get_by_label("Full name").fill("Zhang Sanfeng")
    page.get_by_label("Mobile number").fill(MOBILE)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Resident ID number").fill(make_id_number(1))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("English")).to_be_checked()  # texts come in the language of the page
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your booking")
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Booking confirmed")
    booking = Booking.objects.get()
    expect(page.locator(".booking-code")).to_have_text(booking.code)
    expect(page.locator(".checklist")).to_contain_text("Household register booklet")
    assert (booking.language, booking.state) == ("en", BookingState.BOOKED)


def test_administrator_signs_in_adds_a_closure_in_the_admin_and_signs_out(page, hall, settings):
    User.objects.create_superuser("root", password=PASSWORD)
    closed_on = timezone.localdate() + dt.timedelta(days=3)  # within the week the hall's page shows
    WeeklySession.objects.create(hall=hall, weekday=closed_on.weekday(), start=dt.time(9), end=dt.time(17))

    page.goto(printed_address("staff sign-in"))  # the one typed address
    page.get_by_label("用户名").fill("root")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile("/admin/$"))
    expect(page.get_by_role("heading", name="站点管理")).to_be_visible()

    page.get_by_role("link", name="大厅", exact=True).click()
    page.locator("#result_list").get_by_role("link", name="北区户政大厅").click()
    closures = page.locator("#closures-group")
    closures.get_by_role("button", name="添加另一个 暂停办公").click()
    row = closures.locator("tr.form-row.dynamic-closures").last
    row.locator("input[name$='-date']").fill(closed_on.isoformat())
    row.locator("input[name$='-reason_zh_hans']").fill("系统升级")
    row.locator("input[name$='-reason_en']").fill("System upgrade")
    page.get_by_role("button", name="保存", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("成功")
    page.locator("#result_list").get_by_role("link", name="北区户政大厅").click()
    expect(page.locator("#id_closures-0-date")).to_have_value(closed_on.strftime("%Y/%m/%d"))
    expect(page.locator("#id_closures-0-reason_zh_hans")).to_have_value("系统升级")
    assert Closure.objects.get().date == closed_on

    page.get_by_role("button", name="退出登录").click()  # the admin's own sign-out, to the citizens' site
    expect(page.get_by_role("heading", level=1)).to_have_text("北区户政大厅")
    assert settings.SESSION_COOKIE_NAME not in {cookie["name"] for cookie in page.context.cookies()}
    closed_day = page.locator("table.hours tbody tr").nth(3)  # from today: the fourth day
    expect(closed_day.get_by_role("rowheader")).to_contain_text(f"{closed_on.month}/{closed_on.day} ")
    expect(closed_day).to_contain_text("不办公")  # an opening day until the closure
    expect(closed_day).not_to_contain_text("09:00")
    expect(closed_day.locator(".reason")).to_have_text("系统升级")
