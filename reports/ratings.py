"""Reading ratings: the monthly ranking of counters and the public comment book (意见簿)."""

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Avg, Count

from hall.models import Hall
from reports.models import Rating, WrittenComment

# Long digit runs in a comment are phone or ID numbers; the comment book never shows them.
DIGITS = re.compile(r"\d[\d\s-]{5,}\d[\dXx]?")


def redact(text: str) -> str:
    return DIGITS.sub("***", text)


@dataclass(frozen=True)
class Ranked:
    place: int
    label: str
    count: int
    average: float


def counter_ranking(hall: Hall, first: dt.date, last: dt.date) -> list[Ranked]:
    """Counters by average rating (best first; more ratings first on a tie), with the count of ratings."""
    labels = {c.pk: str(c) for c in hall.counters.all()}
    rows = (
        Rating.objects.for_period(hall, first, last)
        .filter(counter__isnull=False)
        .values("counter_id")
        .annotate(count=Count("id"), average=Avg("score"))
        .order_by("-average", "-count", "counter_id")
    )
    return [
        Ranked(place=n, label=labels.get(r["counter_id"], "?"), count=r["count"], average=r["average"])
        for n, r in enumerate(rows, start=1)
    ]


@dataclass(frozen=True)
class Comment:
    date: dt.date
    score: int | None  # None: written in the book without a ticket
    score_label: str
    service: str
    text: str
    reply: str
    written_at: dt.datetime


def comment_book(hall: Hall, limit: int = 100) -> list[Comment]:
    """Published comments, newest first, with no personal data: no name, number, ticket or staff. Those of
    ratings and those written in the book without a ticket, together."""
    ratings = Rating.objects.filter(hall=hall).published().select_related("service")[:limit]
    written = WrittenComment.objects.filter(hall=hall, published=True)[:limit]
    comments = [
        Comment(
            date=r.date,
            score=r.score,
            score_label=r.get_score_display(),
            service=r.service.name,
            text=redact(r.comment),
            reply=redact(r.reply),
            written_at=r.created_at,
        )
        for r in ratings
    ] + [
        Comment(
            date=hall.local_date(w.created_at),
            score=None,
            score_label="",
            service="",
            text=redact(w.text),
            reply=redact(w.reply),
            written_at=w.created_at,
        )
        for w in written
    ]
    return sorted(comments, key=lambda c: c.written_at, reverse=True)[:limit]
