"""A citizen with no ticket writes in the comment book from the hall's page, by clicking, on a phone."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reports.models import WrittenComment
from tests.makers import make_hall

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]


def test_citizen_without_a_ticket_writes_in_the_comment_book_from_the_hall_page(browser, live_server):
    hall = make_hall()
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    page.goto(reverse("hall:home", args=[hall.slug]))

    page.get_by_role("link", name="意见簿").click()
    page.get_by_role("button", name="提交意见").click()
    expect(page.locator(".error-summary")).to_contain_text("请填写您的意见。")
    page.get_by_label("您的意见").fill("取号机旁边没有座位。")
    page.get_by_label("手机号码（选填）").fill("13800138000")
    page.get_by_role("button", name="提交意见").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("感谢您的意见")
    assert list(WrittenComment.objects.values_list("text", flat=True)) == ["取号机旁边没有座位。"]
    context.close()
