import re

import pytest
from playwright.sync_api import expect

from tests.makers import make_hall, make_service, make_weekday_hours

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]


def test_citizen_opens_home_switches_language_and_reads_guide(page):
    hall = make_hall()
    make_weekday_hours(hall)
    make_service(hall)

    page.goto(f"/h/{hall.slug}/")
    expect(page.locator("h1")).to_have_text("北区户政大厅")
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("North District Hall")
    page.get_by_role("link", name="Services and booking").click()
    page.get_by_role("link", name="ID card renewal").click()

    expect(page.locator("h1")).to_have_text("ID card renewal")
    expect(page.locator(".steps li")).to_have_text(["Take a ticket", "Have your photo taken", "Pay the fee"])
    expect(page.locator(".materials")).to_contain_text("Household register booklet")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("h1")).to_have_text("居民身份证换领")


def test_large_text_mode_enlarges_text_and_targets(page):
    hall = make_hall()
    make_weekday_hours(hall)
    page.goto(f"/h/{hall.slug}/")
    normal = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")

    page.locator("form[action$='large-text/'] button").click()

    expect(page.locator("html")).to_have_class(re.compile("large-text"))
    page.wait_for_load_state("load")  # the new page's stylesheet, before its sizes are read
    large = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert (normal, large) == (16, 24)  # 24 px = 18 pt
    height = page.locator("form[action$='large-text/'] button").bounding_box()["height"]
    assert height >= 60
