"""The booking's question pages on a phone (390 px wide): each fits the width, with nothing to scroll
sideways, in Chinese and in English."""

import os

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.appointments.test_browser import service  # noqa: F401 (fixture)
from tests.makers import make_id_number

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# Anything wider than the viewport, or a page wider than it: what makes a phone scroll sideways.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("main *")]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .map(e => e.tagName + "#" + e.id + "." + e.className);
  return {scroll: document.documentElement.scrollWidth - width, wide};
}"""


def fits(page, where: str) -> None:
    """Called once the page to measure is there (the caller waited for an element of its own): wait for
    its stylesheet too, which an element can show before."""
    page.wait_for_load_state("load")
    shot = os.environ.get("QUESTION_PAGE_SHOTS")
    if shot:  # to look at them: QUESTION_PAGE_SHOTS=/tmp/shots
        page.screenshot(path=f"{shot}/{where}.png", full_page=True)
    assert page.evaluate(OVERFLOW) == {"scroll": 0, "wide": []}, where


@pytest.mark.parametrize(("locale", "go_on"), [("zh-CN", "继续"), ("en-GB", "Continue")])
def test_each_question_page_fits_a_phone_without_scrolling_sideways(
    browser,
    live_server,
    service,  # noqa: F811 (fixture)
    locale,
    go_on,
):
    context = browser.new_context(base_url=live_server.url, locale=locale, viewport=PHONE)
    page = context.new_page()
    page.goto(reverse("appointments:choose_date", args=[service.hall.slug, service.code]))
    page.locator(".day-link").first.click()
    page.locator(".slot-link").first.click()

    page.get_by_role("button", name=go_on).click()  # the errors, too, must fit
    expect(page.locator(".error-summary")).to_be_visible()
    fits(page, f"{locale}-1-name-errors")
    page.locator("#id_name").fill("张三丰")
    page.locator("#id_phone").fill("13800138000")
    fits(page, f"{locale}-1-name")
    page.get_by_role("button", name=go_on).click()
    expect(page.locator("#id_id_number")).to_be_visible()
    fits(page, f"{locale}-2-id-number")
    page.locator("#id_id_number").fill(make_id_number(1))
    page.get_by_role("button", name=go_on).click()
    page.locator("#id_persons").fill("0")
    page.locator("#id_green_channel_5").check()
    page.get_by_role("button", name=go_on).click()
    expect(page.locator(".error-summary")).to_be_visible()
    fits(page, f"{locale}-3-visit-errors")
    page.locator("#id_persons").fill("1")
    page.locator("#id_green_channel_0").check()
    page.get_by_role("button", name=go_on).click()
    expect(page.locator(".summary-list")).to_be_visible()
    fits(page, f"{locale}-4-check")
    context.close()
