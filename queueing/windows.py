"""Which windows are open for a service, the rule in one place for the written-out reads (hall/rows.py):
a window of the hall (not its online room) in use, serving the service (Counter.objects.serving, the same
rule in the ORM, without the session that the hall app does not know), its session open."""

from hall.models import CounterKind
from queueing.models import CounterState

# A row per open window and service it serves: counter_id, service_id, hall_id and calls_since_walk_in (of
# its session). To read FROM or JOIN as a subquery; constants only, no parameters.
OPEN_WINDOWS = (
    "SELECT l.counter_id, l.service_id, c.hall_id, cs.calls_since_walk_in "  # noqa: S608 (constants)
    "FROM hall_counter_services l INNER JOIN hall_counter c ON c.id = l.counter_id "
    "INNER JOIN queueing_countersession cs ON cs.counter_id = c.id "
    f"WHERE c.active AND c.kind = '{CounterKind.WINDOW}' AND cs.state = '{CounterState.OPEN}'"
)
