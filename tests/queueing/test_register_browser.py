"""The day's register in a real browser: a clerk opens it from the console, moves between days, and it
prints on A4 without the navigation; axe-core finds nothing serious on it in either language."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from queueing import services as queue_services
from queueing import walkins
from tests.makers import make_counter, make_service, make_staff
from tests.queueing.helpers import book, make_hall_open_today
from tests.test_accessibility import Audit, axe_source, in_language, sign_in  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]
A4_PRINTABLE_PX = round((210 - 2 * 10) / 25.4 * 96)  # A4 portrait less the stylesheet's 10 mm margins


@pytest.fixture
def day(live_server):
    """A hall with four bookings in two windows (one with a long service name) and a walk-in today."""
    hall = make_hall_open_today()
    renewal = make_service(hall)
    long_name = make_service(
        hall,
        "move-out",
        "C",
        name_zh_hans="户口迁出（跨省迁移、投靠亲属及随迁子女）",
        name_en="Moving out (to another province, to join relatives, with children)",
    )
    make_counter(hall, 1, [renewal, long_name])
    start = (timezone.now() + dt.timedelta(minutes=10)).replace(second=0, microsecond=0)
    for n, (service, minutes) in enumerate([(renewal, 0), (long_name, 0), (renewal, 30), (long_name, 30)]):
        book(service, start + dt.timedelta(minutes=minutes), n=n + 1)
    walkins.issue_walk_in(hall=hall, service=renewal, actor=queue_services.Actor("kiosk"))
    return hall


def test_clerk_opens_the_register_from_the_console_and_prints_it_on_a4(page, live_server, day):
    clerk = make_staff(day, "clerk")
    sign_in(page, live_server, clerk)
    in_language(page, live_server, "zh-hans")

    page.goto(reverse("queueing:console"))
    page.get_by_role("main").get_by_role("link", name="预约登记簿").click()  # the console's own link
    expect(page.locator("h1")).to_contain_text("预约登记簿")
    expect(page.locator("[data-booking]")).to_have_count(4)
    expect(page.locator("[data-ticket]")).to_have_count(1)
    expect(page.locator("dd[data-state='booked']")).to_have_text("4")
    page.wait_for_load_state("load")  # measured below: with its stylesheet

    page.set_viewport_size({"width": A4_PRINTABLE_PX, "height": 1000})
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".register-days")).to_be_hidden()
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, ...[...document.querySelectorAll('.register-table')]"
        ".map((t) => Math.ceil(t.getBoundingClientRect().right))]"
    )
    assert max(widths) <= A4_PRINTABLE_PX, widths
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1366, "height": 768})

    page.get_by_role("link", name="下一个办公日").click()  # no open day ahead here: the day after
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    expect(page.locator(".register-date")).to_contain_text(tomorrow.isoformat())
    expect(page.locator("main")).to_contain_text("当日没有预约。")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_register_has_no_serious_violations(page, live_server, axe_source, day, language):  # noqa: F811
    audit = Audit(page, axe_source)
    sign_in(page, live_server, make_staff(day, "clerk"))
    in_language(page, live_server, language)

    audit.visit(reverse("queueing:register", args=[day.slug]), "register: today")
    audit.visit(reverse("queueing:register", args=[day.slug]) + "?date=2026-02-30", "register: a bad date")

    audit.assert_clean()
    assert audit.pages == ["register: today", "register: a bad date"]
