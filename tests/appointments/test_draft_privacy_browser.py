"""Seen again, the details page keeps the ID number given without holding it: a real browser's flow."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.urls import reverse
from playwright.sync_api import expect

from appointments.models import Booking
from hall.privacy import hash_id_number, mask_id_number
from tests.appointments.test_browser import answer_question_pages, service  # noqa: F401 (fixture)
from tests.makers import make_id_number

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]


def test_citizen_changes_the_mobile_without_typing_the_id_number_again(page, service):  # noqa: F811
    number = make_id_number(7)
    page.goto(reverse("appointments:choose_date", args=[service.hall.slug, service.code]))
    page.locator(".day-link").first.click()
    page.locator(".slot-link").first.click()
    answer_question_pages(page, id_number=number)
    page.locator(".summary-list a[href$='#id_phone']").click()
    page.locator("#id_phone").fill("13900139000")
    page.locator("main form button.primary").click()
    page.locator(".summary-list a[href$='#id_id_number']").click()

    expect(page.locator("#id_id_number")).to_have_value("")
    expect(page.locator("#id_id_number_helptext")).to_have_text(
        f"留空则沿用您已填写的号码：{mask_id_number(number)}。也可重新填写完整的18位号码。"
    )
    page.locator("main form button.primary").click()
    expect(page.locator(".summary-list")).to_contain_text(mask_id_number(number))
    expect(page.locator(".summary-list")).to_contain_text("139 0013 9000")
    stored = [row.session_data for row in Session.objects.all()]
    page.locator("main form button.primary").click()

    expect(page.locator(".booking-code")).to_be_visible()  # the Confirm form posts by script: wait for it
    booking = Booking.objects.get()
    expect(page.locator(".booking-code")).to_have_text(booking.code)
    assert (str(booking.phone), booking.id_hash) == ("+8613900139000", hash_id_number(number))
    assert stored and not any(number in raw or number in str(SessionStore().decode(raw)) for raw in stored)
