"""The API's bearer-token requests without cookies take a shorter way through the middleware (hall/bearer.py,
issue 20): the same answers, the same headers, the same refusals as the whole way. The test client has a
handler of its own, so these requests go through the WSGI application as gunicorn calls it."""

import io
import json

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from hall import bearer
from queueing.models import Ticket
from tests.queueing.api.helpers import walk_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def apps():
    """(the short way, the whole way), without closing the test's connection at the end of each request
    (as the test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield bearer.wsgi(WSGIHandler()), WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def send(app, method, path, key=None, body=None, cookie="", language="en"):
    data = json.dumps(body).encode() if body is not None else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "HTTP_ACCEPT_LANGUAGE": language,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
    }
    if key:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

    answer["body"] = b"".join(app(environ, start_response))
    return answer, bearer.takes_the_short_way(environ)


def test_short_way_answers_as_the_whole_way(apps, hall, service, counter, key, other_hall_key):
    short, whole = apps
    steps = [
        ("POST", f"/api/v1/counters/{counter.pk}/open", key, None),
        ("POST", f"/api/v1/counters/{counter.pk}/call-next", key, None),  # nobody: 204
        ("POST", f"/api/v1/counters/{counter.pk}/call-next", "ck_not-a-token", None),  # 401
        ("POST", f"/api/v1/counters/{counter.pk}/call-next", other_hall_key, None),  # 404
        ("POST", "/api/v1/tickets/999999/complete", key, {"outcome": "done"}),  # 404
        ("POST", "/api/v1/tickets/1/complete", key, {"outcome": "neither"}),  # 422
        ("GET", "/api/v1/halls", key, None),
    ]
    for method, path, token, body in steps:
        (a, took_short), (b, _) = (
            send(short, method, path, token, body),
            send(whole, method, path, token, body),
        )
        assert took_short
        assert (a["status"], a["body"]) == (b["status"], b["body"]), path
        assert a["headers"] == b["headers"], path
    for language in ("zh-hans", "en"):
        (a, _), (b, _) = (
            send(app, "POST", "/api/v1/tickets/999999/complete", key, {}, "", language) for app in apps
        )
        assert (a["status"], a["body"], a["headers"]) == (b["status"], b["body"], b["headers"])
        assert a["headers"]["Content-Language"] == language

    ticket = walk_in(hall, service)
    called, _ = send(short, "POST", f"/api/v1/counters/{counter.pk}/call-next", key)
    assert called["status"] == 200 and json.loads(called["body"])["ticket"]["id"] == ticket.pk
    done, _ = send(short, "POST", f"/api/v1/tickets/{ticket.pk}/complete", key, {"outcome": "done"})
    assert done["status"] == 200 and Ticket.objects.get(pk=ticket.pk).state == "done"
    for name in ("Cache-Control", "X-Frame-Options", "X-Content-Type-Options", "Content-Security-Policy"):
        assert name in done["headers"], name


def test_a_request_with_a_cookie_or_outside_the_api_takes_the_whole_way(apps, counter, clerk, key, client):
    short, _whole = apps
    client.force_login(clerk)
    session = f"sessionid={client.cookies['sessionid'].value}"

    # Signed in by the session, with a wrong token: the session's way of signing in still works.
    answer, took_short = send(
        short, "POST", f"/api/v1/counters/{counter.pk}/open", "ck_wrong", cookie=session
    )

    assert not took_short
    assert answer["status"] == 403  # the session's unsafe request without its CSRF token, as before
    assert not send(short, "GET", "/", key)[1]
    assert not send(short, "GET", "/api/v1/halls")[1]  # no token


def test_the_wsgi_module_loads_in_a_fresh_process():
    """gunicorn imports hall/wsgi.py before Django is set up: nothing it imports may need the models."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    code = "import hall.wsgi; print(hall.wsgi.application.__name__)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hall.settings"}
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True)

    assert (done.returncode, done.stdout.strip()) == (0, "app"), done.stderr[-2000:]
