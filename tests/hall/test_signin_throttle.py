"""Sign-in throttling against password spraying (hall/signin_throttle.py), beside django-axes' lock-out of
one user name at one address (tests/hall/test_security_login.py)."""

import socket

import pytest
from django.test import Client
from django.urls import reverse

from hall import signin_throttle
from hall.models import AuditAction, AuditEntry
from tests.makers import make_hall, make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"
HALL_NAT = "203.0.113.10"  # the public address every computer of the hall shares
NAMES_REFUSED = (
    "Too many failed sign-ins with different user names from this network. Please wait 15 minutes, then try "
    "again. Staff who have signed in on this computer before can sign in now."
)
NAME_REFUSED = (
    "Too many failed sign-ins for this user name from different places. Please wait 15 minutes, then try "
    "again. On a computer where you have signed in before, you can sign in now."
)


@pytest.fixture(autouse=True)
def limits_on(settings):
    settings.RATE_LIMITS = True


@pytest.fixture
def hall():
    return make_hall()


@pytest.fixture
def clerk(hall):
    return make_staff(hall, "clerk")


def browser(ip=HALL_NAT, language="en") -> Client:
    return Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=language)


def sign_in(client, username="clerk", password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password, "next": "/console/"})


def known_device(ip=HALL_NAT) -> Client:
    """A computer on which the clerk signed in before (and signed out again)."""
    client = browser(ip)
    assert sign_in(client).status_code == 302
    client.post(reverse("logout"))
    return client


def spray(ip=HALL_NAT, names=10):
    attacker = browser(ip)
    return [sign_in(attacker, f"user{n}", "Spring2026!").status_code for n in range(names)]


def outcome(response):
    text = response.content.decode()
    refusal = NAMES_REFUSED if NAMES_REFUSED in text else NAME_REFUSED if NAME_REFUSED in text else None
    return response.status_code, refusal


def test_one_address_trying_many_user_names_is_refused_with_how_long_to_wait(clerk):
    answers = spray(names=10)

    eleventh = sign_in(browser(), "clerk")  # even with the right password: the address is refused

    assert answers == [200] * 10
    assert outcome(eleventh) == (429, NAMES_REFUSED)
    assert '<input id="id_username"' in eleventh.content.decode()  # still the sign-in page
    assert list(AuditEntry.objects.filter(detail__startswith="throttled").values_list("action", "ip")) == [
        (AuditAction.SIGN_IN_FAILED, HALL_NAT)
    ]


def test_nine_user_names_from_one_address_are_not_refused(clerk):
    spray(names=9)

    response = sign_in(browser(), "clerk")

    assert (response.status_code, response["Location"]) == (302, "/console/")


def test_one_user_name_tried_from_many_addresses_is_refused_everywhere_new(clerk):
    for n in range(10):
        sign_in(browser(f"198.51.100.{n}"), "clerk", "Spring2026!")

    from_a_new_address = sign_in(browser("198.51.100.99"))

    assert outcome(from_a_new_address) == (429, NAME_REFUSED)
    refused = AuditEntry.objects.filter(detail__startswith="throttled")
    detail = "throttled: this user name from many addresses"
    assert list(refused.values_list("actor__username", "detail")) == [("clerk", detail)]


def test_shared_address_sprayed_the_clerks_known_computer_still_signs_in(clerk):
    """The hall's network is shared: a sprayer on it must not lock the clerk out."""
    computer = known_device()
    spray(names=10)

    response = sign_in(computer)

    assert (response.status_code, response["Location"]) == (302, "/console/")


def test_shared_address_the_clerks_name_locked_by_someone_else_still_signs_in_on_a_known_computer(clerk):
    """Fails on the code before the throttle: django-axes locked (clerk, the hall's address) for everyone."""
    computer = known_device()
    neighbour = browser()
    for _ in range(5):
        sign_in(neighbour, "clerk", "guess")

    on_the_neighbours_computer = sign_in(neighbour)
    on_the_clerks_computer = sign_in(computer)

    assert on_the_neighbours_computer.status_code == 429
    assert (on_the_clerks_computer.status_code, on_the_clerks_computer["Location"]) == (302, "/console/")


def test_many_addresses_trying_the_clerks_name_do_not_lock_the_clerks_computer(clerk):
    computer = known_device("10.0.0.7")
    for n in range(10):
        sign_in(browser(f"198.51.100.{n}"), "clerk", "Spring2026!")

    response = sign_in(computer)

    assert (response.status_code, response["Location"]) == (302, "/console/")


def test_a_known_computer_is_known_for_its_own_user_only(hall, clerk):
    make_staff(hall, "clerk2")
    computer = known_device()
    spray(names=10)

    response = sign_in(computer, "clerk2")

    assert outcome(response) == (429, NAMES_REFUSED)


def test_a_known_computer_that_fails_five_times_loses_its_pass(clerk):
    computer = known_device()
    spray(names=10)
    for _ in range(5):
        assert outcome(sign_in(computer, "clerk", "guess")) == (200, None)

    response = sign_in(computer)

    assert outcome(response) == (429, NAMES_REFUSED)


def test_a_forged_known_device_cookie_is_no_pass(clerk):
    spray(names=10)
    forger = browser()
    forger.cookies[signin_throttle.COOKIE] = '{"d": "x", "n": ["' + signin_throttle.name_key("clerk") + '"]}'

    response = sign_in(forger)

    assert outcome(response) == (429, NAMES_REFUSED)


def test_the_wait_counts_down_and_the_message_is_in_chinese_by_default(clerk, monkeypatch):
    spray(names=10)
    start = signin_throttle.clock()
    monkeypatch.setattr(signin_throttle, "clock", lambda: start + 10 * 60 + 5)

    response = sign_in(browser(language="zh-hans"))

    assert response.status_code == 429
    assert "来自此网络的多个不同用户名登录失败次数过多。请等待 5 分钟后再试" in response.content.decode()


def test_the_refusal_ends_when_its_minutes_have_passed(clerk):
    spray(names=10)
    assert sign_in(browser()).status_code == 429

    signin_throttle.cache.clear()  # as when LOGIN_LOCKOUT_MINUTES have passed (the keys expire in Redis)
    response = sign_in(browser())

    assert (response.status_code, response["Location"]) == (302, "/console/")


def test_limits_are_settings(settings, clerk):
    settings.SIGNIN_NAMES_PER_ADDRESS = 3
    spray(names=3)

    assert outcome(sign_in(browser())) == (429, NAMES_REFUSED)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_redis_down_sign_in_works_and_the_lock_out_in_postgresql_still_holds(settings, clerk):
    """docs/faults.md: the spraying counts fail open; django-axes' lock-out (PostgreSQL) still holds, and
    a known device is an ordinary one while its failures cannot be counted."""
    computer = known_device()
    nowhere = f"redis://127.0.0.1:{_closed_port()}/0"
    backend = "django.core.cache.backends.redis.RedisCache"
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": nowhere}}

    signed_in = sign_in(browser("198.51.100.1"))
    failures = [sign_in(computer, "clerk", "guess").status_code for _ in range(5)]
    locked = sign_in(computer)

    assert (signed_in.status_code, signed_in["Location"]) == (302, "/console/")
    assert (failures, locked.status_code) == ([200, 200, 200, 200, 429], 429)
