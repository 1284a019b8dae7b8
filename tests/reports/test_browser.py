import csv
import io

import pytest
from playwright.sync_api import expect

from tests.reports.day import DAY, build_day

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_opens_a_day_sees_charts_and_exports_csv(page):
    day = build_day()

    page.goto(f"/accounts/login/?next=/h/{day.hall.slug}/reports/")
    page.fill("#id_username", day.supervisor.username)
    page.fill("#id_password", "pw-for-tests-only")
    page.locator("main button.primary").click()
    page.fill("#id_date", DAY.isoformat())
    page.locator("#id_date ~ button").click()

    expect(page.locator("h1")).to_contain_text("2026-11-24")
    expect(page.locator("[data-figure=issued]")).to_have_text("7")
    expect(page.locator("figure.chart svg")).to_have_count(2)
    expect(page.locator("figure.chart svg rect.bar").first).to_be_visible()
    expect(page.locator("#by-service tbody tr")).to_have_count(2)
    with page.expect_download() as download_info:
        page.locator("a[href*='export.csv']").click()
    download = download_info.value

    assert download.suggested_filename == "report_north_2026-11-24.csv"
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    total = next(r for r in rows if r[0] == "total")
    assert total[2:6] == ["7", "5", "2", "1"]  # issued, served, no-shows, materials missing
    services = [r for r in rows if r[0] == "service"]
    assert sum(int(r[2]) for r in services) == 7 + 1  # A004's transfer to B is issued at A and at B
    assert sum(int(r[3]) for r in services) == 5
    hours = [r for r in rows if r[0] == "hour"]
    assert (sum(int(r[2]) for r in hours), sum(int(r[3]) for r in hours)) == (7, 5)
