"""hall/admission.py: a request that waited longer than ADMISSION_MAX_WAIT_MS for a worker (nginx's
X-Request-Start stamp) is answered "busy, try again in N seconds" (503 + Retry-After) at once, in the API's
error format or as a page, in the citizen's language, and nothing is booked; one that waited less is served.
The browser's automatic retry is in tests/appointments/test_busy_retry_browser.py, the rush itself in
bench/release_rush.py."""

import json
import re
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core import signals
from django.db import close_old_connections
from django.test import RequestFactory

from appointments.models import Booking
from hall import admission
from tests.api.helpers import booking_body, post
from tests.makers import make_staff

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def stamp_value(waited_ms: float) -> str:
    """The header nginx sets (`t=${msec}`) on a request that arrived `waited_ms` ago."""
    return f"t={time.time() - waited_ms / 1000:.3f}"


def stamp(waited_ms: float) -> dict:
    return {"HTTP_X_REQUEST_START": stamp_value(waited_ms)}


@pytest.fixture(autouse=True)
def limits(settings):
    settings.ADMISSION_MAX_WAIT_MS = 500
    settings.ADMISSION_RETRY_AFTER = 5


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "系统繁忙，请 {} 秒后重试。"),
        ("en", "The service is busy. Please try again in {} seconds."),
    ],
)
def test_a_booking_that_waited_too_long_is_told_to_retry_and_not_booked(client, slots, language, message):
    response = post(client, "/api/v1/bookings", booking_body(slots[0]), language, **stamp(2000))

    assert response.status_code == 503
    seconds = int(response["Retry-After"])
    assert 5 <= seconds <= 10
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {"error": "busy", "message": message.format(seconds), "fields": {}}
    assert not Booking.objects.exists()


def test_a_booking_that_waited_less_is_booked(client, slots):
    client.get("/api/v1/halls")  # the test client loads the middleware at its first request: not a wait
    assert post(client, "/api/v1/bookings", booking_body(slots[0]), **stamp(100)).status_code == 201
    assert (
        post(client, "/api/v1/bookings", booking_body(slots[1], n=2, phone="13800138001")).status_code == 201
    )  # no stamp
    assert Booking.objects.count() == 2


def test_off_when_the_limit_is_zero(client, slots, settings):
    settings.ADMISSION_MAX_WAIT_MS = 0
    assert post(client, "/api/v1/bookings", booking_body(slots[0]), **stamp(5000)).status_code == 201


@pytest.mark.parametrize("header", ["t=garbage", "", "t=1", f"t={time.time() + 3600:.3f}"])
def test_a_stamp_that_is_no_wait_refuses_nothing(client, slots, header):
    """Garbled, ancient (a wrong clock, not a queue) or in the future (two hosts' clocks apart)."""
    response = post(client, "/api/v1/bookings", booking_body(slots[0]), HTTP_X_REQUEST_START=header)
    assert response.status_code == 201


@pytest.mark.parametrize("unit", [1, 1000, 1_000_000])  # seconds (nginx), milliseconds, microseconds
def test_stamps_in_other_units_are_read(unit):
    now = time.time()
    assert admission.waited_ms({"HTTP_X_REQUEST_START": str((now - 1.5) * unit)}, now) == pytest.approx(
        1500, abs=5
    )


def test_staff_are_served_however_long_they_waited(client, hall):
    """A clerk's console and the counters' API must keep working through a citizens' rush."""
    url = f"/api/v1/halls/{hall.slug}/bookings?date=2026-12-24"
    response = client.get(url, HTTP_AUTHORIZATION="Bearer wrong", **stamp(3000))
    assert response.status_code == 401  # the token was looked at: not refused as busy
    client.force_login(make_staff(hall))
    assert client.get("/accounts/home/", **stamp(3000)).status_code in (200, 302)


def test_a_page_that_waited_too_long_reloads_itself_after_the_wait(client, hall):
    response = client.get(f"/h/{hall.slug}/?from=qr", HTTP_ACCEPT_LANGUAGE="zh-hans", **stamp(2000))

    assert response.status_code == 503
    seconds = response["Retry-After"]
    page = response.content.decode()
    assert "<h1>系统繁忙</h1>" in page
    assert f"当前预约人数较多，请 {seconds} 秒后重试。" in page
    assert f"本页将在 {seconds} 秒后自动刷新，您无需任何操作。" in page
    assert f'<meta http-equiv="refresh" content="{seconds}">' in page
    assert f'<a href="/h/{hall.slug}/?from=qr">立即重试</a>' in page


