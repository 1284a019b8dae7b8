"""A citizen asks a question online in Chinese, in a real browser, and the owner finds it in their
call-backs; axe-core finds nothing serious on the form (with its errors) or the confirmation page."""

import re

import pytest
from playwright.sync_api import expect

from consultations.models import CallBack
from notifications.models import Notification
from tests.makers import make_hall, make_service, make_staff, make_weekday_hours
from tests.test_accessibility import Audit, axe_source, sign_in  # noqa: F401 (axe_source: a fixture)

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hall(live_server):
    hall = make_hall()
    make_weekday_hours(hall)
    make_service(hall, "move-in", "C", name_zh_hans="户口迁入", name_en="Moving in")
    return hall


def test_citizen_asks_in_chinese_and_the_owner_sees_it(page, browser, live_server, hall):
    clerk = make_staff(hall, "clerk")

    page.goto("/h/north/ask/")
    expect(page.locator("h1")).to_have_text("网上咨询")
    page.get_by_role("button", name="提交咨询").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("a")).to_have_text(["请填写您的问题。", "请输入您的手机号码。"])
    summary.get_by_role("link", name="请填写您的问题。").click()
    expect(page).to_have_url(re.compile(r"#id_question$"))

    page.get_by_label("咨询哪项业务（选填）").select_option(label="户口迁入")
    page.get_by_label("您的问题").fill("从外省迁入需要准备哪些材料？")
    page.get_by_label("手机号码").fill("13800138000")
    second = page.locator("input[name='half_day']").nth(2)
    chosen = page.locator(f"label[for='{second.get_attribute('id')}']").inner_text()
    second.check()
    page.get_by_role("button", name="提交咨询").click()

    expect(page.locator("h1")).to_have_text("已收到您的咨询")
    start, end = re.search(r"(\d\d:\d\d)–(\d\d:\d\d)", chosen).groups()
    expect(page.locator("[data-when]")).to_contain_text(f"{start}至{end}之间给您回电")
    expect(page.locator("main")).to_contain_text("138****8000")
    call_back = CallBack.objects.get()
    assert (call_back.owner, Notification.objects.filter(kind="consultation_received").count()) == (clerk, 1)

    sign_in(page, live_server, clerk)
    page.goto("/h/north/call-backs/")
    expect(page.locator(".call-back-table tbody tr")).to_have_count(1)
    expect(page.locator(".call-back-table tbody")).to_contain_text("从外省迁入需要准备哪些材料？")


@pytest.mark.parametrize("mode", ["zh-hans", "en", "large-text"])
def test_ask_pages_have_no_serious_violations(page, axe_source, hall, mode):  # noqa: F811
    make_staff(hall, "clerk")
    audit = Audit(page, axe_source, large_text=mode == "large-text")
    page.goto("/h/north/")
    if mode == "en":
        page.locator(".preferences button[name='language']").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    elif mode == "large-text":
        page.locator(".preferences button[aria-pressed]").click()
        expect(page.locator("html")).to_have_class("large-text")

    audit.visit("/h/north/ask/", "ask a question")
    page.locator("main form button.primary").click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("ask a question with errors")
    page.locator("#id_question").fill("居住证怎么办理")
    page.locator("#id_mobile").fill("13800138000")
    page.locator("main form button.primary").click()
    expect(page).to_have_url(re.compile(r"/ask/sent/$"))
    audit.check("question sent")

    audit.assert_clean()
    assert audit.pages == ["ask a question", "ask a question with errors", "question sent"]


def test_ask_page_text_is_at_least_16_px(page, hall):
    page.goto("/h/north/ask/")
    page.locator("main form button.primary").click()
    # The page with its errors must be there before its text is read, or the read races the post; and
    # loaded, stylesheet included: before it, inputs measure the browser's own 13.3 px.
    expect(page.locator(".error-summary")).to_be_visible()
    page.wait_for_load_state("load")

    tags = "p label legend li a button textarea select input:not([type=radio])"
    selector = ", ".join(f"main {tag}" for tag in tags.split())
    sizes = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].filter((el) => el.offsetParent !== null)
        .map((el) => [el.outerHTML.slice(0, 60), parseFloat(getComputedStyle(el).fontSize)])""",
        selector,
    )

    assert len(sizes) > 10
    assert [(html, size) for html, size in sizes if size < 16] == []
