"""Admission control: a request that waited too long for a web worker is answered "busy, try again in N
seconds" (HTTP 503 with Retry-After) at once, instead of being worked on after its citizen gave up.

Where requests queue: gunicorn's sync workers take one request each; the others wait in the listening
socket's backlog, where no code of ours can count them. So the bound is on the time a request waited, not
on a count. nginx stamps each request as it arrives (`proxy_set_header X-Request-Start "t=${msec}"`,
deploy/nginx.conf); when a worker takes it, `wsgi` (gunicorn's entry, hall/wsgi.py) or the middleware
`admission` (the ASGI server, and the test client) compares the stamp with the clock. A request
that waited more than ADMISSION_MAX_WAIT_MS is refused before it touches the session or the database (a
refusal costs about a millisecond); one that waited less is served as usual. Under a rush the queue
therefore never holds more than ADMISSION_MAX_WAIT_MS of work: the workers keep booking at full rate, and
every citizen hears back within that wait plus one request's time, with a booking or with "busy".

Staff work is never refused: requests with an Authorization header (counters, kiosks, devices), paths
under EXEMPT (sign-in, the admin, the counters' API) and staff pages (/staff/ in the path) are served
however long they waited, so that a rush of citizens cannot stop the windows from calling. Without the
header (development, tests, a client on loopback) nothing is refused. Stamps in the future (the clocks of
two hosts apart) count as no wait, and waits beyond ADMISSION_IMPLAUSIBLE_S as a wrong clock: neither
refuses anything.
"""

import json
import logging
import random
import time
from functools import lru_cache
from http.cookies import SimpleCookie

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.decorators import sync_and_async_middleware
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

START_HEADER = "HTTP_X_REQUEST_START"
# A wait longer than this is a clock set wrong, not a queue: gunicorn would have killed the worker first.
ADMISSION_IMPLAUSIBLE_S = 60
TEMPLATE = "503.html"
EXEMPT = ("/accounts/", "/admin/", "/api/v1/counters/")
BUSY = _("The service is busy. Please try again in %(seconds)s seconds.")


def waited_ms(meta: dict, now: float) -> float | None:
    """Milliseconds since the proxy's stamp ("t=1733472000.123", seconds as nginx's $msec; also a bare
    number of seconds, milliseconds or microseconds), or None when there is no usable stamp."""
    raw = meta.get(START_HEADER, "")
    text = raw[2:] if raw.startswith("t=") else raw
    try:
        stamp = float(text)
    except ValueError:
        return None
    # nginx gives seconds with a fraction; other proxies milliseconds or microseconds since the epoch.
    while stamp > 1e11:
        stamp /= 1000
    wait = (now - stamp) * 1000
    if wait > ADMISSION_IMPLAUSIBLE_S * 1000:
        return None
    return max(wait, 0.0)


# Set in the WSGI environ by `wsgi` once it has let a request in: the middleware does not check it again.
ADMITTED = "chuangkou.admitted"


def exempt(meta: dict, path: str) -> bool:
    """Staff work, never refused (a request's META or the WSGI environ, and its path)."""
    return "HTTP_AUTHORIZATION" in meta or "/staff/" in path or path.startswith(EXEMPT)


def retry_after() -> int:
    """Seconds to wait before trying again: ADMISSION_RETRY_AFTER to twice that, at random, so that the
    citizens refused together do not all come back in the same second."""
    base = settings.ADMISSION_RETRY_AFTER
    return random.randint(base, 2 * base)  # noqa: S311 - spreading retries, not a secret


def busy_response(request, seconds: int) -> HttpResponse:
    """503 with Retry-After: the API's JSON error `busy`, or the page saying when to try again (a page
    asked for with GET reloads itself then)."""
    if request.path_info.startswith("/api/"):
        from hall.api import error_response

        response = error_response(request, 503, "busy", BUSY % {"seconds": seconds})
    else:
        retry = request.method in ("GET", "HEAD")
        page = busy_page(translation.get_language(), seconds, request.get_full_path() if retry else "")
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    # Not an error of ours: Django would log each refusal at ERROR, hundreds a second in a rush.
    response._has_been_logged = True
    return response


