"""The clerk's "choose your window" list on a phone (390×844) and a desktop: every window's number, label,
services and open button on the screen, nothing wider than it (on a phone each window is one block)."""

import re

import pytest
from playwright.sync_api import expect

from tests.hall.test_navigation_browser import PASSWORD
from tests.makers import make_counter, make_service, make_staff
from tests.queueing.helpers import make_hall_open_today

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]

OUTSIDE = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("main *")]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .map(e => e.tagName + "." + e.className);
}"""


@pytest.fixture
def hall():
    hall = make_hall_open_today(slug="north")
    names = {"A": "居民身份证首次申领", "B": "居民身份证换领", "C": "居民身份证补领", "D": "临时居民身份证"}
    served = [make_service(hall, code=f"s-{p}", prefix=p, name_zh_hans=name) for p, name in names.items()]
    for number in (1, 2, 3):
        make_counter(hall, number, served, label_zh_hans="居民身份证、居住证")
    make_staff(hall, "clerk")
    return hall


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 768}])
def test_every_window_fits_the_screen_with_its_open_button(browser, live_server, hall, viewport):
    page = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=viewport).new_page()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # The window picker, loaded with its stylesheet: it is measured below.
    page.wait_for_url(re.compile(r"/console/$"))

    for number in (1, 2, 3):
        button = page.get_by_role("button", name=f"开启 {number} 号窗口")
        expect(button).to_be_visible()
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box["x"] + box["width"] <= viewport["width"]
        assert box["height"] < 60  # one line, not "开启 1 号" over "窗口"
    expect(page.get_by_text("居民身份证、居住证").first).to_be_visible()
    assert page.evaluate(OUTSIDE) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
