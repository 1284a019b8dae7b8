"""The supervisor's audit log: one hall's staff actions, read from where each is already recorded.

Sign-ins, windows opened and closed, reveals of personal data and exports are AuditEntry rows
(hall.audit); booking and ticket changes made by a signed-in staff member are their BookingEvent and
TicketEvent rows, lifted no-show blocks their BlockLift rows, and (where those apps are installed) home
visits, postal items and pickups their event rows. One UNION query, newest first, reads
them together so that the page can be paginated in the database (docs/decisions.md).
"""

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from appointments.models import BlockLift, BookingEvent, BookingState
from hall.models import AuditAction, AuditEntry, Counter, Hall, Staff
from queueing.models import TicketEvent, TicketState

BOOKING, TICKET, BLOCK_LIFT = "booking", "ticket", "block_lift"
HOME_VISIT, POSTAL_ITEM, PICKUP = "home_visit", "postal_item", "pickup"
ESCALATION = "escalation"
ACTIONS = {
    **dict(AuditAction.choices),
    BOOKING: _("booking changed"),
    TICKET: _("ticket changed"),
    BLOCK_LIFT: _("no-show block lifted"),
}
STATES = {BOOKING: dict(BookingState.choices), TICKET: dict(TicketState.choices)}
COLUMNS = ("at", "actor_id", "action", "object_type", "object_ref", "from_state", "to_state", "note", "ip")


@dataclass(frozen=True)
class Filters:
    first: dt.date
    last: dt.date
    actor_id: int | None = None
    action: str = ""


@dataclass(frozen=True)
class Line:
    at: dt.datetime
    actor: object  # a user, or None when the account is gone or was never known
    action: str
    action_label: str
    object_label: str
    change: str
    note: str
    ip: str | None


def _text(value: str = ""):
    return Value(value, output_field=models.CharField())


def _no_ip():
    return Value(None, output_field=models.GenericIPAddressField())


def _entries(hall: Hall):
    return AuditEntry.objects.filter(hall=hall).values_list(
        "at",
        "actor_id",
        "action",
        "object_type",
        F("object_id"),
        _text(),
        _text(),
        "detail",
        "ip",
    )


def _booking_events(hall: Hall):
    return BookingEvent.objects.filter(booking__hall=hall, actor__isnull=False).values_list(
        "at",
        "actor_id",
        _text(BOOKING),
        _text("appointments.booking"),
        F("booking__code"),
        "from_state",
        "to_state",
        "note",
        "ip",
    )


def _ticket_events(hall: Hall):
    return TicketEvent.objects.filter(ticket__hall=hall, actor__isnull=False).values_list(
        "at",
        "actor_id",
        _text(TICKET),
        _text("queueing.ticket"),
        F("ticket__number"),
        "from_state",
        "to_state",
        "note",
        _no_ip(),
    )


def _block_lifts(hall: Hall):
    return BlockLift.objects.filter(hall=hall).values_list(
        "at",
        "lifted_by_id",
        _text(BLOCK_LIFT),
        _text("appointments.blocklift"),
        Cast("id", models.CharField()),
        _text(),
        _text(),
        "reason",
        _no_ip(),
    )


def _state_changes(events, action: str, object_type: str, ref: str):
    """Staff changes from an app's event table whose rows name their object's hall as `<object>__hall`."""

    def build(hall: Hall):
        return events.objects.filter(
            **{f"{ref.split('__')[0]}__hall": hall, "actor__isnull": False}
        ).values_list(
            "at",
            "actor_id",
            _text(action),
            _text(object_type),
            Cast(ref, models.CharField()),
            "from_state",
            "to_state",
            "note",
            _no_ip(),
        )

    return build


SOURCES = {
    "entries": (_entries, "actor_id", lambda action: action in AuditAction.values),
    "bookings": (_booking_events, "actor_id", lambda action: action == BOOKING),
    "tickets": (_ticket_events, "actor_id", lambda action: action == TICKET),
    "lifts": (_block_lifts, "lifted_by_id", lambda action: action == BLOCK_LIFT),
}

