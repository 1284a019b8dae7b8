"""Pages and API answers with personal data are kept by no browser or proxy; browser features are off."""

import pytest
from django.urls import reverse

from tests.makers import make_hall, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall():
    hall = make_hall()
    make_service(hall)
    return hall


@pytest.mark.parametrize(
    "path",
    [
        "/h/{slug}/",
        "/booking/find/",
        "/accounts/login/",
        "/api/v1/halls",
        "/api/v1/halls/{slug}/services",
    ],
)
def test_pages_and_api_answers_are_not_stored(client, hall, path):
    response = client.get(path.format(slug=hall.slug))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_booking_lookup_in_the_api_is_not_stored_even_when_refused(client, hall):
    response = client.post("/api/v1/bookings/ABCDEFGH/lookup", {"phone": "13800138000"}, "application/json")

    assert (response.status_code, response["Cache-Control"]) == (404, "no-store")


def test_every_page_switches_off_the_browser_features_it_does_not_use(client, hall):
    response = client.get(reverse("hall:home", args=[hall.slug]))

    policy = dict(part.strip().split("=") for part in response["Permissions-Policy"].split(","))
    assert policy["camera"] == "(self)"  # the kiosk scans a booking's QR code
    assert policy["microphone"] == policy["geolocation"] == policy["payment"] == "()"


def test_a_view_that_sets_its_own_caching_keeps_it(client, hall):
    response = client.get("/static/css/site.css")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
