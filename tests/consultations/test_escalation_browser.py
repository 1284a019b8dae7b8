"""In a real browser, in Chinese: the clerk escalates a call-back's question to the brigade, records the
brigade's answer when it phones back, finds it in their call-backs under "answers to pass on" and texts it to
the citizen; axe-core finds nothing serious on the escalation pages."""

import re

import pytest
from playwright.sync_api import expect

from consultations.models import CallBack, Escalation
from notifications.models import Notification
from tests.consultations.conftest import log_call_back
from tests.makers import make_hall, make_staff, make_weekday_hours
from tests.test_accessibility import Audit, axe_source, sign_in  # noqa: F401 (axe_source: a fixture)

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hall(live_server):
    hall = make_hall()
    make_weekday_hours(hall)
    return hall


def test_clerk_escalates_and_passes_the_answer_on(page, live_server, hall):
    clerk = make_staff(hall, "clerk")
    call_back = log_call_back(hall, clerk)
    sign_in(page, live_server, clerk)

    page.goto(f"/h/north/call-backs/{call_back.pk}/")
    page.get_by_role("button", name="上报治安大队").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("请填写这一级的答复责任人（个人或单位）。")
    page.get_by_label("本级答复责任人").fill("治安大队 王副大队长")
    page.get_by_label("上报的问题（选填）").fill("外省迁入需要哪些材料")
    page.get_by_role("button", name="上报治安大队").click()

    expect(page.locator(".messages")).to_contain_text("已上报治安大队")
    expect(page.locator("[data-owner]")).to_have_text("治安大队 王副大队长")
    expect(page.locator(".escalation-chain [aria-current='step']")).to_contain_text("治安大队")

    page.get_by_label("答复内容").fill("可以在网上申请迁入。")
    page.get_by_role("button", name="登记答复").click()
    expect(page.locator("main")).to_contain_text("答复已登记，由首问责任人转告群众。")

    page.goto("/h/north/call-backs/")
    expect(page.locator("main")).to_contain_text("待转告群众的答复：1条")
    page.locator(".escalation-table").get_by_role("link", name="外省迁入需要哪些材料").click()
    expect(page.locator("[data-answer]")).to_have_text("可以在网上申请迁入。")
    page.get_by_label("短信告知").check()
    page.get_by_role("button", name="已转告答复").click()

    expect(page.locator("main")).to_contain_text("答复已转告，此问题已办结。")
    expect(page.locator(".escalation-state")).to_have_text("已转告群众")
    assert (Escalation.objects.get().state, CallBack.objects.get().state) == ("passed_on", "done")
    answer = Notification.objects.get(kind="escalation_answer")
    assert answer.text == f"【北区户政大厅】您咨询的问题（编号{call_back.pk}）答复如下：可以在网上申请迁入。"
    page.goto("/h/north/call-backs/")
    expect(page.locator("main")).not_to_contain_text("待转告")


@pytest.mark.parametrize("mode", ["zh-hans", "en"])
def test_escalation_pages_have_no_serious_violations(page, live_server, axe_source, hall, mode):  # noqa: F811
    clerk = make_staff(hall, "clerk")
    call_back = log_call_back(hall, clerk)
    sign_in(page, live_server, clerk)
    audit = Audit(page, axe_source)
    page.goto("/h/north/call-backs/")
    if mode == "en":
        page.locator(".preferences button[name='language']").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")

    audit.visit(f"/h/north/call-backs/{call_back.pk}/", "call-back with the escalation form")
    page.locator(".escalate-form button").click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("escalation form with an error")
    page.locator("#id_owner_name").fill("王")
    page.locator(".escalate-form button").click()
    expect(page).to_have_url(re.compile(r"/escalations/\d+/$"))
    audit.check("an escalation")
    audit.visit("/h/north/escalations/", "escalations")

    audit.assert_clean()
