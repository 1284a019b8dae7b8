"""The one read of a booking through the API: the slot with its hall, its service and the hall's booking
rules, narrow (not the guides' and notices' long translated texts), in plain SQL (hall/rows.py). Composing
this three-join select with the ORM cost as much CPU as all the booking's other statements; the rows become
model instances as the ORM makes them, the fields not read deferred, the related instances cached on each
other."""

from functools import cache

from appointments.models import BookingRules, Slot
from hall import rows
from hall.models import Hall, Service

_NAMES = {"name", "name_zh_hans", "name_en"}  # modeltranslation: the active language's, and the fallback
_FIELDS = {  # the fields read, where not all
    Hall: frozenset({"id", "slug", *_NAMES, "timezone", "consultation_phone", "supervision_phone"}),
    Service: frozenset({"id", "hall_id", "code", *_NAMES, "active", "bookable"}),
}
_MODELS = (Slot, Hall, Service, BookingRules)


@cache
def _sql() -> str:
    return (
        f"SELECT {rows.columns(Slot, 's')}, {rows.columns(Hall, 'h', _FIELDS[Hall])}, "  # noqa: S608 - names only
        f"{rows.columns(Service, 'v', _FIELDS[Service])}, {rows.columns(BookingRules, 'r')} "
        f"FROM {rows.table(Slot)} s JOIN {rows.table(Hall)} h ON h.id = s.hall_id "
        f"JOIN {rows.table(Service)} v ON v.id = s.service_id "
        f"LEFT JOIN {rows.table(BookingRules)} r ON r.hall_id = h.id WHERE s.id = %s"
    )


def slot_to_book(slot_id: int) -> Slot | None:
    """The slot with this id, its hall (with the hall's rules, or none) and its service; None if there is
    no such slot."""
    found = rows.fetch(_sql(), [slot_id])
    if not found:
        return None
    slot, hall, service, rules = rows.load_all(_MODELS, found[0], _FIELDS)
    rows.attach(slot, "hall", hall)
    rows.attach(slot, "service", service)
    rows.attach(service, "hall", hall)
    rows.attach(hall, "booking_rules", rules)  # None: the hall has no rules of its own
    if rules is not None:
        rows.attach(rules, "hall", hall)
    return slot
