import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from postal.models import PostalItem
from tests.conftest import BROWSER_TIMEOUT_MS
from tests.makers import make_hall, make_id_number, make_service, make_staff, make_weekday_hours

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]


def staff_page(browser, live_server, user):
    """A second browser, signed in as `user` (the session cookie of a test client's login)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT_MS)
    return page


def test_citizen_applies_staff_move_the_item_to_delivered_and_the_tracking_number_shows(
    page, browser, live_server
):
    hall = make_hall()
    make_weekday_hours(hall)
    make_service(
        hall, code="hukou-cert", prefix="E", by_post=True, name_zh_hans="户籍证明", name_en="Certificate"
    )
    clerk = make_staff(hall)

    # The citizen applies from the guide, in Chinese.
    page.goto("/h/north/services/hukou-cert/")
    page.get_by_role("link", name="申请邮寄办理").click()
    expect(page.locator("h1")).to_have_text("邮寄办理")
    page.get_by_label("户籍证明").check()
    page.locator("#id_name").fill("张三")
    page.locator("#id_phone").fill("13800138000")
    page.locator("#id_id_number").fill(make_id_number(7))
    page.get_by_label("简体中文").check()
    page.locator("#id_recipient").fill("张三")
    page.locator("#id_recipient_phone").fill("13800138000")
    page.locator("#id_province").fill("浙江省")
    page.locator("#id_city").fill("望川市")
    page.locator("#id_district").fill("城关区")
    page.locator("#id_street").fill("人民路88号3幢201室")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("h1")).to_have_text("您的邮寄办理申请")
    expect(page.locator(".postal-state")).to_have_text("等待材料")
    tracking_url = page.url
    item = PostalItem.objects.get()

    # Staff receive the materials, process, send with a tracking number and confirm delivery.
    staff = staff_page(browser, live_server, clerk)
    staff.goto("/staff/post/")
    staff.get_by_role("link", name=item.reference).click()
    staff.get_by_role("button", name="已收到材料").click()
    expect(staff.locator(".postal-state")).to_have_text("已收到材料")
    staff.get_by_role("button", name="证件已办好，待寄出").click()
    expect(staff.locator(".postal-state")).to_have_text("证件待寄出")
    staff.get_by_label("快递公司").fill("EMS")
    staff.get_by_label("运单号").fill("EA123456789CN")
    staff.get_by_role("button", name="已寄出").click()
    expect(staff.locator(".postal-tracking")).to_have_text("EA123456789CN")
    staff.get_by_role("button", name="已签收").click()
    expect(staff.locator(".postal-state")).to_have_text("已签收")
    staff.context.close()

    # The citizen's page shows the courier, the tracking number and every step.
    page.goto(tracking_url)
    expect(page.locator(".postal-state")).to_have_text("已签收")
    expect(page.locator(".postal-courier")).to_have_text("EMS")
    expect(page.locator(".postal-tracking")).to_have_text("EA123456789CN")
    expect(page.locator(".history li strong")).to_have_text(
        ["等待材料", "已收到材料", "证件待寄出", "已寄出", "已签收"]
    )
