"""Window staff see on the console which windows are booked out for a home visit, and until when."""

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from tests.homevisits.helpers import at, make_setting, make_visit, schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    return make_setting()


@pytest.fixture
def visit(setting):
    return schedule(setting, make_visit(setting))  # Tuesday 10:00-11:30, windows 1 and 2


@pytest.fixture
def clerk(client, setting):
    client.force_login(setting.clerk3)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def clock(monkeypatch, instant):
    monkeypatch.setattr(timezone, "now", lambda: instant)


def test_window_list_shows_todays_absences(clerk, visit, monkeypatch):
    clock(monkeypatch, at(8, 30))

    page = clerk.get(reverse("queueing:console")).content.decode()

    assert page.count(f"Booked out 10:00–11:30: home visit no. {visit.pk}") == 2


def test_window_list_forgets_an_absence_once_it_is_over(clerk, visit, monkeypatch):
    clock(monkeypatch, at(11, 45))

    page = clerk.get(reverse("queueing:console")).content.decode()

    assert "Booked out" not in page


def test_counter_page_and_opening_warn_during_the_visit(clerk, setting, visit, monkeypatch):
    clock(monkeypatch, at(10, 15))
    first, third = setting.counters[0], setting.counters[2]

    response = clerk.post(reverse("queueing:open_counter", args=[first.pk]), follow=True)
    page = response.content.decode()

    assert "This window is booked out until 11:30 (home visit no." in page
    assert any(
        m.startswith("Window 1 is booked out until 11:30") for m in map(str, response.context["messages"])
    )
    other = clerk.post(reverse("queueing:open_counter", args=[third.pk]), follow=True)
    assert "booked out" not in other.content.decode()


def test_chinese_console_names_the_visit_in_chinese(client, setting, visit, monkeypatch):
    clock(monkeypatch, at(10, 15))
    client.force_login(setting.clerk3)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    page = client.get(reverse("queueing:counter", args=[setting.counters[1].pk])).content.decode()

    assert f"上门服务 {visit.pk} 号" in page
