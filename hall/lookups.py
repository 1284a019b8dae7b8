"""`in` lookups on integer columns that leave out numbers the column cannot hold.

Django answers `pk=<a number beyond the column>` with "no rows" (its `IntegerFieldOverflow` lookups), but
not `pk__in=[...]`: that number reaches the driver, and SQLite raises OverflowError while PostgreSQL raises
an out-of-range error — a 500 from any form or API list that names rows (ModelMultipleChoiceField, the
missing materials of a ticket). Here such a number matches nothing, as it does for `exact`, so a form says
"not one of the available choices" and a list finds no row, on every database and at every call site.
"""

from django.core.exceptions import FieldError
from django.db.models import ForeignObject, IntegerField
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


def _column_range(field, connection) -> tuple[int | None, int | None] | None:
    try:
        target = field.target_field if field.is_relation else field
        return connection.ops.integer_field_range(target.get_internal_type())
    except (KeyError, FieldError):  # not an integer column, or a key of several columns
        return None


def _fits(value, low, high) -> bool:
    if not isinstance(value, int):
        return True  # not ours to judge: the driver or the field's own preparation refuses it
    return (low is None or value >= low) and (high is None or value <= high)


class _WithinColumnRange:
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            bounds = _column_range(self.lhs.output_field, connection)
            if bounds is not None:
                self.rhs = [value for value in self.rhs if _fits(value, *bounds)]
        return super().process_rhs(compiler, connection)  # an empty list matches nothing


@IntegerField.register_lookup
class IntegerFieldIn(_WithinColumnRange, In):
    pass


@ForeignObject.register_lookup
class RelatedIntegerIn(_WithinColumnRange, RelatedIn):
    pass
