import datetime as dt
import re
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from ninja.errors import HttpError
from phonenumber_field.phonenumber import PhoneNumber

from appointments import availability, services
from appointments.services import Actor, Citizen
from hall import services as hall_services
from hall.api import StaffSessionAuth
from hall.models import ApiToken, ExtraSession
from tests.api.helpers import local_iso
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_staff

pytestmark = pytest.mark.django_db

UNAUTHORIZED_EN = {
    "error": "unauthorized",
    "message": "Sign in, or send a valid API token as 'Authorization: Bearer <token>'.",
    "fields": {},
}


@pytest.fixture
def clerk(hall):
    return make_staff(hall, "clerk")


@pytest.fixture
def other_hall_clerk():
    return make_staff(make_hall("west"), "west_clerk")


@pytest.fixture
def kiosk(hall):
    return User.objects.create_user("kiosk-north")


def book(slot, n=1, name="张三丰"):
    citizen = Citizen(
        name=name, phone=PhoneNumber.from_string(f"+861380013800{n}"), id_number=make_id_number(n)
    )
    return services.book(slot=slot, citizen=citizen, actor=Actor("web", ip="127.0.0.1"))


def staff_get(client, url, key=None, language="en", **params):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE=language, **headers)


def test_hall_bookings_with_clerk_token_shows_names_in_full(client, hall, clerk, slots, day):
    booking = book(slots[0])
    _token, key = ApiToken.objects.issue(user=clerk, hall=hall, name="counter 1")

    response = staff_get(client, "/api/v1/halls/north/bookings", key, date=day.isoformat())

    assert response.status_code == 200
    assert response.json() == [
        {
            "code": booking.code,
            "state": "booked",
            "service": "id-renewal",
            "service_name": "ID card renewal",
            "start": local_iso(day, 9),
            "end": local_iso(day, 9, 30),
            "persons": 1,
            "name": "张三丰",
            "phone_masked": "138****8001",
            "id_masked": "110***********" + make_id_number(1)[-4:],
            "green_channel": "",
            "green_note": "",
            "channel": "online",
            "services": [],
        }
    ]


def test_hall_bookings_with_device_token_masks_names(client, hall, kiosk, slots, day):
    book(slots[0])
    _token, key = ApiToken.objects.issue(user=kiosk, hall=hall, name="kiosk at the door")

    response = staff_get(client, "/api/v1/halls/north/bookings", key, date=day.isoformat())

    assert [b["name"] for b in response.json()] == ["张*丰"]


def test_hall_bookings_default_to_today(client, hall, clerk, slots):
    book(slots[0])
    _token, key = ApiToken.objects.issue(user=clerk, hall=hall, name="counter 1")

    response = staff_get(client, "/api/v1/halls/north/bookings", key)

    assert (response.status_code, response.json()) == (200, [])


def test_hall_bookings_of_a_day_leave_out_other_days_and_other_halls(
    client, hall, clerk, service, slots, day
):
    """The day's bookings are read through the day's slots (Booking.objects.of_day), not the hall's every
    booking: another day of the same hall and the same day of another hall stay out."""
    later = day + dt.timedelta(days=1)
    west = make_hall("west")
    for other_hall, date in ((hall, later), (west, day)):
        ExtraSession.objects.create(
            hall=other_hall,
            date=date,
            start=dt.time(9),
            end=dt.time(17),
            reason_zh_hans="预约",
            reason_en="Open",
        )
    west_service = make_service(west, code="id-renewal-west")
    make_counter(west, 1, [west_service])
    today_booking = book(slots[0], n=1)
    book(availability.day_availability(service=service, date=later, now=timezone.now()).slots[0], n=2)
    book(availability.day_availability(service=west_service, date=day, now=timezone.now()).slots[0], n=3)
    _token, key = ApiToken.objects.issue(user=clerk, hall=hall, name="counter 1")

    response = staff_get(client, "/api/v1/halls/north/bookings", key, date=day.isoformat())

    assert [b["code"] for b in response.json()] == [today_booking.code]


@pytest.mark.parametrize("count", [1, 3])
def test_hall_bookings_query_count_does_not_grow(client, hall, clerk, slots, day, count):
    for n in range(count):
        book(slots[n], n=n + 1)
    _token, key = ApiToken.objects.issue(user=clerk, hall=hall, name="counter 1")
    staff_get(client, "/api/v1/halls/north/bookings", key)  # records the use: later calls do not write

    with CaptureQueriesContext(connection) as queries:
        response = staff_get(client, "/api/v1/halls/north/bookings", key, date=day.isoformat())

    assert len(response.json()) == count
    assert len(queries) == 3  # token, bookings, their further matters


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_hall_bookings_without_authentication_is_401(client, hall, language):
    response = staff_get(client, "/api/v1/halls/north/bookings", language=language)

    assert response.status_code == 401
    if language == "en":
        assert response.json() == UNAUTHORIZED_EN
    else:
        assert response.json()["error"] == "unauthorized"


@pytest.mark.parametrize("key", ["nonsense", "ck_" + "x" * 40, "ck_" + "x" * 1000])
def test_hall_bookings_with_unknown_key_is_401(client, hall, key):
    response = staff_get(client, "/api/v1/halls/north/bookings", key)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED_EN)


def test_revoked_token_is_401(client, hall, clerk):
    token, key = ApiToken.objects.issue(user=clerk, hall=hall, name="counter 1")
    ApiToken.objects.filter(pk=token.pk).revoke(timezone.now())

    response = staff_get(client, "/api/v1/halls/north/bookings", key)

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED_EN)


