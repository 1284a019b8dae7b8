"""The idle time-out of staff sessions (hall/security.py), with a controlled clock."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from html import unescape

import pytest
from django.test import AsyncClient, Client
from django.urls import reverse

from hall import security
from queueing.models import CounterSession
from tests.makers import make_counter, make_hall, make_service, make_staff

pytestmark = pytest.mark.django_db

MINUTE = 60
T0 = 1_800_000_000.0
SIGNED_OUT = "You were signed out because there was no activity for 30 minutes. Please sign in again."


class Clock:
    def __init__(self):
        self.now = T0

    def at(self, minutes: float) -> "Clock":
        self.now = T0 + minutes * MINUTE
        return self


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(security, "clock", lambda: clock.now)
    return clock


@pytest.fixture
def hall():
    return make_hall()


@pytest.fixture
def counter(hall):
    return make_counter(hall, 1, [make_service(hall)])


@pytest.fixture
def clerk(hall):
    return make_staff(hall, "clerk")


@pytest.fixture
def client(clerk):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(clerk)
    return client


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_staff_page_after_30_idle_minutes_goes_to_sign_in_with_a_message(clock, client):
    client.get("/console/")  # at 0

    clock.at(30.5)
    response = client.get("/console/?x=1")
    login = client.get(response["Location"])

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/console/%3Fx%3D1")
    assert SIGNED_OUT in unescape(login.content.decode())
    assert signed_in(client) is False


def test_page_views_keep_the_session_alive(clock, client):
    client.get("/console/")

    for minute in (29, 58, 87):
        clock.at(minute)
        assert client.get("/console/").status_code == 200

    assert signed_in(client) is True


def test_form_posts_keep_the_session_alive(clock, client, counter):
    client.get("/console/")
    clock.at(25)
    client.post(reverse("queueing:open_counter", args=[counter.pk]))

    clock.at(50)
    response = client.get("/console/")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("/api/v1/halls/north/board", {}),  # the board's polling fallback
        ("/api/v1/halls/north/queue", {}),  # a JSON read through the session
        ("/console/", {"HTTP_SEC_FETCH_MODE": "cors"}),  # fetch() from a script
        ("/console/", {"HTTP_SEC_PURPOSE": "prefetch"}),
    ],
)
def test_requests_pages_make_by_themselves_do_not_keep_the_session_alive(clock, client, hall, url, headers):
    client.get("/console/")
    for minute in (10, 20, 29):
        clock.at(minute)
        client.get(url, **headers)

    clock.at(31)
    response = client.get("/console/")

    assert response["Location"] == "/accounts/login/?next=/console/"


def test_the_supervisors_now_page_reloading_itself_does_not_keep_the_session_alive(clock, hall):
    supervisor = make_staff(hall, "boss", role="supervisor")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(supervisor)
    page = client.get("/h/north/reports/live/")
    reloads = []
    for minute in (10, 20, 29):
        clock.at(minute)
        reloads.append(client.get("/h/north/reports/live/?refresh=auto").status_code)

    clock.at(31)
    response = client.get("/h/north/reports/live/?refresh=auto")

    assert '<meta http-equiv="refresh" content="10; url=?refresh=auto">' in page.content.decode()
    assert reloads == [200, 200, 200]
    assert response["Location"] == "/accounts/login/?next=/h/north/reports/live/%3Frefresh%3Dauto"


def test_activity_is_written_at_most_once_a_minute(clock, client):
    client.get("/console/")
    clock.at(0.5)
    client.get("/console/")
    first = client.session[security.LAST_ACTIVITY]
    clock.at(1.5)
    client.get("/console/")

    assert (first, client.session[security.LAST_ACTIVITY]) == (int(T0), int(T0 + 1.5 * MINUTE))


def test_background_request_after_the_time_out_ends_the_session_without_redirect(clock, client, hall):
    client.get("/console/")

    clock.at(31)
    api = client.get(f"/api/v1/halls/{hall.slug}/queue")

    assert api.status_code == 401
    assert signed_in(client) is False


def test_form_post_after_the_time_out_does_nothing_and_asks_to_sign_in(clock, client, counter):
    client.get("/console/")

    clock.at(31)
    response = client.post(reverse("queueing:open_counter", args=[counter.pk]))

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert CounterSession.objects.count() == 0


def test_idle_minutes_are_a_setting(settings, clock, client):
    settings.STAFF_IDLE_MINUTES = 5
    client.get("/console/")

    clock.at(6)
    login = client.get("/console/", follow=True)

    assert "no activity for 5 minutes" in unescape(login.content.decode())


def test_no_time_out_when_switched_off(settings, clock, client):
    settings.STAFF_IDLE_MINUTES = 0
    client.get("/console/")

    clock.at(600)

    assert client.get("/console/").status_code == 200


def test_sign_in_starts_the_idle_clock(clock, clerk):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    clock.at(100)
    client.post(reverse("login"), {"username": "clerk", "password": "pw-for-tests-only"})

    assert client.session[security.LAST_ACTIVITY] == int(T0 + 100 * MINUTE)


def test_message_is_in_chinese_by_default(clock, clerk):
    client = Client()
    client.force_login(clerk)
    client.get("/console/")

    clock.at(31)
    login = client.get("/console/", follow=True)

    assert "由于 30 分钟没有操作，您已退出登录。请重新登录。" in login.content.decode()


@pytest.mark.django_db(transaction=True)
def test_time_out_and_second_factor_under_asgi(settings, clock, clerk, hall):
    """The same middleware on the ASGI server's async path (tests otherwise go through WSGI)."""
    settings.STAFF_OTP_REQUIRED = True
    supervisor = make_staff(hall, "boss", role="supervisor")
    sessions = {}
    for user in (clerk, supervisor):
        client = Client()
        client.force_login(user)
        sessions[user.username] = client.cookies

    async def scenario():
        clerk_client, boss_client = AsyncClient(HTTP_ACCEPT_LANGUAGE="en"), AsyncClient()
        clerk_client.cookies, boss_client.cookies = sessions["clerk"], sessions["boss"]
        page = await clerk_client.get("/console/")
        unverified = await boss_client.get("/h/north/reports/")
        clock.at(31)
        timed_out = await clerk_client.get("/console/")
        return page.status_code, timed_out["Location"], unverified["Location"]

    with ThreadPoolExecutor(1) as pool:  # a browser test may have left an event loop in this thread
        answers = pool.submit(lambda: asyncio.run(scenario())).result()

    assert answers == (
        200,
        "/accounts/login/?next=/console/",
        "/accounts/code/set-up/?next=%2Fh%2Fnorth%2Freports%2F",
    )
