"""A database or Redis outage answers "try again shortly" (HTTP 503 with Retry-After), never a 500.

While PostgreSQL restarts, or after it dropped the connections, a request fails with OperationalError or
InterfaceError (a pool that cannot hand out a connection in time raises OperationalError too); while Redis
is down, anything that needs the cache raises a RedisError. None of these is the citizen's fault or a bug:
pages get a translated page saying to try again, the API its JSON error, and the psycopg pool replaces the
broken connections by itself (DATABASES' pool `check`), so that everything works again without a restart.
"""

import logging
import sys

import redis
from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

log = logging.getLogger(__name__)

OUTAGE_ERRORS = (OperationalError, InterfaceError, redis.RedisError)
# Seconds a client should wait before trying again: a PostgreSQL restart takes a few seconds.
RETRY_AFTER = 10
# How long the error page waits for each backend when it asks whether they are down (see server_error).
PROBE_TIMEOUT = 2
TEMPLATE = "503.html"


def is_outage(exception: BaseException) -> bool:
    return isinstance(exception, OUTAGE_ERRORS)


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def unavailable_response(request) -> HttpResponse:
    if _is_api(request):
        from hall.api import UNAVAILABLE, error_response

        response = error_response(request, 503, "unavailable", UNAVAILABLE)
    else:
        # Rendered without the request: its context processors may need the session, hence the database.
        retry = request.method in ("GET", "HEAD")
        html = render_to_string(TEMPLATE, {"retry_url": request.get_full_path() if retry else ""})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class OutageMiddleware:
    """Turns an outage raised by a view into a 503, and gives the API's own 503 answers a Retry-After.

    Sync and async capable without a thread hop: it only looks at the response, and `process_exception`
    runs only when a view failed.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return self._with_retry_after(self.get_response(request))

    async def __acall__(self, request):
        return self._with_retry_after(await self.get_response(request))

    @staticmethod
    def _with_retry_after(response):
        if response.status_code == 503 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(RETRY_AFTER)
        return response

    def process_exception(self, request, exception):
        if not is_outage(exception):
            return None
        log.warning("%s %s: backend unavailable (%s)", request.method, request.path, type(exception).__name__)
        return unavailable_response(request)


def server_error(request):
    """handler500. A middleware that meets the outage (one that reads the session, say) fails outside any
    view, so OutageMiddleware never sees it. Under the ASGI server Django hands such a failure to this view
    in another thread, where the exception is gone from sys.exc_info(); then the backends are asked
    directly (only on this error path), and a failure while one of them is unreachable is an outage too."""
    error = sys.exc_info()[1]
    if is_outage(error) if error is not None else backend_down():
        log.warning("%s %s: backend unavailable outside a view", request.method, request.path)
        return unavailable_response(request)
    return defaults.server_error(request)


def backend_down() -> bool:
    return not _database_answers() or not _redis_answers()


def _database_answers() -> bool:
    """A fresh connection, not one from the pool: the pool would wait its whole timeout."""
    if connection.vendor != "postgresql":
        return True
    import psycopg

    try:
        params = connection.get_connection_params()
        with psycopg.connect(**params, connect_timeout=PROBE_TIMEOUT, autocommit=True) as probe:
            probe.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def _redis_answers() -> bool:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=PROBE_TIMEOUT, socket_timeout=PROBE_TIMEOUT
    )
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()
