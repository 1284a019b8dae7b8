"""The supervisor extends today's hours from the live page in one step, in a real browser: typing the new
closing time pauses the page's self-reload, which would otherwise lose it. Selectors are classes and
attributes, not words, so that the test holds whichever language is compiled."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from hall.models import ExtraSession
from tests.makers import make_hall, make_staff, make_weekday_hours

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, user) -> None:
    """The browser takes over a test client's session of `user` (signing in is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def test_supervisor_extends_today_from_the_live_page(page, live_server):
    hall = make_hall()
    make_weekday_hours(hall)
    ExtraSession.objects.create(
        hall=hall, date=timezone.localdate(), start=dt.time(0), end=dt.time(23), reason="x"
    )
    sign_in(page, live_server, make_staff(hall, "boss", role="supervisor"))

    page.goto(reverse("reports:live", args=[hall.slug]))
    until = page.locator(".extend-form input[name='until']")
    until.focus()
    expect(page.locator("[data-refresh-toggle]")).to_have_text("恢复自动刷新")  # paused
    until.fill("23:30")
    page.locator(".extend-form button[type='submit']").click()

    expect(page).to_have_url(reverse("queueing:closing", args=[hall.slug]))
    expect(page.locator("main strong").first).to_have_text("23:30")
    assert ExtraSession.objects.filter(hall=hall, start=dt.time(23), end=dt.time(23, 30)).exists()
