"""The live event stream and its polling fallback (see queueing.live and queueing.events)."""

from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from hall.models import Hall
from queueing import board, live

WSGI_STREAM_SECONDS = 20


def _hall_or_none(slug: str) -> Hall | None:
    return Hall.objects.filter(slug=slug).first()


def _snapshot(hall_id: int) -> dict:
    return board.snapshot(Hall.objects.get(pk=hall_id))


async def hall_or_none(slug: str) -> Hall | None:
    return await live.database_call(_hall_or_none)(slug)


def events_of(hall_id: int, last_event_id: str | None, seconds: float | None):
    """The event stream of one client of the hall (queueing.live.stream), with the hall's snapshot."""
    snapshot = live.database_call(_snapshot)
    return live.stream(hall_id, last_event_id, lambda: snapshot(hall_id), seconds=seconds)


@require_GET
async def hall_events(request, slug):
    """text/event-stream of ticket.issued, ticket.called, ticket.completed, queue.changed, with ids for
    Last-Event-ID; a snapshot follows the missed events on every (re)connect."""
    hall = await hall_or_none(slug)
    if hall is None:
        raise Http404
    last_event_id = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id")
    # Under WSGI (runserver, gunicorn, the tests' live server) a stream holds a worker thread: it ends after
    # WSGI_STREAM_SECONDS and the browser reconnects. Under ASGI (uvicorn, production) hall/asgi.py serves
    # the stream in front of Django (queueing/live_asgi.py) and this view answers what that one passes on.
    seconds = None if isinstance(request, ASGIRequest) else WSGI_STREAM_SECONDS
    events = events_of(hall.pk, last_event_id, seconds)
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


@require_GET
def board_json(request, slug):
    """The polling fallback: the same snapshot as the stream, cacheable for two seconds."""
    hall = _hall_or_none(slug)
    if hall is None:
        raise Http404
    response = JsonResponse(board.snapshot(hall), json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, public=True, max_age=2)
    return response
