import re

import pytest
from django.utils import timezone

from appointments import availability, services
from appointments.models import Booking, BookingEvent, BookingRules, BookingState, Channel, Slot
from hall import api
from hall.privacy import ID_BAD_CHECK_DIGIT
from notifications.models import Kind, Notification
from tests.api.helpers import PHONE, booking_body, get, in_language, local_iso, post
from tests.makers import make_counter, make_id_number, make_service

pytestmark = pytest.mark.django_db

SLOT_FULL_EN = "This time is fully booked. Please choose another time."
NOT_FOUND_EN = "No booking matches this code and mobile number. Please check both."


def masked_id(n=1):
    return "110***********" + make_id_number(n)[-4:]


def booked(client, slot, **fields):
    response = post(client, "/api/v1/bookings", booking_body(slot, **fields))
    assert response.status_code == 201, response.content
    return Booking.objects.get(code=response.json()["code"])


def test_book_answers_201_with_code_and_manage_token(client, slots, day):
    response = post(client, "/api/v1/bookings", booking_body(slots[0]), language="en")

    booking = Booking.objects.get()
    assert response.status_code == 201
    assert response.json() == {
        "code": booking.code,
        "manage_token": booking.manage_token,
        "state": "booked",
        "hall": "north",
        "service": "id-renewal",
        "service_name": "ID card renewal",
        "start": local_iso(day, 9),
        "end": local_iso(day, 9, 30),
        "persons": 1,
        "name_masked": "张*丰",
        "phone_masked": "138****8000",
        "id_masked": masked_id(),
        "green_channel": "",
        "can_change": True,
        "services": [],
    }
    assert (booking.channel, booking.language, str(booking.phone)) == (Channel.API, "en", "+8613800138000")
    assert list(BookingEvent.objects.values_list("source", "ip", "to_state")) == [
        ("api", "127.0.0.1", "booked")
    ]
    assert Slot.objects.get(pk=slots[0].pk).taken == 1


def test_book_with_green_channel_and_spaces_in_id(client, slots):
    number = make_id_number(1)
    body = booking_body(
        slots[0],
        id_number=f" {number[:6]} {number[6:14]} {number[14:].lower()} ",
        phone="+86 138 0013 8000",
        persons=2,
        green_channel={"category": "elderly", "note": "坐轮椅"},
    )
    Slot.objects.filter(pk=slots[0].pk).update(capacity=2)

    response = post(client, "/api/v1/bookings", body)

    booking = Booking.objects.get()
    assert (response.status_code, response.json()["green_channel"]) == (201, "elderly")
    assert (booking.green_channel, booking.green_note, booking.persons) == ("elderly", "坐轮椅", 2)
    assert booking.id_masked == masked_id()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_book_full_slot_is_409_slot_full(client, slots, language):
    booked(client, slots[0], n=1, phone="13800138001")

    response = post(
        client, "/api/v1/bookings", booking_body(slots[0], n=2, phone="13800138002"), language=language
    )

    message = in_language(language, services.SLOT_FULL)
    assert response.status_code == 409
    assert response.json() == {"error": "slot_full", "message": message, "fields": {"slot": message}}
    if language == "en":
        assert message == SLOT_FULL_EN


def test_book_twice_for_one_service_is_409_duplicate(client, slots):
    BookingRules.objects.create(hall=slots[0].hall, max_per_day=5)
    booked(client, slots[0])

    response = post(client, "/api/v1/bookings", booking_body(slots[1]), language="en")

    assert response.status_code == 409
    assert response.json() == {
        "error": "duplicate_booking",
        "message": (
            "You already have a booking for this service. Change or cancel it instead of booking again."
        ),
        "fields": {},
    }


def test_book_over_the_daily_limit_is_409_limit_reached(client, slots, day):
    other = make_service(slots[0].hall, code="certificate", prefix="C")
    make_counter(slots[0].hall, 2, [other])
    booked(client, slots[0])
    other_slot = availability.day_availability(service=other, date=day, now=timezone.now()).slots[0]

    response = post(
        client, "/api/v1/bookings", booking_body(other_slot, service="certificate"), language="en"
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": "limit_reached",
        "message": (
            "You can make at most 1 booking(s) a day. Please come back tomorrow or change your booking."
        ),
        "fields": {},
    }


