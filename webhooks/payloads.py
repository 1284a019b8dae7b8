"""What a webhook's body says: the event, when, which hall, and the booking or ticket as codes, numbers,
states and times. Personal data only as the subscriber allows (`Subscriber.fields`): the name masked unless
the full name was allowed, the mobile always masked, and never the ID number, which no payload carries.
"""

import zoneinfo

from appointments.models import Booking
from hall.privacy import mask_name, mask_phone
from queueing.models import Ticket
from webhooks.models import PersonalField


def build(event: str, hall, at, data: dict, fields: list[str], *, name: str, phone) -> dict:
    """The body for one subscriber: `data` (a payload's first half) with the personal data it may have."""
    subject = next(iter(data))
    return {
        "event": event,
        "occurred_at": iso(at, hall),
        "hall": hall.slug,
        subject: {**data[subject], **personal(fields, name, phone)},
    }


def personal(fields: list[str], name: str, phone) -> dict:
    data = {}
    if PersonalField.NAME in fields:
        data["name"] = name
    elif PersonalField.NAME_MASKED in fields:
        data["name"] = mask_name(name)
    if PersonalField.MOBILE_MASKED in fields:
        data["mobile"] = mask_phone(phone) if phone else ""
    return data


def iso(moment, hall):
    """In the hall's own time zone, with its offset (2026-11-24T09:00:00+08:00)."""
    return moment.astimezone(zoneinfo.ZoneInfo(hall.timezone)).isoformat() if moment else None


def booking_payload(booking: Booking) -> tuple[dict, dict]:
    """(what every subscriber gets, the personal data some may get)."""
    data = {
        "code": booking.code,
        "state": booking.state,
        "service": booking.service.code,
        "date": booking.slot.date.isoformat(),
        "start": iso(booking.slot.start, booking.hall),
        "end": iso(booking.slot.end, booking.hall),
        "persons": booking.persons,
        "channel": booking.channel,
    }
    return {"booking": data}, {"name": booking.name, "phone": booking.phone}


def ticket_payload(ticket: Ticket) -> tuple[dict, dict]:
    data = {
        "number": ticket.number,
        "date": ticket.date.isoformat(),
        "state": ticket.state,
        "service": ticket.service.code,
        "counter": ticket.counter.number if ticket.counter_id else None,
        "calls": ticket.calls,
        "outcome": ticket.outcome,
        "booking": ticket.booking.code if ticket.booking_id else None,
    }
    return {"ticket": data}, {"name": "", "phone": ticket.phone}
