"""The web booking's draft keeps no ID number in the session table: only its HMAC and masked form."""

import json
import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber

from appointments import services
from appointments.models import Booking
from appointments.services import Actor, Citizen
from appointments.views import DRAFT
from hall.privacy import hash_id_number, mask_id_number
from notifications.models import Notification
from tests.api.helpers import booking_body, post
from tests.appointments.test_views import (  # noqa: F401 (fixtures)
    client,
    day,
    details_data,
    enter_details,
    flow_url,
    service,
    slots,
)
from tests.makers import make_id_number

pytestmark = pytest.mark.django_db
WEB = Actor("web", ip="127.0.0.1")
PHONE = PhoneNumber.from_string("13900139000", region="CN")


def session_rows() -> list[tuple[str, str]]:
    """Each row of django_session: its raw `session_data` and the data decoded by the session engine."""
    return [
        (row.session_data, json.dumps(SessionStore().decode(row.session_data), ensure_ascii=False))
        for row in Session.objects.all()
    ]


def assert_no_id_number_stored(number: str) -> None:
    rows = session_rows()
    assert rows, "the flow stored no session at all"
    for raw, decoded in rows:
        assert number not in raw
        assert number not in decoded
        # Nothing of the number beyond the masked form: its hidden middle appears nowhere.
        assert number[3:14] not in decoded
        assert decoded.count(number[-4:]) == decoded.count(mask_id_number(number))


def test_web_booking_with_code_keeps_no_id_number_in_the_session_table(
    client,  # noqa: F811 (fixtures)
    service,  # noqa: F811
    day,  # noqa: F811
    settings,
):
    settings.BOOKING_SMS_CODE = True
    number = make_id_number(7)
    slot = slots(service, day)[0]

    details = enter_details(client, service, day, slot, id_number=number)
    assert details.url == flow_url("verify", service, day, slot)
    code = re.search(r"\b(\d{6})\b", Notification.objects.get().text).group(1)
    verified = client.post(details.url, {"code": code})
    assert verified.url == flow_url("details_id", service, day, slot)
    answered = enter_details(client, service, day, slot, start="details_id", id_number=number)
    assert answered.url == flow_url("confirm", service, day, slot)
    check = client.get(answered.url).content.decode()
    assert_no_id_number_stored(number)
    booked = client.post(answered.url)

    booking = Booking.objects.get()
    assert booked.url == reverse("appointments:booked", args=[booking.manage_token])
    assert mask_id_number(number) in check
    assert (booking.id_hash, booking.id_masked) == (hash_id_number(number), mask_id_number(number))
    assert DRAFT not in client.session
    assert_no_id_number_stored(number)


def test_web_booking_has_the_api_hash_so_the_person_limits_match(
    client,  # noqa: F811 (fixtures)
    service,  # noqa: F811
    day,  # noqa: F811
):
    """One person, one active booking per service: the API sees the web booking as the same person's."""
    first, second = slots(service, day)[:2]
    number = make_id_number(7)
    typed = f" {number[:6]} {number[6:14]} {number[14:]} "  # as the citizen may type it
    check = enter_details(client, service, day, first, id_number=typed)
    client.post(check.url)

    answer = post(client, "/api/v1/bookings", booking_body(second, n=7, phone="13900139000"), language="en")

    assert (answer.status_code, answer.json()["error"]) == (409, "duplicate_booking")
    assert Booking.objects.get().id_hash == hash_id_number(number)


def test_details_again_shows_the_masked_number_and_keeps_it_when_left_empty(
    client,  # noqa: F811 (fixtures)
    service,  # noqa: F811
    day,  # noqa: F811
):
    number = make_id_number(7)
    slot = slots(service, day)[0]
    enter_details(client, service, day, slot, id_number=number)

    page = client.get(flow_url("details_id", service, day, slot)).content.decode()
    kept = client.post(flow_url("details_id", service, day, slot) + "?change=1", {"id_number": ""})
    renamed = client.post(
        flow_url("details", service, day, slot) + "?change=1", {"name": "李四", "phone": "13800138000"}
    )
    client.post(renamed.url)

    assert f"Leave empty to keep the number you gave: {mask_id_number(number)}." in page
    assert number not in page
    assert kept.url == renamed.url == flow_url("confirm", service, day, slot)
    booking = Booking.objects.get()
    assert (booking.name, booking.id_hash) == ("李四", hash_id_number(number))


def test_details_without_an_earlier_number_still_needs_one(
    client,  # noqa: F811 (fixtures)
    service,  # noqa: F811
    day,  # noqa: F811
):
    slot = slots(service, day)[0]

    response = enter_details(client, service, day, slot, id_number=" ")

    assert response.status_code == 200
    assert "Enter your resident ID number." in response.content.decode()
    assert "id_hash" not in client.session[DRAFT]


def test_a_draft_from_before_holding_the_number_is_dropped(
    client,  # noqa: F811 (fixtures)
    service,  # noqa: F811
    day,  # noqa: F811
):
    """A session written before the change (the number in clear) is not used and is emptied."""
    slot = slots(service, day)[0]
    session = client.session
    session[DRAFT] = {**details_data(id_number=make_id_number(7)), "slot": slot.pk, "also": []}
    session.save()

    response = client.get(flow_url("confirm", service, day, slot), follow=True)

    assert response.redirect_chain[-1][0] == flow_url("details", service, day, slot)
    assert "Please enter your details again." in response.content.decode()
    assert_no_id_number_stored(make_id_number(7))


def test_hashed_citizen_books_like_one_with_the_number(service, day):  # noqa: F811 (fixtures)
    first, second = slots(service, day)[:2]
    number = make_id_number(7)
    hashed = Citizen.hashed(
        name="李四", phone=PHONE, id_hash=hash_id_number(number), id_masked=mask_id_number(number)
    )

    booking = services.book(slot=first, citizen=hashed, actor=WEB, now=timezone.now())
    with pytest.raises(services.BookingError) as again:
        services.book(slot=second, citizen=Citizen("李四", PHONE, number), actor=WEB, now=timezone.now())

    assert (booking.id_hash, booking.id_masked) == (hash_id_number(number), "110***********" + number[-4:])
    assert again.value.code == "duplicate_booking"


@pytest.mark.parametrize(
    ("id_hash", "id_masked"),
    [("", ""), ("ab" * 32, make_id_number(7)), ("not a hash", "110***********0011")],
)
def test_hashed_citizen_refuses_anything_but_a_hash_and_a_masked_number(id_hash, id_masked):
    with pytest.raises(ValueError):
        Citizen.hashed(name="李四", phone=PHONE, id_hash=id_hash, id_masked=id_masked)