def test_token_of_inactive_user_is_401(client, hall, clerk):
    _token, key = ApiToken.objects.issue(user=clerk, hall=hall, name="counter 1")
    User.objects.filter(pk=clerk.pk).update(is_active=False)

    response = staff_get(client, "/api/v1/halls/north/bookings", key)

    assert response.status_code == 401


def test_token_of_clerk_moved_to_another_hall_is_401(client, hall, clerk):
    _token, key = ApiToken.objects.issue(user=clerk, hall=hall, name="counter 1")
    hall_services.assign_staff(user=clerk, hall=make_hall("west"), role="clerk")

    response = staff_get(client, "/api/v1/halls/north/bookings", key)

    assert response.status_code == 401


def test_other_hall_clerk_token_is_404(client, hall, other_hall_clerk):
    _token, key = ApiToken.objects.issue(user=other_hall_clerk, hall=other_hall_clerk.staff.hall, name="c1")

    response = staff_get(client, "/api/v1/halls/north/bookings", key)

    message = "There is no hall with this short name."
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": message, "fields": {"hall": message}}


def test_token_use_is_recorded(client, hall, clerk):
    token, key = ApiToken.objects.issue(user=clerk, hall=hall, name="counter 1")

    staff_get(client, "/api/v1/halls/north/bookings", key)

    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.key_hash == ApiToken.hash_key(key)
    assert (token.prefix, len(key)) == (key[:10], 43)


def test_session_of_clerk_is_accepted(client, hall, clerk, slots, day):
    book(slots[0])
    client.force_login(clerk)

    response = staff_get(client, "/api/v1/halls/north/bookings", date=day.isoformat())

    assert [b["name"] for b in response.json()] == ["张三丰"]


def test_session_of_other_hall_clerk_is_404(client, hall, other_hall_clerk):
    client.force_login(other_hall_clerk)

    response = staff_get(client, "/api/v1/halls/north/bookings")

    assert (response.status_code, response.json()["error"]) == (404, "not_found")


def test_session_of_user_who_is_not_staff_is_401(client, hall, kiosk):
    client.force_login(kiosk)

    response = staff_get(client, "/api/v1/halls/north/bookings")

    assert (response.status_code, response.json()) == (401, UNAUTHORIZED_EN)


def _session_post(user, **extra):
    request = RequestFactory().post("/api/v1/anything", **extra)
    request.user = user
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "session-key"
    return request


def test_session_auth_refuses_unsafe_method_without_csrf_token(hall, clerk):
    with pytest.raises(HttpError) as error:
        StaffSessionAuth()(_session_post(clerk))

    assert (error.value.status_code, error.value.message) == (403, "CSRF check Failed")


def test_session_auth_accepts_unsafe_method_with_csrf_token(hall, clerk):
    secret = "a" * 32
    request = _session_post(clerk, HTTP_X_CSRFTOKEN=secret)
    request.COOKIES[settings.CSRF_COOKIE_NAME] = secret

    principal = StaffSessionAuth()(request)

    assert (principal.user, principal.hall, principal.is_hall_staff) == (clerk, hall, True)


def test_session_auth_of_anonymous_post_is_no_csrf_error_but_no_principal(hall):
    from django.contrib.auth.models import AnonymousUser

    assert StaffSessionAuth()(_session_post(AnonymousUser())) is None


def test_issue_token_prints_a_key_that_works(client, hall, clerk):
    out, err = StringIO(), StringIO()

    call_command("issue_token", "clerk", stdout=out, stderr=err)

    key = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert (token.user, token.hall, token.name, token.prefix) == (clerk, hall, "clerk", key[:10])
    assert key not in err.getvalue()
    assert staff_get(client, "/api/v1/halls/north/bookings", key).status_code == 200


def test_issue_token_for_device_needs_hall(client, hall, kiosk):
    out = StringIO()
    with pytest.raises(CommandError, match="give --hall"):
        call_command("issue_token", "kiosk-north", stdout=out)

    call_command("issue_token", "kiosk-north", "--hall", "north", "--device", "kiosk at the door", stdout=out)

    token = ApiToken.objects.get()
    assert (token.hall, token.name) == (hall, "kiosk at the door")
    assert staff_get(client, "/api/v1/halls/north/bookings", out.getvalue().strip()).status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "No user named 'nobody'."),
        (["clerk", "--hall", "south"], "No hall with the short name 'south'."),
        (["west_clerk", "--hall", "north"], "west_clerk is staff of"),
    ],
)
def test_issue_token_refusals(hall, clerk, other_hall_clerk, args, message):
    with translation.override("en"), pytest.raises(CommandError, match=message):
        call_command("issue_token", *args, stdout=StringIO(), stderr=StringIO())

    assert ApiToken.objects.count() == 0


def test_admin_issues_a_token_and_shows_the_key_once(admin_client, hall, kiosk):
    response = admin_client.post(
        "/admin/hall/apitoken/add/",
        {"hall": hall.pk, "user": kiosk.pk, "name": "display", "scope": "device"},
        follow=True,
    )

    token = ApiToken.objects.get()
    messages = [str(m) for m in response.context["messages"]]
    key = next(match for m in messages for match in re.findall(r"ck_[A-Za-z0-9_-]+", m))
    assert token.key_hash == ApiToken.hash_key(key)
    again = admin_client.get(f"/admin/hall/apitoken/{token.pk}/change/").content.decode()
    assert key not in again


def test_admin_revoke_action(admin_client, hall, clerk):
    token, _key = ApiToken.objects.issue(user=clerk, hall=hall, name="counter 1")

    admin_client.post(
        "/admin/hall/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert timezone.now() - token.revoked_at < dt.timedelta(minutes=1)
