"""Ratings and closed follow-up cases as events for other systems: the webhooks' subscribers and the
province's 好差评 platform (docs/integrations.md). `webhooks` is below this app, so this module hands it the
event through `webhooks.outbox.publish`, in the transaction of the rating or the case's closing.

The payload holds no personal data: codes, numbers, the score, and the comment with long digit runs
(phone or ID numbers a citizen may have typed) replaced by *** as in the comment book.
"""

import datetime as dt

from reports.models import FollowUp, Rating
from reports.ratings import redact
from webhooks import outbox
from webhooks.models import EventType
from webhooks.payloads import iso


def _visit(rating: Rating) -> dict:
    ticket = rating.ticket
    return {
        "service": rating.service.code,
        "counter": rating.counter.number if rating.counter_id else None,
        "ticket": f"{rating.date:%Y%m%d}-{ticket.number}",
        "booking": ticket.booking.code if ticket.booking_id else None,
        "date": rating.date.isoformat(),
        "score": rating.score,
        "comment": redact(rating.comment),
        "rated_at": iso(rating.created_at, rating.hall),
    }


def rating_given(rating: Rating, case: FollowUp | None, *, at: dt.datetime) -> list[int]:
    if not outbox.any_subscriber():  # the rating's visit is read only for someone to tell
        return []
    data = {
        "record": f"R{rating.pk}",
        **_visit(rating),
        "case": case.number if case else None,
        "call_back_by": case.call_back_by.isoformat() if case else None,
        "resolve_by": case.resolve_by.isoformat() if case else None,
    }
    return outbox.publish(rating.hall, EventType.RATING_GIVEN, {"rating": data}, at=at)


def follow_up_closed(case: FollowUp, result: str, *, at: dt.datetime) -> list[int]:
    if not outbox.any_subscriber():
        return []
    rating = case.rating
    data = {
        "record": f"C{case.pk}",
        "rating_record": f"R{rating.pk}",
        **_visit(rating),
        "case": case.number,
        "call_back_by": case.call_back_by.isoformat(),
        "resolve_by": case.resolve_by.isoformat(),
        "called_back_at": iso(case.called_back_at, rating.hall),
        "resolved_at": iso(case.resolved_at, rating.hall),
        "result": redact(result),
    }
    return outbox.publish(rating.hall, EventType.FOLLOW_UP_CLOSED, {"follow_up": data}, at=at)
