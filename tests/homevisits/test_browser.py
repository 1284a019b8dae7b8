"""In Chromium, in Chinese: a relative asks for a home visit from the service guide, the supervisor signs in
and approves it, the visit is completed, and the citizen's status page shows it done."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from homevisits.models import HomeVisit, VisitState
from notifications.models import Notification
from tests.homevisits.helpers import make_setting
from tests.makers import make_id_number

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]


def test_relative_requests_supervisor_approves_visit_done_citizen_sees_it(page):
    setting = make_setting()
    hall = setting.hall
    today = hall.local_date(timezone.now())
    id_number = make_id_number(9, birth="19300215")

    # A grandson asks, in Chinese, from the service guide.
    page.goto(f"/h/{hall.slug}/services/{setting.service.code}/")
    page.get_by_role("link", name="申请上门服务").click()
    expect(page.locator("h1")).to_have_text("申请上门服务")
    page.fill("#id_person_name", "王秀英")
    page.fill("#id_id_number", id_number)
    page.fill("#id_requester_name", "李明")
    page.fill("#id_relationship", "孙子")
    page.fill("#id_phone", "139 1234 5678")
    page.get_by_label("行动不便或卧床").check()
    page.fill("#id_address", "北区幸福路8号3单元502")
    page.fill("#id_preferred_date_1", (today + dt.timedelta(days=3)).isoformat())
    page.get_by_label("简体中文").check()
    page.get_by_role("button", name="提交申请").click()

    expect(page.locator(".notice")).to_have_text("等待大厅审核。")
    expect(page.locator(".visit-state")).to_have_text("待审核")
    expect(page.locator("main")).not_to_contain_text(id_number)
    expect(page.locator("main")).not_to_contain_text("王秀英")
    status_url = page.url

    # The supervisor signs in, finds the request first in the list and approves it.
    page.goto(f"/accounts/login/?next=/h/{hall.slug}/staff/home-visits/")
    page.fill("#id_username", setting.supervisor.username)
    page.fill("#id_password", "pw-for-tests-only")
    page.locator("main button.primary").click()
    page.locator(".visit-list tbody tr").first.get_by_role("link").click()
    page.get_by_role("link", name="批准并安排").click()
    page.fill("#id_date", (today + dt.timedelta(days=3)).isoformat())
    page.fill("#id_start", "09:30")
    page.get_by_label("clerk1").check()
    page.get_by_label("clerk2").check()
    expect(page.locator("input[name=counters]:checked")).to_have_count(2)  # one window per staff member
    page.get_by_role("button", name="批准并通知群众").click()

    expect(page.locator(".visit-state")).to_have_text("已批准并安排")
    expect(page.locator(".messages")).to_contain_text("上门服务已安排，并已通知群众。")

    # Back from the visit, the outcome is recorded: done.
    page.get_by_role("link", name="登记办理结果").click()
    page.get_by_label("办结").check()
    page.get_by_role("button", name="登记并通知群众").click()
    expect(page.locator(".visit-state")).to_have_text("已办结")

    # The citizen's link shows it done, with its history.
    page.goto(status_url)
    expect(page.locator(".notice")).to_have_text("上门服务已办结，谢谢。")
    expect(page.locator(".visit-history li")).to_have_count(3)
    expect(page.locator(".visit-history li").last).to_contain_text("已批准并安排 → 已办结")

    visit = HomeVisit.objects.get()
    assert visit.state == VisitState.DONE
    texts = list(Notification.objects.filter(subject_id=visit.pk).order_by("id").values_list("key", "text"))
    assert [key for key, _text in texts] == ["requested", "scheduled", "done"]
    assert texts[2][1] == "【北区户政大厅】您的居民身份证换领上门服务已办结，谢谢。"