def test_a_form_refused_as_busy_says_to_send_it_again_in_english(client, slots, day):
    slot = slots[0]
    url = f"/h/{slot.hall.slug}/book/{slot.service.code}/{day}/{slot.pk}/confirm/"
    response = client.post(url, HTTP_ACCEPT_LANGUAGE="en", **stamp(2000))

    assert response.status_code == 503
    page = response.content.decode()
    seconds = response["Retry-After"]
    assert "<h1>The service is busy</h1>" in page
    assert f"Nothing was saved. Wait {seconds} seconds, go back and send the form again." in page
    assert "http-equiv" not in page  # a POST is not repeated by reloading


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_many_at_once_are_refused_or_served_by_their_wait_alone(live_server, slots, settings):
    """Real concurrent requests on a live server: of 20 citizens booking at once, the 10 whose stamp says
    they waited 5 s are each refused with a Retry-After and the 10 others each booked."""
    settings.ADMISSION_MAX_WAIT_MS = 2000  # twenty threads on a shared machine: the fresh ones stay fresh
    urllib.request.urlopen(live_server.url + "/api/v1/halls", timeout=30).close()  # noqa: S310 - warm up
    results = []

    def book(n: int):
        late = n % 2 == 0
        body = booking_body(slots[n // 2], n=n + 1, phone=f"1380013{n:04d}")
        request = urllib.request.Request(  # noqa: S310 - the live server's http:// address
            live_server.url + "/api/v1/bookings",
            data=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "X-Request-Start": stamp_value(5000 if late else 50),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                results.append((late, response.status, None))
        except urllib.error.HTTPError as error:
            results.append((late, error.code, error.headers.get("Retry-After")))

    threads = [threading.Thread(target=book, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted((late, status) for late, status, _ in results) == [(False, 201)] * 10 + [(True, 503)] * 10
    assert all(re.fullmatch(r"\d+", retry) for late, _status, retry in results if late)
    assert Booking.objects.count() == 10


def test_nginx_stamps_each_request_with_its_arrival():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert 'proxy_set_header X-Request-Start "t=${msec}";' in conf


def wsgi_call(environ) -> tuple[str, dict, bytes]:
    """hall/wsgi.py's application, as gunicorn calls it."""
    from hall.wsgi import application

    answered = {}

    def start_response(status, headers, exc_info=None):
        answered.update(status=status, headers=dict(headers))

    # As Django's test client does: the handler must not close the test's connection (PostgreSQL).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        response = application(environ, start_response)
        body = b"".join(response)
        getattr(response, "close", lambda: None)()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return answered["status"], answered["headers"], body


def test_the_wsgi_entry_refuses_before_django_in_the_requests_language(slots):
    """gunicorn's entry refuses before any middleware (a refusal must cost a worker as little as it can)."""
    factory = RequestFactory()
    body = json.dumps(booking_body(slots[0]))
    late = factory.post(
        "/api/v1/bookings", body, "application/json", HTTP_ACCEPT_LANGUAGE="en", **stamp(2000)
    )

    status, headers, content = wsgi_call(late.environ)

    assert status.startswith("503")
    seconds = int(headers["Retry-After"])
    message = f"The service is busy. Please try again in {seconds} seconds."
    assert json.loads(content) == {"error": "busy", "message": message, "fields": {}}
    assert not Booking.objects.exists()
    fresh = factory.post("/api/v1/bookings", body, "application/json", **stamp(50))
    assert wsgi_call(fresh.environ)[0].startswith("201")
    assert Booking.objects.count() == 1


def test_the_wsgi_entry_answers_a_page_in_chinese_that_reloads_itself(hall):
    late = RequestFactory().get(
        f"/h/{hall.slug}/", {"from": "qr"}, HTTP_ACCEPT_LANGUAGE="zh-CN", **stamp(2000)
    )

    status, headers, content = wsgi_call(late.environ)

    seconds = headers["Retry-After"]
    page = content.decode()
    assert status.startswith("503")
    assert f"当前预约人数较多，请 {seconds} 秒后重试。" in page
    assert f'<meta http-equiv="refresh" content="{seconds}">' in page
    assert f'<a href="/h/{hall.slug}/?from=qr">立即重试</a>' in page


def test_a_request_the_wsgi_entry_let_in_is_not_refused_again_by_the_middleware(client, slots):
    """The wait is checked once: a booking the entry admitted is booked however long Django then took to
    reach the middleware (here a stamp already late when the middleware reads it)."""
    admitted = RequestFactory().get("/h/none/", **stamp(50)).environ
    wsgi_call(admitted)
    assert admitted[admission.ADMITTED] is True

    response = post(
        client, "/api/v1/bookings", booking_body(slots[0]), **stamp(2000), **{admission.ADMITTED: True}
    )

    assert response.status_code == 201, response.content
    assert Booking.objects.count() == 1
