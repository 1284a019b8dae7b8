"""The supervisor's what-if in a browser: from the staffing plan, one counter changed for an hour, the run
queued with its progress shown, the background job run by a real RQ worker, then the charts and the share
within the target; in Chinese and in English, on a desktop screen and on a phone (390 px) with nothing
wider than the screen.

The worker: on PostgreSQL `manage.py rqworker --burst` in its own process while the page polls for the
progress (seen changing from waiting to simulating) and reloads itself when the run is done; on SQLite (an
in-memory database only this process can open) a burst worker in this process while the browser is away,
then the page's refresh link."""

import re

import pytest
from django.db import connection
from playwright.sync_api import expect
from rq import SimpleWorker

from hall.models import Hall
from simulation import whatif
from simulation.job_models import JobState
from simulation.whatif_models import WhatIfRun
from tests.makers import make_hall
from tests.notifications.test_faults import Workers

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("main *")]
    .filter(e => !e.closest(".table-wrap") && e.getBoundingClientRect().right > width + 0.5)
    .map(e => e.tagName + "." + e.className);
  return [document.documentElement.scrollWidth - width, wide];
}"""


@pytest.fixture
def hall(settings, furnish_for_what_if) -> Hall:
    """Furnished for a what-if of about forty walk-ins (conftest.py)."""
    return furnish_for_what_if(make_hall())


def assert_fits(page, width: int) -> None:
    """Called once the page to measure is there (the caller waited for an element of its own): wait for
    its stylesheet too, which an element can show before."""
    page.wait_for_load_state("load")
    overflow, wide = page.evaluate(TOO_WIDE)
    assert overflow <= 0 and wide == [], (width, overflow, wide)


def run_the_job(page, rq_queue, tmp_path, settings) -> None:
    if connection.vendor == "postgresql":
        workers = Workers(tmp_path, settings.RQ_QUEUES["simulation"]["URL"], queue="simulation")
        try:
            worker = workers.start("--burst")
            # The page, polling, shows the job's progress, then reloads itself with the result.
            expect(page.locator("#progress-label")).to_contain_text("正在模拟这一天", timeout=60_000)
            assert worker.wait(timeout=180) == 0, (tmp_path / "worker-0.log").read_text()
        finally:
            workers.stop_all()
        return
    refresh = page.get_by_role("link", name="立即刷新")  # the page's refresh without script
    expect(refresh).to_be_visible()
    address = refresh.evaluate("link => link.href")
    page.goto("about:blank")  # nothing may use this process's database while the job does
    SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True, with_scheduler=False)
    page.goto(address)


def test_supervisor_changes_a_counter_and_sees_the_predicted_day(
    browser, live_server, hall, rq_queue, tmp_path, settings, next_tuesday
):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(20_000)
    day = next_tuesday
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("boss")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # Signed in once the supervisor's home is there: a goto while the sign-in is on its way would cancel it.
    page.wait_for_url(re.compile(rf"/h/{hall.slug}/reports/$"))

    # From the staffing plan to the what-if, which starts from the plan's counters.
    page.goto(f"/h/{hall.slug}/reports/staffing/?date={day.isoformat()}")
    page.locator("#whatif-link").click()
    expect(page.locator("h1")).to_contain_text(f"假设推演: {day.isoformat()}")
    planned = whatif.planned_counters(hall, day, "normal")
    expect(page.get_by_label("09:00")).to_have_value(str(planned[9]))
    assert_fits(page, DESKTOP["width"])

    # Too many counters: refused in Chinese, nothing queued.
    page.get_by_label("09:00").fill("99")
    page.get_by_role("button", name="模拟这一天").click()
    expect(page.locator(".error-summary")).to_contain_text("09:00 的窗口数最多 6 个")
    assert rq_queue.count == 0

    page.get_by_label("09:00").fill("1")
    page.get_by_label(re.compile("现场取号量")).fill("30")
    page.get_by_role("button", name="模拟这一天").click()

    # The run's page, before the run is looked for: the row is made by the post the click sends.
    page.wait_for_url(re.compile(r"/reports/what-if/\d+/$"))
    run = WhatIfRun.objects.get()
    expect(page).to_have_url(re.compile(rf"/reports/what-if/{run.pk}/$"))
    expect(page.locator("#progress progress")).to_be_visible()
    expect(page.locator("#progress-label")).to_contain_text("等待后台任务")
    assert (run.counters["9"], run.walk_in_percent, rq_queue.count) == (1, 30, 1)

    run_the_job(page, rq_queue, tmp_path, settings)

    expect(page.locator("#result")).to_be_visible(timeout=60_000)
    run.refresh_from_db()
    assert run.state == JobState.DONE
    within = page.locator("[data-figure=within]")
    expect(within).to_have_text(f"{run.within_percent} %")
    expect(page.locator("#result")).to_contain_text("15 分钟内叫号")
    # No walk-ins on record: it played the normal day type, and says so (not the plan's own demand).
    expect(page.locator("#played")).to_contain_text("本次推演：平常日")
    expect(page.locator("#played")).to_contain_text("不是本方案自身的客流")
    expect(page.locator("figure.chart svg")).to_have_count(4)
    expect(page.locator("figure.chart svg rect.bar:not([height='0.0'])").first).to_be_visible()
    expect(page.locator("figure.chart polyline")).to_have_count(3)
    expect(page.locator("#inputs tr.changed th")).to_have_text(["09:00"])
    nine = page.locator("#by-hour tbody tr", has=page.locator("th", has_text="09:00"))
    expect(nine.locator("td").first).to_have_text("1")
    assert_fits(page, DESKTOP["width"])
    page.screenshot(path=tmp_path / "run_zh.png", full_page=True)
    page.set_viewport_size(PHONE)
    assert_fits(page, PHONE["width"])
    page.screenshot(path=tmp_path / "run_zh_phone.png", full_page=True)

    # English, on the desktop and on the phone: the result, then the form with the run listed.
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_contain_text(f"What-if: {day.isoformat()}")
    expect(page.locator("#result")).to_contain_text("Called within 15 minutes")
    expect(page.locator("#played")).to_contain_text("not this plan's own demand")
    expect(page.locator("figure.chart figcaption").first).to_have_text(
        "Predicted wait per hour of arrival (minutes)"
    )
    assert_fits(page, DESKTOP["width"])
    page.set_viewport_size(PHONE)
    assert_fits(page, PHONE["width"])
    page.get_by_role("link", name="Another what-if for this day").click()
    expect(page.locator("#runs tbody tr")).to_have_count(1)
    expect(page.locator("#runs tbody tr")).to_contain_text(f"{run.within_percent}")
    assert_fits(page, PHONE["width"])
    page.get_by_label("Walk-in level, in per cent of the expected walk-ins").fill("301")
    page.get_by_role("button", name="Simulate this day").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter a walk-in level from 0 to 300 %.")
    page.set_viewport_size(DESKTOP)
    assert_fits(page, DESKTOP["width"])
    page.screenshot(path=tmp_path / "form_en.png", full_page=True)
    assert WhatIfRun.objects.count() == 1
    context.close()
