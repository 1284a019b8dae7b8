import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from hall.models import Closure
from tests.makers import make_hall, make_service, make_weekday_hours

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall():
    hall = make_hall()
    make_weekday_hours(hall)
    return hall


def test_service_detail_shows_guide_in_chinese(client, hall):
    service = make_service(hall)

    response = client.get(
        reverse("hall:service_detail", args=[hall.slug, service.code]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "居民身份证换领" in text
    assert "工本费20元" in text
    assert "<li>采集照片</li>" in text
    assert "户口簿" in text


def test_service_detail_shows_guide_in_english(client, hall):
    service = make_service(hall)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    response = client.get(reverse("hall:service_detail", args=[hall.slug, service.code]))

    text = response.content.decode()
    assert "ID card renewal" in text
    assert "20 yuan for the card" in text
    assert "<li>Have your photo taken</li>" in text
    assert "Household register booklet" in text
    assert "居民身份证换领" not in text


def test_service_detail_unknown_code_is_404(client, hall):
    response = client.get(reverse("hall:service_detail", args=[hall.slug, "nope"]))

    assert response.status_code == 404


def test_service_detail_of_inactive_service_is_404(client, hall):
    service = make_service(hall, active=False)

    response = client.get(reverse("hall:service_detail", args=[hall.slug, service.code]))

    assert response.status_code == 404


def test_service_list_lists_active_services_only(client, hall):
    make_service(hall)
    make_service(hall, code="old", prefix="Z", name_en="Retired service", active=False)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    text = client.get(reverse("hall:service_list", args=[hall.slug])).content.decode()

    assert "ID card renewal" in text
    assert "Retired service" not in text


def test_home_shows_address_phone_and_closure_reason(client, hall, settings):
    today = timezone.localdate()
    Closure.objects.create(hall=hall, date=today + dt.timedelta(days=1), reason_en="Network maintenance")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    text = client.get(reverse("hall:home", args=[hall.slug])).content.decode()

    assert "1 Renmin Road, North District" in text
    assert "0000-1234567" in text
    assert "Network maintenance" in text


def test_index_redirects_to_the_only_hall(client, hall):
    response = client.get(reverse("hall:index"))

    assert response.status_code == 302
    assert response.url == reverse("hall:home", args=[hall.slug])


def test_large_text_toggle_sets_cookie_and_class(client, hall):
    home = reverse("hall:home", args=[hall.slug])

    response = client.post(reverse("hall:toggle_large_text"), {"next": home})
    page = client.get(home).content.decode()

    assert response.url == home
    assert 'class="large-text"' in page


@pytest.mark.parametrize(("on", "pressed"), [(False, "false"), (True, "true")])
def test_large_text_toggle_keeps_its_label_and_says_whether_it_is_pressed(client, hall, on, pressed):
    if on:
        client.post(reverse("hall:toggle_large_text"), {"next": "/"})

    page = client.get(reverse("hall:home", args=[hall.slug]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert f'aria-pressed="{pressed}">大字版</button>' in page
    assert "标准版" not in page  # not "标准版, pressed": one label, one state


def test_large_text_toggle_refuses_foreign_redirect(client):
    response = client.post(reverse("hall:toggle_large_text"), {"next": "https://evil.example/"})

    assert response.url == "/"


def test_staff_login_page_signs_clerk_in(client, hall):
    from tests.makers import make_staff

    make_staff(hall, "clerk")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    wrong = client.post(reverse("login"), {"username": "clerk", "password": "nope"})
    right = client.post(reverse("login"), {"username": "clerk", "password": "pw-for-tests-only", "next": "/"})

    assert "The user name or password is not right." in wrong.content.decode()
    assert (right.status_code, right.url) == (302, "/")


def test_favicon_is_served_where_browsers_ask_and_linked_from_pages(client, hall):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    home = client.get(reverse("hall:home", args=[hall.slug])).content.decode()

    assert response.status_code == 302
    assert response.url == "/static/favicon.ico"
    assert 'rel="icon" href="/static/favicon.ico"' in home
    with open(finders.find("favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO file
