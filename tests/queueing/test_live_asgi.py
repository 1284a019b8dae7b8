"""The event stream served in front of Django's middleware (queueing/live_asgi.py), driven as an ASGI server
drives it: a known hall streams at once in the client's language; everything else goes on to Django."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from queueing import live
from queueing.live_asgi import EventStreams
from tests.makers import make_hall, make_service


def scope(path: str, method: str = "GET", headers=()) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


class Django:
    """Stands in for Django behind the route, only to see what is passed on."""

    def __init__(self):
        self.paths = []

    async def __call__(self, scope, receive, send):
        self.paths.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def serve(app, request_scope) -> list[dict]:
    """What the app sends until its first snapshot (then the client goes away) or its end."""

    async def scenario():
        sent, gone = [], asyncio.Event()

        async def receive():
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)
            if b"event: snapshot" in message.get("body", b""):
                gone.set()

        await asyncio.wait_for(app(request_scope, receive, send), 20)
        return sent

    with ThreadPoolExecutor(1) as pool:  # a browser test may have left an event loop running here
        return pool.submit(lambda: asyncio.run(scenario())).result()


@pytest.mark.django_db(transaction=True)
def test_known_hall_streams_a_snapshot_in_the_clients_language_without_django():
    hall = make_hall()
    make_service(hall)
    django = Django()
    app = EventStreams(django)

    sent = serve(app, scope(f"/api/v1/halls/{hall.slug}/events", headers=[(b"accept-language", b"en")]))

    start = sent[0]
    headers = dict(start["headers"])
    assert (start["status"], headers[b"content-type"], headers[b"content-language"]) == (
        200,
        b"text/event-stream; charset=utf-8",
        b"en",
    )
    body = b"".join(message.get("body", b"") for message in sent[1:]).decode()
    assert body.startswith("retry: ") and "event: snapshot" in body
    assert django.paths == []
    assert hall.pk not in live.hub.clients  # the client went away: its stream left the hub


@pytest.mark.django_db(transaction=True)
def test_chinese_is_the_default_language():
    hall = make_hall()
    sent = serve(EventStreams(Django()), scope(f"/api/v1/halls/{hall.slug}/events"))
    assert dict(sent[0]["headers"])[b"content-language"] == b"zh-hans"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/halls/no-such-hall/events"),  # Django answers 404 in the API's format
        ("POST", "/api/v1/halls/{slug}/events"),  # and 405
        ("GET", "/api/v1/halls/{slug}/board"),  # not a stream
        ("GET", "/h/{slug}/"),
    ],
)
def test_anything_else_goes_to_django(method, path):
    hall = make_hall()
    django = Django()
    path = path.format(slug=hall.slug)

    sent = serve(EventStreams(django), scope(path, method))

    assert django.paths == [(method, path)]
    assert sent[0]["status"] == 299


@pytest.mark.django_db(transaction=True)
def test_a_host_not_allowed_goes_to_django_for_its_400():
    hall = make_hall()
    django = Django()
    request = scope(f"/api/v1/halls/{hall.slug}/events")
    request["headers"] = [(b"host", b"evil.example")]

    serve(EventStreams(django), request)

    assert django.paths == [("GET", f"/api/v1/halls/{hall.slug}/events")]


@pytest.mark.django_db(transaction=True)
def test_a_hall_removed_is_forgotten_after_its_time(monkeypatch):
    hall = make_hall()
    app = EventStreams(Django())
    serve(app, scope(f"/api/v1/halls/{hall.slug}/events"))
    assert hall.slug in app.halls

    monkeypatch.setattr("queueing.live_asgi.HALL_SECONDS", 0)
    slug = hall.slug
    hall.delete()
    django = Django()
    app.django = django
    serve(app, scope(f"/api/v1/halls/{slug}/events"))

    assert django.paths and slug not in app.halls
