"""Ratings (好差评), their follow-up cases and the comment book; each transition checks the state first."""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hall.errors import DomainError
from queueing.models import Ticket, TicketState
from reports import publishing, workdays
from reports.models import CaseState, FollowUp, FollowUpNote, Rating, Score, WrittenComment
from reports.report import settings_for

log = logging.getLogger(__name__)

COMMENT_MAX = 500

NOT_SERVED = _("You can rate the service once your ticket is finished at the window.")
ALREADY_RATED = _("This ticket has already been rated. Thank you.")
BAD_SCORE = _("Choose one of the five ratings.")
COMMENT_TOO_LONG = _("Write at most %(max)s characters.")
CASE_WRONG_STATE = _("This case cannot do that now (it is %(state)s).")
NOTE_NEEDED = _("Write a note: what was said or done.")
NOTHING_TO_PUBLISH = _("A rating without a comment cannot be shown in the comment book.")

# The next state of a follow-up case, and the field that records when it was reached.
CASE_STEPS = {
    CaseState.OPEN: (CaseState.CALLED_BACK, "called_back_at"),
    CaseState.CALLED_BACK: (CaseState.RESOLVED, "resolved_at"),
    CaseState.RESOLVED: (CaseState.CLOSED, "closed_at"),
}


class RatingError(DomainError):
    """A refused rating or follow-up change, with a message to show as it is."""


def rate_ticket(ticket: Ticket, score: int, comment: str = "", *, now: dt.datetime | None = None) -> Rating:
    """Record the citizen's rating of a finished ticket, once; a poor one opens a follow-up case."""
    now = now or timezone.now()
    comment = (comment or "").strip()
    if score not in Score.values:
        raise RatingError("invalid", BAD_SCORE)
    if len(comment) > COMMENT_MAX:
        raise RatingError("invalid", COMMENT_TOO_LONG % {"max": COMMENT_MAX})
    if ticket.state != TicketState.DONE:
        raise RatingError("not_served", NOT_SERVED)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                ticket=ticket,
                hall_id=ticket.hall_id,
                service_id=ticket.service_id,
                counter_id=ticket.counter_id,
                staff_id=ticket.owner_id,
                date=ticket.date,
                score=score,
                comment=comment,
                created_at=now,
            )
            case = open_follow_up(rating=rating, now=now) if rating.needs_follow_up else None
            publishing.rating_given(rating, case, at=now)
    except IntegrityError:
        raise RatingError("already_rated", ALREADY_RATED) from None
    log.info("ticket %s rated %s", ticket.pk, score)
    return rating


def open_follow_up(*, rating: Rating, now: dt.datetime) -> FollowUp:
    """The new rating's case, with the deadlines the hall set (ReportSettings), in its working days."""
    hall = rating.hall
    rules = settings_for(hall)
    schedule = hall.schedule()
    today = hall.local_date(now)
    return FollowUp.objects.create(
        rating=rating,
        hall=hall,
        opened_at=now,
        call_back_by=workdays.add_working_days(schedule, today, rules.call_back_working_days),
        resolve_by=workdays.add_working_days(schedule, today, rules.resolve_working_days),
    )


def advance_case(*, case: FollowUp, user, note: str, now: dt.datetime | None = None) -> FollowUp:
    """Open → called back → resolved → closed, each step with a note of what was said or done."""
    now = now or timezone.now()
    note = (note or "").strip()
    if not note:
        raise RatingError("invalid", NOTE_NEEDED)
    with transaction.atomic():
        locked = FollowUp.objects.select_for_update().get(pk=case.pk)
        if locked.state not in CASE_STEPS:
            raise RatingError("wrong_state", CASE_WRONG_STATE % {"state": locked.get_state_display()})
        from_state = locked.state
        locked.state, stamp = CASE_STEPS[from_state]
        setattr(locked, stamp, now)
        locked.save(update_fields=["state", stamp])
        FollowUpNote.objects.create(
            case=locked, author=user, from_state=from_state, to_state=locked.state, text=note, at=now
        )
        if locked.state == CaseState.CLOSED:
            publishing.follow_up_closed(locked, note, at=now)
    return locked


def add_case_note(*, case: FollowUp, user, note: str, now: dt.datetime | None = None) -> FollowUpNote:
    now = now or timezone.now()
    note = (note or "").strip()
    if not note:
        raise RatingError("invalid", NOTE_NEEDED)
    if case.state == CaseState.CLOSED:
        raise RatingError("wrong_state", CASE_WRONG_STATE % {"state": case.get_state_display()})
    return FollowUpNote.objects.create(case=case, author=user, text=note, at=now)


def publish_comment(
    *, rating: Rating | WrittenComment, user, published: bool, reply: str = "", now: dt.datetime | None = None
) -> Rating | WrittenComment:
    """Show (or hide) a comment in the hall's public comment book, with the hall's reply if any: a rating's
    comment, or one written in the book without a ticket (a WrittenComment)."""
    now = now or timezone.now()
    if published and isinstance(rating, Rating) and not rating.comment:
        raise RatingError("invalid", NOTHING_TO_PUBLISH)
    rating.published = published
    rating.published_at = now if published else None
    rating.published_by = user if published else None
    rating.reply = (reply or "").strip()[:COMMENT_MAX]
    rating.save(update_fields=["published", "published_at", "published_by", "reply"])
    return rating


def write_comment(*, hall, text: str, phone=None, now: dt.datetime) -> WrittenComment:
    """A comment in the comment book without a ticket (the form strips and limits the text)."""
    written = WrittenComment.objects.create(hall=hall, text=text, phone=phone or "", created_at=now)
    log.info("hall %s: comment %s written without a ticket", hall.pk, written.pk)
    return written
