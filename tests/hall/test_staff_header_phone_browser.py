"""The supervisor's staff header on a phone (390×844): folded into a Menu so that the page's own content
starts on the first screen, every page reachable once the menu is opened, nothing wider than the screen.
On a desktop screen the menu is open without a click."""

import re

import pytest
from playwright.sync_api import expect

from tests.hall.test_navigation_browser import PASSWORD, hall  # noqa: F401 (fixture)
from tests.makers import make_staff

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WIDE = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll(".staff-header *")]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .map(e => e.tagName + "." + e.className);
}"""


def signed_in_supervisor(browser, live_server, hall, viewport):  # noqa: F811 (not the fixture)
    boss = make_staff(hall, "boss", role="supervisor")
    boss.is_staff = True
    boss.save()
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("boss")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # Loaded, not only there: the header is measured, and before its stylesheet it has no layout of its own.
    page.wait_for_url(re.compile("/h/north/reports/$"))
    return page


def test_supervisor_header_on_a_phone_folds_into_a_menu_that_opens_without_script(
    browser,
    live_server,
    hall,  # noqa: F811 (fixture)
):
    page = signed_in_supervisor(browser, live_server, hall, PHONE)
    links = page.locator(".staff-nav a")

    header_height = page.locator(".staff-header").bounding_box()["height"]
    expect(links.first).to_be_hidden()
    assert header_height < PHONE["height"] / 2
    assert page.locator("main h1").bounding_box()["y"] < PHONE["height"]
    page.get_by_text("菜单", exact=True).click()
    assert links.count() >= 8
    for index in range(links.count()):
        expect(links.nth(index)).to_be_visible()
        links.nth(index).scroll_into_view_if_needed()
        box = links.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], links.nth(index).inner_text()
    assert page.evaluate(WIDE) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("link", name="审计日志").click()
    expect(page).to_have_url(re.compile("/h/north/reports/audit/$"))


def test_supervisor_header_on_a_desktop_shows_every_page_without_a_click(
    browser,
    live_server,
    hall,  # noqa: F811 (fixture)
):
    page = signed_in_supervisor(browser, live_server, hall, {"width": 1280, "height": 800})

    expect(page.get_by_text("菜单", exact=True)).to_be_hidden()
    expect(page.locator(".staff-nav a").first).to_be_visible()
    expect(
        page.get_by_role("navigation", name="工作页面").get_by_role("link", name="排班计划")
    ).to_be_visible()