# Apps that may be left out of a deployment add their staff changes only when installed.
if apps.is_installed("homevisits"):
    from homevisits.models import HomeVisitEvent, VisitState

    ACTIONS[HOME_VISIT] = _("home visit changed")
    STATES[HOME_VISIT] = dict(VisitState.choices)
    SOURCES["home_visits"] = (
        _state_changes(HomeVisitEvent, HOME_VISIT, "homevisits.homevisit", "visit__id"),
        "actor_id",
        lambda action: action == HOME_VISIT,
    )
if apps.is_installed("postal"):
    from postal.models import PickupEvent, PickupState, PostalEvent, PostalState

    ACTIONS[POSTAL_ITEM] = _("postal item changed")
    ACTIONS[PICKUP] = _("pickup changed")
    STATES[POSTAL_ITEM], STATES[PICKUP] = dict(PostalState.choices), dict(PickupState.choices)
    SOURCES["postal_items"] = (
        _state_changes(PostalEvent, POSTAL_ITEM, "postal.postalitem", "item__reference"),
        "actor_id",
        lambda action: action == POSTAL_ITEM,
    )
    SOURCES["pickups"] = (
        _state_changes(PickupEvent, PICKUP, "postal.pickup", "pickup__code"),
        "actor_id",
        lambda action: action == PICKUP,
    )
if apps.is_installed("consultations"):
    from consultations.models import EscalationEvent, EscalationState

    ACTIONS[ESCALATION] = _("escalation changed")
    STATES[ESCALATION] = dict(EscalationState.choices)
    SOURCES["escalations"] = (
        _state_changes(EscalationEvent, ESCALATION, "consultations.escalation", "escalation__id"),
        "actor_id",
        lambda action: action == ESCALATION,
    )


def lines(hall: Hall, filters: Filters, start: dt.datetime, end: dt.datetime):
    """The hall's audit rows between `start` and `end` matching the filters, newest first, as tuples in
    COLUMNS order (a lazy UNION query: slice it, or give it to a Paginator)."""
    parts = []
    for build, actor_field, wanted in SOURCES.values():
        if filters.action and not wanted(filters.action):
            continue
        part = build(hall).filter(at__gte=start, at__lt=end)
        if filters.actor_id:
            part = part.filter(**{actor_field: filters.actor_id})
        if build is _entries and filters.action:
            part = part.filter(action=filters.action)
        parts.append(part.order_by())
    if not parts:  # an action no source records
        return AuditEntry.objects.none()
    first, *rest = parts
    return first.union(*rest, all=True).order_by("-at") if rest else first.order_by("-at")


def present(rows, hall: Hall) -> list[Line]:
    """A page of rows with the staff members and windows they name (two queries whatever the page size)."""
    rows = list(rows)
    users = get_user_model()._default_manager.in_bulk({row[1] for row in rows if row[1]})
    counter_ids = [int(row[4]) for row in rows if row[3] == "hall.counter" and row[4].isdigit()]
    counters = Counter.objects.filter(hall=hall).in_bulk(counter_ids)
    return [_line(row, users, counters) for row in rows]


def _line(row, users, counters) -> Line:
    at, actor_id, action, object_type, object_ref, from_state, to_state, note, ip = row
    if object_type == "hall.counter" and object_ref.isdigit() and int(object_ref) in counters:
        object_label = str(counters[int(object_ref)])
    else:
        object_label = object_ref
    change = ""
    if to_state:
        labels = STATES.get(action, {})
        change = f"{labels.get(from_state, from_state) or '—'} → {labels.get(to_state, to_state)}"
    return Line(
        at=at,
        actor=users.get(actor_id),
        action=action,
        action_label=str(ACTIONS.get(action, action)),
        object_label=object_label,
        change=change,
        note=note,
        ip=ip,
    )


def staff_choices(hall: Hall) -> list[tuple[int, str]]:
    staff = Staff.objects.filter(hall=hall).select_related("user").order_by("user__username")
    return [(s.user_id, s.user.get_full_name() or s.user.get_username()) for s in staff]
