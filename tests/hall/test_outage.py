"""hall/outage.py: a database or Redis failure during a request answers 503 "try again" with Retry-After,
as a translated page or in the API's error format, never a 500. The real outages (PostgreSQL restarted,
connections terminated, Redis restarted) are in tests/test_faults.py."""

import socket
from unittest import mock

import pytest
import redis
from django.db import InterfaceError, OperationalError, connection

from appointments import limits
from appointments.models import Booking
from hall import outage
from hall.models import Hall

pytestmark = pytest.mark.django_db

FAILURES = [
    OperationalError("the connection pool timed out"),
    InterfaceError("connection already closed"),
    redis.ConnectionError("Connection refused"),
]


@pytest.fixture
def hall_table_fails():
    def fail(error):
        return mock.patch.object(Hall.objects, "all", side_effect=error)

    return fail


@pytest.fixture
def client(client):
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("error", FAILURES, ids=type)
def test_page_during_outage_says_try_again_in_chinese(client, hall_table_fails, error):
    with hall_table_fails(error):
        response = client.get("/?from=kiosk")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "<h1>请稍后再试</h1>" in page
    assert "服务暂时不可用，请几分钟后再试。" in page
    assert '<a href="/?from=kiosk">重试</a>' in page


def test_page_during_outage_in_english(client, hall_table_fails):
    with hall_table_fails(FAILURES[0]):
        response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 503
    page = response.content.decode()
    assert "<h1>Please try again in a moment</h1>" in page
    assert "The service is temporarily unavailable. Please try again in a few minutes." in page
    assert '<a href="/">Try again</a>' in page
    assert '<a href="/booking/find/">Look up your booking</a>' in page


def test_form_post_during_outage_offers_no_retry_link(client):
    with mock.patch.object(Booking.objects, "filter", side_effect=FAILURES[0]):
        response = client.post("/booking/find/", {"code": "ACDEFGHJ", "phone": "13900001234"})

    assert response.status_code == 503
    page = response.content.decode()
    assert "<h1>请稍后再试</h1>" in page
    assert "重试" not in page


@pytest.mark.parametrize("error", FAILURES, ids=type)
def test_api_during_outage_answers_its_error_format(client, error):
    with mock.patch.object(Hall.objects, "all", side_effect=error):
        response = client.get("/api/v1/halls")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response.json() == {
        "error": "unavailable",
        "message": "服务暂时不可用，请几分钟后再试。",
        "fields": {},
    }


def test_other_errors_are_still_server_errors(client, hall_table_fails):
    with hall_table_fails(ValueError("a bug")):
        response = client.get("/")

    assert response.status_code == 500
    assert not response.has_header("Retry-After")


def test_rate_limit_lets_attempts_through_while_redis_is_down(settings):
    settings.RATE_LIMITS = True
    with mock.patch.object(limits.cache, "add", side_effect=redis.ConnectionError("Connection refused")):
        assert [limits.hit_rate_limit("book-ip", "127.0.0.1", limit=0) for _ in range(2)] == [False, False]


def test_rate_limit_counts_while_redis_is_up(settings):
    settings.RATE_LIMITS = True
    assert [limits.hit_rate_limit("book-ip", "127.0.0.2", limit=1) for _ in range(2)] == [False, True]


def test_error_page_for_an_outage_met_outside_a_view_says_try_again(rf):
    request = rf.get("/console/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = outage.server_error(request)

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "<h1>请稍后再试</h1>" in response.content.decode()


def test_error_page_for_a_bug_is_a_server_error(rf):
    request = rf.get("/console/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = outage.server_error(request)

    assert response.status_code == 500
    assert "请稍后再试" not in response.content.decode()


@pytest.mark.parametrize(
    ("database", "redis_answers", "status"), [(True, True, 500), (False, True, 503), (True, False, 503)]
)
def test_error_page_without_the_exception_asks_the_backends(rf, database, redis_answers, status):
    """Under ASGI Django passes a middleware's failure to the error page in another thread, without it."""
    with (
        mock.patch.object(outage, "_database_answers", return_value=database),
        mock.patch.object(outage, "_redis_answers", return_value=redis_answers),
    ):
        response = outage.server_error(rf.get("/console/"))

    assert response.status_code == status
    assert ("<h1>请稍后再试</h1>" in response.content.decode()) is (status == 503)


@pytest.mark.requires_postgres
def test_database_probe_tells_a_running_server_from_a_closed_port():
    closed = {**connection.get_connection_params(), "port": _closed_port()}

    assert outage._database_answers() is True
    with mock.patch.object(connection, "get_connection_params", return_value=closed):
        assert outage._database_answers() is False


def test_redis_probe_tells_a_running_server_from_a_closed_port(settings):
    assert outage._redis_answers() is True
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    assert outage._redis_answers() is False


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
