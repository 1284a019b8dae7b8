"""JSON API v1 routes for the queue, mounted on the one NinjaAPI in hall/api_v1.py: the citizen's ticket
and the kiosk's tickets (tickets.py), the window and its calls (counters.py), the tickets at a window
(handling.py), the hall's queue (queue.py) and
its public waiting figures (waiting.py); schemas.py holds what they share. Every change goes through
queueing.services or queueing.calls; who may touch which counter and ticket is decided by queueing.access.

OpenAPI operationIds stay `queueing_api_<view>` (set on each route), as when the routes were one module:
clients generated from the schema keep their method names."""

from ninja import Router

from queueing.api import counters, handling, queue, tickets, waiting

router = Router()
for part in (tickets, counters, handling, queue, waiting):
    router.add_router("", part.router)

__all__ = ["router"]
