"""A supervisor looks a person up by ID number to see and lift no-show blocks (appointments/people_views.py).

Only the keyed hash of the number is compared; the page shows the masked number and masked mobiles. Blocks
and per-person limits follow the mobile a booker proved (appointments/limits.py), so the page lists each
mobile this ID number booked with at the hall, with its no-shows and block. The lift form names the
person by a signed, short-lived token of (hall, ID hash, mobile hash), so that neither the ID number nor a
hash travels through the page.
"""

import datetime as dt
from dataclasses import dataclass

from django.core import signing

from appointments import limits
from appointments.availability import rules_for
from appointments.models import Booking, BookingState
from hall.privacy import hash_id_number, mask_id_number, mask_phone

LIFT_SALT = "appointments.people.lift"
LIFT_TOKEN_SECONDS = 30 * 60
RECENT = 20


@dataclass(frozen=True)
class MobileRecord:
    phone_masked: str
    bookings: int
    no_shows: int
    blocked_until: dt.datetime | None
    token: str


@dataclass(frozen=True)
class PersonRecord:
    id_masked: str
    mobiles: list[MobileRecord]
    recent: list[Booking]


def lift_token(hall, id_hash: str, phone_hash: str) -> str:
    return signing.dumps([hall.pk, id_hash, phone_hash], salt=LIFT_SALT)


def read_lift_token(token: str, hall) -> tuple[str, str] | None:
    """(ID hash, mobile hash) named by a token this hall's lookup page made in the last half hour."""
    try:
        hall_id, id_hash, phone_hash = signing.loads(token or "", salt=LIFT_SALT, max_age=LIFT_TOKEN_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return (id_hash, phone_hash) if hall_id == hall.pk else None


def look_up(*, hall, id_number: str, now: dt.datetime) -> PersonRecord:
    """`id_number` has been validated (GB 11643)."""
    return look_up_hash(
        hall=hall, id_hash=hash_id_number(id_number), id_masked=mask_id_number(id_number), now=now
    )


def look_up_hash(*, hall, id_hash: str, now: dt.datetime, id_masked: str = "") -> PersonRecord:
    rules = rules_for(hall)
    bookings = Booking.objects.filter(hall=hall, id_hash=id_hash).select_related("service", "slot")
    mobiles = []
    for phone_hash in sorted(set(bookings.exclude(phone_hash="").values_list("phone_hash", flat=True))):
        made = Booking.objects.made_with(phone_hash).filter(hall=hall)
        latest = made.exclude(phone="").order_by("-created_at").first()
        mobiles.append(
            MobileRecord(
                phone_masked=mask_phone(latest.phone) if latest else "—",
                bookings=made.count(),
                no_shows=made.filter(state=BookingState.NO_SHOW).count(),
                blocked_until=limits.blocked_until(rules, id_hash, phone_hash, now),
                token=lift_token(hall, id_hash, phone_hash),
            )
        )
    recent = list(bookings.order_by("-slot__start")[:RECENT])
    return PersonRecord(id_masked or next((b.id_masked for b in recent if b.id_masked), ""), mobiles, recent)
