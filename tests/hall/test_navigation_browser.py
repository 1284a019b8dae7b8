"""A window clerk and a supervisor do their job by clicking only, in Chromium (zh-hans): from the staff
sign-in page that `dev.py run` prints, to their home, through the staff header, to signing out."""

import re

import pytest
from playwright.sync_api import expect

from queueing import walkins
from queueing.services import Actor
from tests.makers import make_counter, make_service, make_staff
from tests.queueing.helpers import make_hall_open_today

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"


@pytest.fixture
def hall():
    hall = make_hall_open_today(slug="north")
    service = make_service(hall)
    make_counter(hall, 1, [service])
    make_counter(hall, 2, [service])
    walkins.issue_walk_in(hall=hall, service=service, actor=Actor("kiosk"))
    return hall


def sign_in(page, username):
    page.goto("/accounts/login/")  # the one typed address: printed by `dev.py run`
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def header(page):
    return page.get_by_role("navigation", name="工作页面")


def test_clerk_signs_in_opens_a_window_calls_next_and_signs_out(page, hall):
    user = make_staff(hall, "clerk")
    user.first_name = "陈晓燕"
    user.save()

    sign_in(page, "clerk")
    expect(page.get_by_role("heading", name="选择窗口")).to_be_visible()
    expect(page.locator(".staff-who")).to_contain_text("陈晓燕 · 窗口工作人员")
    page.get_by_role("button", name="开启 1 号窗口").click()
    page.get_by_role("button", name=re.compile("^叫下一位")).click()
    expect(page.locator(".current-number")).to_have_text("A001")

    page.get_by_role("button", name="退出登录").click()
    expect(page.locator(".staff-header")).to_have_count(0)
    page.goto("/console/")
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()


def test_supervisor_reaches_reports_staffing_and_audit_through_the_header(page, hall):
    boss = make_staff(hall, "boss", role="supervisor")
    boss.is_staff = True
    boss.save()

    sign_in(page, "boss")
    expect(page).to_have_url(re.compile("/h/north/reports/$"))
    header(page).get_by_role("link", name="排班计划").click()
    expect(page).to_have_url(re.compile("/h/north/reports/staffing/$"))
    header(page).get_by_role("link", name="审计日志").click()
    expect(page).to_have_url(re.compile("/h/north/reports/audit/$"))
    expect(header(page).get_by_role("link", name="审计日志")).to_have_attribute("aria-current", "page")
    header(page).get_by_role("link", name="今日报表").click()
    expect(page).to_have_url(re.compile("/h/north/reports/$"))

    page.get_by_role("button", name="退出登录").click()
    expect(page.locator(".staff-header")).to_have_count(0)  # signed out: a goto before would cancel it
    page.goto("/h/north/reports/")
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()


def test_a_weak_new_password_is_refused_in_chinese_then_a_good_one_is_taken(page, hall):
    make_staff(hall, "clerk")

    sign_in(page, "clerk")
    page.get_by_role("link", name="修改密码").click()
    page.get_by_label("旧密码").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill("12345678")
    page.get_by_label("新密码确认").fill("12345678")
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_role("alert")).to_contain_text("这个密码太常见了。")
    expect(page.get_by_role("alert")).to_contain_text("密码只包含数字。")

    page.get_by_label("旧密码").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill("window-7-lotus")
    page.get_by_label("新密码确认").fill("window-7-lotus")
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_role("heading", name="密码已修改")).to_be_visible()
    page.get_by_role("link", name="返回工作页面").click()
    expect(page.get_by_role("heading", name="选择窗口")).to_be_visible()
