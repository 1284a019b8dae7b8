"""Places held after a cancel or a move, and their return to sale: each freed place is offered first to the
next citizen on that day's waiting list, and held for them a while."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import availability
from appointments.models import HoldReason, PlaceHold, Slot, WaitlistEntry, WaitlistState
from notifications import services as notify
from notifications.models import Kind


def give_back(slot_id: int, persons: int, held_back: bool) -> None:
    if held_back:
        Slot.objects.filter(pk=slot_id).update(taken_held_back=F("taken_held_back") - persons)
    else:
        Slot.objects.filter(pk=slot_id).update(taken=F("taken") - persons)


def release_due_places(*, now: dt.datetime | None = None, slot: Slot | None = None) -> int:
    """Return to sale the places whose hold has ended, offering each freed place to the first citizen on
    that day's waiting list first. Returns the number of places put back on sale."""
    now = now or timezone.now()
    released = 0
    with transaction.atomic():
        # Lock the holds only: PostgreSQL refuses FOR UPDATE on the nullable side of the outer join.
        due = PlaceHold.objects.select_for_update(skip_locked=True, of=("self",)).select_related(
            "slot", "waitlist_entry"
        )
        due = due.filter(release_at__lte=now)
        if slot is not None:
            due = due.filter(slot=slot)
        for hold in due:
            if hold.waitlist_entry_id:
                WaitlistEntry.objects.filter(pk=hold.waitlist_entry_id, state=WaitlistState.OFFERED).update(
                    state=WaitlistState.EXPIRED
                )
            hold.delete()
            persons = hold.persons
            if not hold.held_back:
                persons -= _offer_to_waitlist(hold.slot, persons, now)
            if persons:
                give_back(hold.slot_id, persons, hold.held_back)
                released += persons
    return released


WAITLIST_OFFER_TEXT = _(
    "[%(hall)s] Place held for you until %(until)s: %(service)s %(date)s %(start)s. Book: %(url)s"
)


def _offer_to_waitlist(slot: Slot, places: int, now: dt.datetime) -> int:
    """Offer freed places, one each, to the first waiting citizens. Returns the places offered."""
    rules = availability.rules_for(slot.hall)
    if slot.closed or not availability.bookable_slot(rules, slot, now):
        return 0
    entries = list(
        WaitlistEntry.objects.select_for_update(skip_locked=True)
        .filter(service=slot.service_id, date=slot.date, state=WaitlistState.WAITING)
        .order_by("created_at", "id")[:places]
    )
    until = now + dt.timedelta(minutes=rules.waitlist_hold_minutes)
    for entry in entries:
        entry.state, entry.offered_slot = WaitlistState.OFFERED, slot
        entry.save(update_fields=["state", "offered_slot"])
        PlaceHold.objects.create(
            slot=slot, persons=1, reason=HoldReason.OFFER, release_at=until, waitlist_entry=entry
        )
        notify.record(
            hall=slot.hall,
            kind=Kind.WAITLIST_OFFER,
            subject_type="waitlist",
            subject_id=entry.pk,
            key=str(slot.pk),
            phone=entry.phone,
            language=entry.language,
            render=lambda entry=entry: (
                WAITLIST_OFFER_TEXT
                % {
                    "hall": slot.hall.name,
                    "service": slot.service.name,
                    "date": slot.date.isoformat(),
                    "start": timezone.localtime(slot.start, slot.hall.tz).strftime("%H:%M"),
                    "until": timezone.localtime(until, slot.hall.tz).strftime("%H:%M"),
                    "url": settings.SITE_URL + reverse("appointments:waitlist_offer", args=[entry.token]),
                }
            ),
        )
    return len(entries)
