"""POST /api/v1/bookings with `services`: up to two more services at the same visit, all or nothing."""

import pytest
from django.db.models import F

from appointments import availability
from appointments.models import Booking, BookingRules, Slot
from hall.models import ApiToken
from tests.api.helpers import booking_body, local_iso, post
from tests.makers import make_counter, make_service, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def more(hall):
    """Two more bookable services, each with its own counter."""
    BookingRules.objects.create(hall=hall, held_back_percent=0, utilisation_percent=100)
    made = [
        make_service(hall, "certificate", "B", name_en="Household certificate"),
        make_service(hall, "move-in", "C", name_en="Move-in"),
    ]
    for n, service in enumerate(made, start=2):
        make_counter(hall, n, [service])
    return made


def test_book_with_two_more_services(client, slots, more, day):
    response = post(
        client, "/api/v1/bookings", booking_body(slots[0], services=["move-in", "certificate"]), language="en"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["service"], body["services"]) == (
        "id-renewal",
        [
            {
                "service": "move-in",
                "service_name": "Move-in",
                "start": local_iso(day, 9),
                "end": local_iso(day, 9, 30),
            },
            {
                "service": "certificate",
                "service_name": "Household certificate",
                "start": local_iso(day, 9),
                "end": local_iso(day, 9, 30),
            },
        ],
    )
    assert list(
        Slot.objects.filter(start=slots[0].start).order_by("service__prefix").values_list("taken")
    ) == [
        (1,),
        (1,),
        (1,),
    ]


def test_book_with_a_full_further_service_is_409_naming_it_and_takes_nothing(client, slots, more, day):
    availability.sync_slots(service=more[0], date=day)
    Slot.objects.filter(service=more[0], start=slots[0].start).update(taken=F("capacity"))

    response = post(
        client, "/api/v1/bookings", booking_body(slots[0], services=["certificate"]), language="en"
    )

    message = (
        "Household certificate is fully booked at this time. Leave it out, or choose another time for the "
        "whole visit."
    )
    assert (response.status_code, response.json()) == (
        409,
        {"error": "slot_full", "message": message, "fields": {"services": message}},
    )
    assert Booking.objects.count() == 0
    assert Slot.objects.get(pk=slots[0].pk).taken == 0


def test_book_with_an_unknown_further_service_is_404(client, slots, more):
    response = post(client, "/api/v1/bookings", booking_body(slots[0], services=["nonsense"]), language="en")

    message = "This hall has no service with this code."
    assert (response.status_code, response.json()) == (
        404,
        {"error": "not_found", "message": message, "fields": {"services": message}},
    )


def test_book_with_three_more_services_is_422(client, slots, more):
    body = booking_body(slots[0], services=["certificate", "move-in", "id-renewal"])

    response = post(client, "/api/v1/bookings", body, language="en")

    assert (response.status_code, response.json()["error"]) == (422, "invalid")
    assert Booking.objects.count() == 0


def test_book_with_the_first_service_again_is_409(client, slots, more):
    response = post(
        client, "/api/v1/bookings", booking_body(slots[0], services=["id-renewal"]), language="en"
    )

    assert (response.status_code, response.json()["error"]) == (409, "duplicate_booking")


def test_hall_bookings_list_the_further_services(client, slots, more, day, hall):
    post(client, "/api/v1/bookings", booking_body(slots[0], services=["move-in", "certificate"]))
    _token, key = ApiToken.objects.issue(user=make_staff(hall), hall=hall, name="desk")

    response = client.get(
        "/api/v1/halls/north/bookings", {"date": day.isoformat()}, HTTP_AUTHORIZATION=f"Bearer {key}"
    )

    assert [(b["service"], b["services"]) for b in response.json()] == [
        ("id-renewal", ["move-in", "certificate"])
    ]