def refusal(request) -> HttpResponse | None:
    limit = settings.ADMISSION_MAX_WAIT_MS
    if not limit or ADMITTED in request.META or exempt(request.META, request.path_info):
        return None
    wait = waited_ms(request.META, time.time())
    if wait is None or wait <= limit:
        return None
    log.debug("busy: %s %s waited %.0f ms for a worker", request.method, request.path_info, wait)
    return busy_response(request, retry_after())


@lru_cache(maxsize=64)
def _busy_page(language: str, seconds: int, retry: bool) -> str:
    """The busy page, rendered once per language, wait and kind (a page that reloads itself, or a form):
    refusals must stay cheap. RETRY_URL stands for the address, put in per request."""
    with translation.override(language):
        return render_to_string(TEMPLATE, {"busy_seconds": seconds, "retry_url": RETRY_URL if retry else ""})


RETRY_URL = "/__retry_url__"


def busy_page(language: str, seconds: int, retry_url: str) -> str:
    """The busy page: it reloads `retry_url` after the wait, or (no address: a form) says to send it again."""
    page = _busy_page(language, seconds, bool(retry_url))
    return page.replace(RETRY_URL, escape(retry_url)) if retry_url else page


def wsgi(application):
    """The same refusal at the WSGI entry (hall/wsgi.py), before Django builds the request or runs any
    middleware: in a rush most requests are refused, and each refusal takes a worker's time from the
    bookings, so it must cost as little as it can. The middleware stays for the ASGI server and the test
    client; a request this entry let in is not checked again there (ADMITTED)."""

    def app(environ, start_response):
        limit = settings.ADMISSION_MAX_WAIT_MS
        path = environ.get("PATH_INFO", "")
        if not limit or exempt(environ, path):
            return application(environ, start_response)
        wait = waited_ms(environ, time.time())
        if wait is None or wait <= limit:
            environ[ADMITTED] = True
            return application(environ, start_response)
        seconds = retry_after()
        language = _language(environ)
        headers = [
            ("Retry-After", str(seconds)),
            ("Cache-Control", "no-store"),
            ("Content-Language", language),
        ]
        headers.append(("Vary", "Accept-Language, Cookie"))
        if path.startswith("/api/"):
            with translation.override(language):
                message = str(BUSY % {"seconds": seconds})
            body = json.dumps({"error": "busy", "message": message, "fields": {}}, ensure_ascii=False)
            headers.append(("Content-Type", "application/json; charset=utf-8"))
        else:
            address = ""
            if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
                query = environ.get("QUERY_STRING", "")
                address = environ.get("SCRIPT_NAME", "") + path + (f"?{query}" if query else "")
            body = busy_page(language, seconds, address)
            headers.append(("Content-Type", "text/html; charset=utf-8"))
        data = body.encode()
        headers.append(("Content-Length", str(len(data))))
        start_response("503 Service Unavailable", headers)
        return [data]

    return app


def _language(environ) -> str:
    """The request's language as LocaleMiddleware would choose it (the language cookie, then
    Accept-Language), without building a request."""
    from django.utils.translation import trans_real

    cookie = SimpleCookie(environ.get("HTTP_COOKIE", "")).get(settings.LANGUAGE_COOKIE_NAME)
    if cookie is not None:
        try:
            return trans_real.get_supported_language_variant(cookie.value)
        except LookupError:
            pass
    for code, _quality in trans_real.parse_accept_lang_header(environ.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code == "*":
            break
        try:
            return trans_real.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


@sync_and_async_middleware
def admission(get_response):
    """After LocaleMiddleware (the refusal speaks the request's language), before anything that reads the
    session or the database."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            return refusal(request) or await get_response(request)

    else:

        def middleware(request):
            return refusal(request) or get_response(request)

    return middleware
