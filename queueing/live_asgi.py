"""The hall's event stream served in front of Django's middleware (hall/asgi.py).

A stream needs none of the middleware: no session, CSRF, messages, authentication or second factor, and
after a restart every board and phone of a hall reconnects at once, each paying for the whole stack. So a
GET of /api/v1/halls/<hall>/events whose hall is known goes straight to `queueing.live.stream`, with the
language chosen as LocaleMiddleware would and the headers the view sets; the hall is looked up once per
process and kept for HALL_SECONDS. Anything else (another method, an unknown hall, a host not allowed, the
database down) goes to Django, which answers it as before: 404, 405, 400 or 503 in the API's format.
"""

import asyncio
import io
import re
import time

from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.db import DatabaseError
from django.utils import translation

from queueing import live_views

EVENTS_PATH = re.compile(r"^/api/v1/halls/(?P<slug>[-a-zA-Z0-9_]+)/events$")
HALL_SECONDS = 60.0
HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # nginx: do not buffer the stream
    (b"x-content-type-options", b"nosniff"),
    (b"vary", b"Accept-Language, Cookie"),
]


class EventStreams:
    """ASGI: the hall's event streams here, everything else to `django`."""

    def __init__(self, django):
        self.django = django
        self.halls: dict[str, tuple[int, float]] = {}  # slug -> (hall id, when looked up)

    async def __call__(self, scope, receive, send):
        match = EVENTS_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None or scope.get("method") != "GET":
            return await self.django(scope, receive, send)
        request = ASGIRequest(scope, io.BytesIO())
        hall_id = await self._hall_id(match["slug"])
        if hall_id is None or not _host_allowed(request):
            return await self.django(scope, receive, send)
        language = translation.get_language_from_request(request)
        with translation.override(language):
            last_event_id = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id")
            events = live_views.events_of(hall_id, last_event_id, seconds=None)
            headers = [*HEADERS, (b"content-language", language.encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await _stream_until_disconnect(events, receive, send)

    async def _hall_id(self, slug: str) -> int | None:
        """The hall's id from this process's memory, or from the database (None: unknown, or the database
        is down: Django answers both)."""
        known = self.halls.get(slug)
        if known and time.monotonic() - known[1] < HALL_SECONDS:
            return known[0]
        try:
            hall = await live_views.hall_or_none(slug)
        except DatabaseError:
            return None
        if hall is None:
            self.halls.pop(slug, None)
            return None
        self.halls[slug] = (hall.pk, time.monotonic())
        return hall.pk


def _host_allowed(request) -> bool:
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return True


async def _stream_until_disconnect(events, receive, send) -> None:
    """Send the stream's chunks until it ends or the client goes away; either way the stream is closed, so
    that it leaves the hub."""

    async def body():
        async for chunk in events:
            await send({"type": "http.response.body", "body": chunk.encode(), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def disconnect():
        while (await receive())["type"] != "http.disconnect":
            pass

    sending, listening = asyncio.ensure_future(body()), asyncio.ensure_future(disconnect())
    try:
        done, _pending = await asyncio.wait({sending, listening}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sending, listening):
            task.cancel()
        await asyncio.gather(sending, listening, return_exceptions=True)
        await events.aclose()
    if sending in done and not sending.cancelled() and sending.exception() is not None:
        raise sending.exception()
