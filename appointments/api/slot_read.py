"""The one read of a booking through the API: the slot with its hall, its service and the hall's booking
rules, narrow (not the guides' and notices' long translated texts), in plain SQL. Composing this three-join
select with the ORM cost as much CPU as all the booking's other statements; the rows become model instances
as the ORM makes them (`Model.from_db`, the database's own value converters), the fields not read deferred,
the related instances cached on each other."""

from django.db import connection

from appointments.models import BookingRules, Slot
from hall.models import Hall, Service

_NAMES = {"name", "name_zh_hans", "name_en"}  # modeltranslation: the active language's, and the fallback
_PARTS = (  # (model, alias, the fields read; None: all)
    (Slot, "s", None),
    (Hall, "h", {"id", "slug", *_NAMES, "timezone", "consultation_phone", "supervision_phone"}),
    (Service, "v", {"id", "hall_id", "code", *_NAMES, "active", "bookable"}),
    (BookingRules, "r", None),
)
_compiled: dict[str, tuple] = {}


def _compile() -> tuple:
    """The statement and, per model, the fields read in their model's order with their converters."""
    quote, parts, columns = connection.ops.quote_name, [], []
    for model, alias, wanted in _PARTS:
        fields = [f for f in model._meta.concrete_fields if wanted is None or f.attname in wanted]
        converters = []
        for field in fields:
            col = field.get_col(alias)
            functions = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            converters.append((functions, col))
            columns.append(f"{alias}.{quote(field.column)}")
        parts.append((model, [f.attname for f in fields], converters))
    tables = {model: quote(model._meta.db_table) for model, _alias, _wanted in _PARTS}
    sql = (
        f"SELECT {', '.join(columns)} FROM {tables[Slot]} s "  # noqa: S608 - names only, the id is a parameter
        f"JOIN {tables[Hall]} h ON h.id = s.hall_id JOIN {tables[Service]} v ON v.id = s.service_id "
        f"LEFT JOIN {tables[BookingRules]} r ON r.hall_id = h.id WHERE s.id = %s"
    )
    return sql, parts


def slot_to_book(slot_id: int) -> Slot | None:
    """The slot with this id, its hall (with the hall's rules, or none) and its service; None if there is
    no such slot."""
    if connection.vendor not in _compiled:
        _compiled[connection.vendor] = _compile()
    sql, parts = _compiled[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(sql, [slot_id])
        row = cursor.fetchone()
    if row is None:
        return None
    made, values = [], iter(row)
    for model, names, converters in parts:
        converted = []
        for functions, col in converters:
            value = next(values)
            for function in functions:
                value = function(value, col, connection)
            converted.append(value)
        made.append(None if converted[0] is None else model.from_db(connection.alias, names, converted))
    slot, hall, service, rules = made
    slot.hall, slot.service, service.hall = hall, service, hall
    Hall.booking_rules.related.set_cached_value(hall, rules)  # None: the hall has no rules of its own
    if rules is not None:
        rules.hall = hall
    return slot