def test_book_after_no_shows_is_409_blocked(client, slots):
    BookingRules.objects.create(hall=slots[0].hall, max_per_day=5, max_per_week=5, no_show_block_count=1)
    missed = booked(client, slots[0])
    Booking.objects.filter(pk=missed.pk).update(state=BookingState.NO_SHOW)

    response = post(client, "/api/v1/bookings", booking_body(slots[1]), language="en")

    body = response.json()
    assert (response.status_code, body["error"], body["fields"]) == (409, "blocked", {})
    assert body["message"].startswith("Online booking is blocked until ")


def test_book_closed_slot_is_400_not_bookable(client, slots):
    Slot.objects.filter(pk=slots[0].pk).update(closed=True)

    response = post(client, "/api/v1/bookings", booking_body(slots[0]), language="en")

    message = "This time can no longer be booked. Please choose another time."
    assert response.status_code == 400
    assert response.json() == {"error": "not_bookable", "message": message, "fields": {"slot": message}}


def test_book_over_the_address_limit_is_429(client, slots):
    BookingRules.objects.create(hall=slots[0].hall, rate_per_ip_hour=1)
    booked(client, slots[0], n=1, phone="13800138001")

    response = post(
        client, "/api/v1/bookings", booking_body(slots[1], n=2, phone="13800138002"), language="en"
    )

    assert response.status_code == 429
    assert response.json() == {
        "error": "rate_limited",
        "message": "Too many attempts. Please wait a few minutes and try again.",
        "fields": {},
    }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_book_with_wrong_check_digit_is_422_with_the_citizen_message(client, slots, language):
    number = make_id_number(1)
    wrong = number[:17] + ("1" if number[17] != "1" else "2")

    response = post(client, "/api/v1/bookings", booking_body(slots[0], id_number=wrong), language=language)

    message = in_language(language, ID_BAD_CHECK_DIGIT)
    assert response.status_code == 422
    assert response.json() == {"error": "invalid", "message": message, "fields": {"id_number": message}}
    if language == "en":
        assert message == "The last character does not match: please check the number on the card."
    assert Booking.objects.count() == 0


@pytest.mark.parametrize(
    ("id_number", "message"),
    [
        ("11010519800101001", "A resident ID number has 18 characters: 17 digits and a last digit or X."),
        ("11010519801301001X", "Characters 7 to 14 must be a real date of birth (YYYYMMDD)."),
        ("1101051980010100AX", "Use only digits, and X as the last character."),
    ],
)
def test_book_with_malformed_id_number_is_422(client, slots, id_number, message):
    response = post(client, "/api/v1/bookings", booking_body(slots[0], id_number=id_number), language="en")

    assert response.json() == {"error": "invalid", "message": message, "fields": {"id_number": message}}


@pytest.mark.parametrize("phone", ["12345", "010-12345678", "not a phone", "1380013800000000"])
def test_book_with_invalid_mobile_is_422(client, slots, phone):
    response = post(client, "/api/v1/bookings", booking_body(slots[0], phone=phone), language="en")

    message = "Enter a mobile number that can receive text messages, for example 13800138000."
    assert response.status_code == 422
    assert response.json() == {"error": "invalid", "message": message, "fields": {"phone": message}}


def test_book_with_wrong_types_names_each_field(client, slots):
    body = booking_body(slots[0], slot="abc", persons=9, name=123, green_channel={"category": "vip"})

    response = post(client, "/api/v1/bookings", body, language="en")

    assert response.status_code == 422
    assert response.json() == {
        "error": "invalid",
        "message": "Some of the information sent is not valid: slot, name, persons, green_channel.category.",
        "fields": {
            "slot": "Enter a whole number.",
            "name": "Enter text.",
            "persons": "Enter a number of at most 5.",
            "green_channel.category": (
                "Choose one of: 'elderly', 'disabled', 'pregnant', 'migrant_worker', 'urgent'."
            ),
        },
    }


def test_book_with_blank_and_huge_values(client, slots):
    body = booking_body(slots[0], name="   ", hall="h" * 100_000, slot=10**30)

    response = post(client, "/api/v1/bookings", body, language="en")

    assert response.status_code == 422
    assert response.json()["fields"] == {
        "hall": "Use at most 50 characters.",
        "slot": "Enter a number of at most 9223372036854775807.",
        "name": "This field is required.",
    }


