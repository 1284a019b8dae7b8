"""The end of the hall's day for video appointments (网上户籍室): a booking checked in to the waiting room on
a past day whose call was never completed ends `unfinished`, as a hall ticket left open does
(queueing/dayend.py, docs/decisions.md "The hall's day ends"): no longer active, so the citizen may book
again, and not a no-show. Run nightly from settings.DAY_END_TASKS."""

import datetime as dt

from django.utils import timezone

from appointments import lifecycle
from appointments.models import Booking, BookingState, Mode

NOTE = "video call not completed when the day ended"


def end_past_days(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    # Few rows whatever the history: only bookings still checked in (today's waiting room and any left over).
    checked_in = Booking.objects.filter(mode=Mode.VIDEO, state=BookingState.CHECKED_IN).select_related(
        "hall", "slot"
    )
    stale = {b.pk: NOTE for b in checked_in if b.slot.date < b.hall.local_date(now)}
    return {"bookings": len(lifecycle.end_unfinished(stale))}
