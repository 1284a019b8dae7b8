"""In Chromium, in Chinese: a citizen books two services for one visit from the check page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from appointments.models import Booking
from hall.models import ExtraSession
from tests.appointments.test_browser import answer_question_pages
from tests.makers import make_counter, make_hall, make_service

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pair():
    hall = make_hall()
    ExtraSession.objects.create(
        hall=hall,
        date=timezone.localdate() + dt.timedelta(days=2),
        start=dt.time(9),
        end=dt.time(12),
        reason_zh_hans="预约服务",
        reason_en="Booking day",
    )
    a = make_service(hall)
    b = make_service(hall, "certificate", "B", name_zh_hans="户籍证明", name_en="Household certificate")
    make_counter(hall, 1, [a])
    make_counter(hall, 2, [b])
    return a, b


def test_citizen_adds_a_second_service_to_the_visit(page, pair):
    a, _b = pair
    page.goto(reverse("appointments:choose_date", args=[a.hall.slug, a.code]))
    page.locator(".day-link").first.click()
    page.locator(".slot-link").first.click()
    answer_question_pages(page)

    page.locator("#services a").click()
    expect(page.locator("h1")).to_have_text("同一次来办的其他业务")
    page.get_by_label("户籍证明（剩余名额：1）").check()
    page.locator("main form button.primary").click()
    expect(page.locator("#services dd").first).to_have_text("户籍证明")
    page.locator("main form button.primary").click()

    expect(page.locator("ol.matters li")).to_have_text(["居民身份证换领", "户籍证明"])
    booking = Booking.objects.get()
    assert list(booking.matters.values_list("service__code", flat=True)) == ["certificate"]