def test_book_with_empty_object_names_the_required_fields(client, slots):
    response = post(client, "/api/v1/bookings", "{}", language="en")

    assert response.status_code == 422
    required = ("hall", "service", "slot", "name", "phone", "id_number")
    assert response.json()["fields"] == dict.fromkeys(required, "This field is required.")


def test_book_with_a_body_that_is_not_an_object(client, slots):
    for body in ("", "[1, 2]", "null", '"text"', "42"):
        response = post(client, "/api/v1/bookings", body, language="en")

        assert response.status_code == 422
        assert response.json() == {"error": "invalid", "message": "Send a JSON object.", "fields": {}}


@pytest.mark.parametrize(
    "body", ['{"hall": "north",', "{'hall': 'north'}", b"\xff\xfe\x00garbage", "[" * 100_000]
)
def test_book_with_malformed_json_is_422(client, slots, body):
    response = post(client, "/api/v1/bookings", body, language="en")

    assert response.status_code == 422
    assert response.json() == {
        "error": "invalid_json",
        "message": "The request body is not valid JSON.",
        "fields": {},
    }


def test_book_with_body_over_the_size_limit_is_413(client, slots, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = post(client, "/api/v1/bookings", booking_body(slots[0], name="张" * 1000), language="en")

    assert response.status_code == 413
    assert response.json() == {"error": "too_large", "message": "The request is too large.", "fields": {}}


def test_book_in_unknown_hall_is_404(client, slots):
    response = post(client, "/api/v1/bookings", booking_body(slots[0], hall="south"), language="en")

    message = "There is no hall with this short name."
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": message, "fields": {"hall": message}}


def test_book_slot_of_another_service_is_404(client, slots, hall):
    make_service(hall, code="certificate", prefix="C")

    response = post(
        client,
        "/api/v1/bookings",
        booking_body(slots[0], service="certificate", slot=slots[0].pk),
        language="en",
    )

    message = "There is no such time for this service. Please choose one from the available times."
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": message, "fields": {"slot": message}}


def test_look_up_booking_by_phone_shows_masked_data(client, slots, day):
    booking = booked(client, slots[0])

    response = post(client, f"/api/v1/bookings/{booking.code.lower()}/lookup", {"phone": PHONE})

    assert response.status_code == 200
    assert response.json() == {
        "code": booking.code,
        "state": "booked",
        "hall": "north",
        "service": "id-renewal",
        "service_name": "居民身份证换领",
        "start": local_iso(day, 9),
        "end": local_iso(day, 9, 30),
        "persons": 1,
        "name_masked": "张*丰",
        "phone_masked": "138****8000",
        "id_masked": masked_id(),
        "green_channel": "",
        "can_change": True,
        "services": [],
    }


def test_get_booking_by_manage_token(client, slots):
    booking = booked(client, slots[0])

    response = get(client, f"/api/v1/bookings/{booking.code}", manage_token=booking.manage_token)

    assert (response.status_code, response.json()["code"]) == (200, booking.code)


@pytest.mark.parametrize(
    "proof",
    [{"phone": "13900139000"}, {"manage_token": "guess"}, {"phone": "13900139000", "manage_token": "x"}],
)
def test_look_up_booking_not_yours_is_404(client, slots, proof):
    booking = booked(client, slots[0])

    response = post(client, f"/api/v1/bookings/{booking.code}/lookup", proof, language="en")

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": NOT_FOUND_EN, "fields": {}}


def test_get_booking_with_a_wrong_manage_token_is_404(client, slots):
    booking = booked(client, slots[0])

    response = get(client, f"/api/v1/bookings/{booking.code}", language="en", manage_token="guess")

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": NOT_FOUND_EN, "fields": {}}


def test_get_booking_refuses_a_mobile_in_the_address(client, slots):
    # Addresses end up in access logs; the mobile goes in the body of POST .../lookup.
    booking = booked(client, slots[0])

    response = get(client, f"/api/v1/bookings/{booking.code}", language="en", phone=PHONE)

    message = (
        "Do not put the mobile number in the address: send it in the body of "
        "POST /api/v1/bookings/{code}/lookup, or give the manage token."
    )
    assert response.status_code == 422
    assert response.json() == {"error": "phone_in_address", "message": message, "fields": {"phone": message}}


def test_look_up_unknown_booking_is_404_like_not_yours(client, slots):
    response = post(client, "/api/v1/bookings/NOSUCHCODE/lookup", {"phone": PHONE}, language="en")

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": NOT_FOUND_EN, "fields": {}}


def test_get_booking_without_proof_is_422(client, slots):
    booking = booked(client, slots[0])

    response = get(client, f"/api/v1/bookings/{booking.code}", language="en")

    message = "Give the mobile number used for the booking, or its manage token."
    assert response.status_code == 422
    assert response.json() == {"error": "invalid", "message": message, "fields": {"phone": message}}


def test_cancel_by_phone_then_again_is_409_not_changeable(client, slots):
    booking = booked(client, slots[0])
    url = f"/api/v1/bookings/{booking.code}/cancel"

    first = post(client, url, {"phone": PHONE})
    second = post(client, url, {"phone": PHONE}, language="en")

    assert first.status_code == 200
    assert (first.json()["state"], first.json()["can_change"]) == ("cancelled", False)
    assert Booking.objects.get().state == BookingState.CANCELLED
    assert second.status_code == 409
    assert second.json() == {
        "error": "not_changeable",
        "message": "This booking can no longer be changed.",
        "fields": {},
    }


def test_cancel_by_manage_token(client, slots):
    booking = booked(client, slots[0])

    response = post(client, f"/api/v1/bookings/{booking.code}/cancel", {"manage_token": booking.manage_token})

    assert (response.status_code, response.json()["state"]) == (200, "cancelled")


def test_cancel_with_wrong_phone_is_404_and_changes_nothing(client, slots):
    booking = booked(client, slots[0])

    response = post(
        client, f"/api/v1/bookings/{booking.code}/cancel", {"phone": "13900139000"}, language="en"
    )

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": NOT_FOUND_EN, "fields": {}}
    assert Booking.objects.get().state == BookingState.BOOKED


def test_reschedule_moves_the_booking(client, slots, day):
    booking = booked(client, slots[0])

    response = post(
        client, f"/api/v1/bookings/{booking.code}/reschedule", {"phone": PHONE, "slot": slots[2].pk}
    )

    assert response.status_code == 200
    assert (response.json()["start"], response.json()["end"]) == (local_iso(day, 10), local_iso(day, 10, 30))
    assert Booking.objects.get().slot_id == slots[2].pk


def test_reschedule_to_full_slot_is_409_and_keeps_the_old_slot(client, slots):
    mine = booked(client, slots[0], n=1, phone="13800138001")
    booked(client, slots[1], n=2, phone="13800138002")

    response = post(
        client,
        f"/api/v1/bookings/{mine.code}/reschedule",
        {"manage_token": mine.manage_token, "slot": slots[1].pk},
        language="en",
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": "slot_full",
        "message": SLOT_FULL_EN,
        "fields": {"slot": SLOT_FULL_EN},
    }
    assert Booking.objects.get(pk=mine.pk).slot_id == slots[0].pk
    assert list(Slot.objects.filter(pk__in=[slots[0].pk, slots[1].pk]).values_list("taken", flat=True)) == [
        1,
        1,
    ]


def test_reschedule_to_unknown_slot_is_404(client, slots):
    booking = booked(client, slots[0])

    response = post(
        client,
        f"/api/v1/bookings/{booking.code}/reschedule",
        {"phone": PHONE, "slot": 999_999},
        language="en",
    )

    assert (response.status_code, response.json()["fields"]) == (
        404,
        {"slot": "There is no such time for this service. Please choose one from the available times."},
    )


def test_reschedule_without_slot_is_422(client, slots):
    booking = booked(client, slots[0])

    response = post(client, f"/api/v1/bookings/{booking.code}/reschedule", {"phone": PHONE})

    assert response.status_code == 422
    assert response.json() == {
        "error": "invalid",
        "message": in_language("zh-hans", api.REQUIRED),
        "fields": {"slot": "这个字段是必填项。"},
    }


def test_booking_lookups_are_rate_limited(client, slots, monkeypatch):
    from appointments.api.throttles import LOOKUPS

    monkeypatch.setattr(LOOKUPS, "limit", 2)

    lookup = "/api/v1/bookings/NOSUCHCODE/lookup"
    statuses = [post(client, lookup, {"phone": PHONE}).status_code for _ in range(3)]

    assert statuses == [404, 404, 429]


def _texted_code() -> str:
    text = Notification.objects.get(kind=Kind.VERIFICATION_CODE).text
    return re.search(r"\b(\d{6})\b", text).group(1)


def test_book_where_mobiles_are_proven_needs_the_texted_code(client, slots, settings):
    settings.BOOKING_SMS_CODE = True

    without = post(client, "/api/v1/bookings", booking_body(slots[0]), language="en")
    sent = post(client, "/api/v1/phone-codes", {"hall": "north", "phone": PHONE}, language="en")
    nonce = sent.json()["nonce"]
    wrong = post(
        client,
        "/api/v1/bookings",
        booking_body(slots[0], phone_code={"nonce": nonce, "code": "x"}),
        language="en",
    )
    right = post(
        client,
        "/api/v1/bookings",
        booking_body(slots[0], phone_code={"nonce": nonce, "code": _texted_code()}),
    )

    needed = "Request a code for this mobile number first, then send it with the booking."
    assert without.json() == {
        "error": "phone_code_needed",
        "message": needed,
        "fields": {"phone_code": needed},
    }
    assert (sent.status_code, sent.json()) == (201, {"nonce": nonce, "expires_in": 600})
    assert wrong.status_code == 422
    assert wrong.json()["error"] == "phone_code_wrong"
    assert (
        wrong.json()["message"]
        == "The code is not right. Check the text message and type the 6 digits again."
    )
    assert (right.status_code, Booking.objects.count()) == (201, 1)


def test_phone_code_for_unknown_hall_is_404(client, slots):
    response = post(client, "/api/v1/phone-codes", {"hall": "south", "phone": PHONE})

    assert (response.status_code, response.json()["error"], Notification.objects.count()) == (
        404,
        "not_found",
        0,
    )


BAD_REQUESTS = [
    ("get", "/api/v1/halls/" + "n" * 5000 + "/services", None),
    ("get", "/api/v1/halls/north/availability?service=" + "s" * 5000 + "&date=2026-01-01", None),
    ("get", "/api/v1/halls/north/availability?service=id-renewal&date=0000-00-00", None),
    ("get", "/api/v1/bookings/" + "C" * 5000 + "?phone=13800138000", None),
    ("get", "/api/v1/bookings/ABC?phone=" + "1" * 5000, None),
    ("get", "/api/v1/bookings/ABC?manage_token=%00%01", None),
    ("get", "/api/v1/halls/north/bookings?date=junk", None),
    ("post", "/api/v1/bookings", {"hall": None, "service": [], "slot": {}, "name": 1.5, "phone": True}),
    ("post", "/api/v1/bookings", {"hall": "north", "service": "id-renewal", "slot": -1, "persons": 10**100}),
    ("post", "/api/v1/bookings", {"green_channel": "elderly"}),
    ("post", "/api/v1/bookings/ABC/cancel", {"phone": {"a": 1}}),
    ("post", "/api/v1/bookings/ABC/reschedule", {"manage_token": "x" * 101, "slot": "1e400"}),
    ("post", "/api/v1/phone-codes", {"hall": "north", "phone": "+86 123"}),
]


@pytest.mark.parametrize(("method", "url", "body"), BAD_REQUESTS)
def test_bad_input_is_answered_in_the_error_format_never_500(client, slots, method, url, body):
    if method == "get":
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    else:
        response = post(client, url, body, language="en")

    assert response.status_code in (400, 401, 404, 409, 422)
    assert set(response.json()) == {"error", "message", "fields"}


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31"])
def test_availability_of_extreme_dates_is_not_bookable(client, slots, date):
    response = get(client, "/api/v1/halls/north/availability", service="id-renewal", date=date)

    assert (response.status_code, response.json()["bookable"], response.json()["slots"]) == (200, False, [])
