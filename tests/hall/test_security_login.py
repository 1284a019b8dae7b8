"""Staff sign-in throttling (django-axes) and the throttle on wrong API tokens (hall/security.py)."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from hall.models import ApiToken
from tests.makers import make_hall, make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"
WRONG = "The user name or password is not right. Both are case-sensitive."
LOCKED = (
    "Too many failed sign-ins for this user name from this computer. Sign-in is locked for 15 minutes; "
    "try again later, or ask an administrator to unlock it."
)


@pytest.fixture
def hall():
    return make_hall()


@pytest.fixture
def clerk(hall):
    return make_staff(hall, "clerk")


def browser(ip="10.0.0.1", language="en") -> Client:
    return Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=language)


def sign_in(client, username="clerk", password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password, "next": "/console/"})


def fail(client, times, username="clerk"):
    return [sign_in(client, username, "not-the-password") for _ in range(times)]


def test_four_failures_say_the_password_is_wrong_and_the_right_one_still_works(clerk):
    client = browser()

    answers = fail(client, 4)

    assert [(a.status_code, WRONG in a.content.decode()) for a in answers] == [(200, True)] * 4
    response = sign_in(client)
    assert (response.status_code, response["Location"]) == (302, "/console/")


def test_fifth_failure_locks_the_user_name_at_this_address_with_a_message(clerk):
    client = browser()
    fail(client, 4)

    fifth = fail(client, 1)[0]
    with_right_password = sign_in(client)

    for response in (fifth, with_right_password):
        text = response.content.decode()
        assert (response.status_code, LOCKED in text, WRONG in text) == (429, True, False)
    assert '<input id="id_username"' in with_right_password.content.decode()  # still the sign-in page
    assert "_auth_user_id" not in client.session


def test_lockout_message_is_in_chinese_by_default(clerk):
    client = browser(language="zh-hans")
    fail(client, 5)

    response = sign_in(client)

    assert response.status_code == 429
    assert "此电脑上该用户名登录失败次数过多，登录已锁定 15 分钟" in response.content.decode()


def test_lockout_is_per_user_name_and_address(hall, clerk):
    make_staff(hall, "clerk2")
    fail(browser("10.0.0.1"), 5)

    other_address = sign_in(browser("10.0.0.2"))
    other_user = sign_in(browser("10.0.0.1"), "clerk2")

    assert (other_address.status_code, other_address["Location"]) == (302, "/console/")
    assert (other_user.status_code, other_user["Location"]) == (302, "/console/")


def test_lockout_ends_after_the_cool_off(clerk):
    client = browser()
    fail(client, 5)
    assert sign_in(client).status_code == 429

    # 15 minutes and a second later (the attempts' clock is the database row's time).
    last_failure = AccessAttempt.objects.get().attempt_time
    AccessAttempt.objects.update(attempt_time=last_failure - dt.timedelta(minutes=16))
    response = sign_in(client)

    assert (response.status_code, response["Location"]) == (302, "/console/")


def test_lockout_limit_and_period_are_settings(settings, clerk):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=5)
    client = browser()

    first, second = fail(client, 2)

    assert (first.status_code, second.status_code) == (200, 429)
    assert "Sign-in is locked for 5 minutes" in second.content.decode()


def test_administrator_unlocks_in_the_admin(admin_client, clerk):
    client = browser()
    fail(client, 5)
    attempt = AccessAttempt.objects.get()

    listing = admin_client.get("/admin/axes/accessattempt/")
    admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    response = sign_in(client)

    assert "clerk" in listing.content.decode()
    assert AccessAttempt.objects.count() == 0
    assert (response.status_code, response["Location"]) == (302, "/console/")


def test_admin_sign_in_goes_through_the_staff_sign_in_page(client):
    response = client.get("/admin/login/?next=/admin/hall/hall/")

    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=%2Fadmin%2Fhall%2Fhall%2F",
    )


def test_admin_pages_send_anonymous_users_to_the_staff_sign_in_page(client):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1] == ("/accounts/login/?next=%2Fadmin%2F", 302)
    assert '<form method="post" action="/accounts/login/">' in response.content.decode()


# The JSON API: wrong bearer tokens from one address.

TOKEN_RATE_LIMITED = "Too many attempts. Please wait a few minutes and try again."


def api_get(client, url, key):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")


def test_wrong_api_tokens_from_one_address_are_throttled(settings, hall, clerk):
    settings.API_TOKEN_FAILURE_LIMIT = 3
    _token, key = ApiToken.objects.issue(user=clerk, hall=hall, name="counter 1")
    url = f"/api/v1/halls/{hall.slug}/bookings"
    client, other = browser("10.0.0.1"), browser("10.0.0.2")

    wrong = [api_get(client, url, key[:-2] + "xx").status_code for _ in range(3)]
    blocked = api_get(client, url, "ck_another-guess")
    elsewhere = api_get(other, url, "ck_another-guess")
    valid = api_get(client, url, key)  # another device of the hall behind the same address

    assert wrong == [401, 401, 401]
    assert (blocked.status_code, blocked.json()) == (
        429,
        {"error": "rate_limited", "message": TOKEN_RATE_LIMITED, "fields": {}},
    )
    assert (elsewhere.status_code, valid.status_code) == (401, 200)


def test_wrong_api_tokens_are_not_throttled_with_rate_limits_off(settings, hall, clerk):
    settings.API_TOKEN_FAILURE_LIMIT = 1
    settings.RATE_LIMITS = False
    _token, key = ApiToken.objects.issue(user=clerk, hall=hall, name="counter 1")
    url = f"/api/v1/halls/{hall.slug}/bookings"
    client = browser()

    codes = [api_get(client, url, "ck_wrong").status_code, api_get(client, url, key).status_code]

    assert codes == [401, 200]
