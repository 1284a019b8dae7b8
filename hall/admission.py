"""Admission control: a request that waited too long for a web worker is answered "busy, try again in N
seconds" (HTTP 503 with Retry-After) at once, instead of being worked on after its citizen gave up.

Where requests queue: gunicorn's sync workers take one request each; the others wait in the listening
socket's backlog, where no code of ours can count them. So the bound is on the time a request waited, not
on a count. nginx stamps each request as it arrives (`proxy_set_header X-Request-Start "t=${msec}"`,
deploy/nginx.conf); when a worker takes it, this middleware compares the stamp with the clock. A request
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

import logging
import random
import time

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.decorators import sync_and_async_middleware
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


def exempt(request) -> bool:
    if "HTTP_AUTHORIZATION" in request.META:
        return True
    path = request.path_info
    return "/staff/" in path or path.startswith(EXEMPT)


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
        context = {"busy_seconds": seconds, "retry_url": request.get_full_path() if retry else ""}
        response = HttpResponse(render_to_string(TEMPLATE, context), status=503)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    # Not an error of ours: Django would log each refusal at ERROR, hundreds a second in a rush.
    response._has_been_logged = True
    return response


def refusal(request) -> HttpResponse | None:
    limit = settings.ADMISSION_MAX_WAIT_MS
    if not limit or exempt(request):
        return None
    wait = waited_ms(request.META, time.time())
    if wait is None or wait <= limit:
        return None
    log.debug("busy: %s %s waited %.0f ms for a worker", request.method, request.path_info, wait)
    return busy_response(request, retry_after())


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
