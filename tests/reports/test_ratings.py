import datetime as dt

import pytest
from django.utils import translation

from hall.models import Closure, ExtraSession
from queueing.models import TicketKind, TicketState
from reports import ratings
from reports.models import CaseState, FollowUp, FollowUpNote, Rating, Score
from reports.services import (
    ALREADY_RATED,
    NOT_SERVED,
    RatingError,
    add_case_note,
    advance_case,
    publish_comment,
    rate_ticket,
)
from tests.reports.day import DAY, at, build_day, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    return build_day()


def test_rating_copies_the_ticket_and_opens_no_case_when_good(day):
    rating = Rating.objects.get(ticket=day.tickets["A001"])

    assert (rating.hall, rating.service, rating.counter, rating.staff, rating.date, rating.score) == (
        day.hall,
        day.a,
        day.c1,
        day.clerk1,
        DAY,
        5,
    )
    assert not FollowUp.objects.filter(rating=rating).exists()


def test_poor_rating_opens_a_case_with_working_day_deadlines(day):
    case = FollowUp.objects.get(rating__ticket=day.tickets["B002"])

    # Rated on Tuesday 24 November: call back by Wednesday, resolve within 15 working days.
    assert (case.state, case.call_back_by, case.resolve_by) == (
        CaseState.OPEN,
        dt.date(2026, 11, 25),
        dt.date(2026, 12, 15),
    )


def test_a_case_opened_early_in_the_morning_is_numbered_by_the_halls_date(day):
    """07:30 in Beijing is still the day before in UTC: the number carries the hall's date, as the
    deadlines do."""
    rating = rate_ticket(day.tickets["B001"], 1, "", now=at(7, 30, DAY + dt.timedelta(days=1)))

    case = FollowUp.objects.get(pk=rating.follow_up.pk)
    assert case.number == f"HC20261125{case.pk:05d}"
    assert case.call_back_by == dt.date(2026, 11, 26)


def test_deadlines_follow_the_halls_closures_and_extra_sessions(day):
    Closure.objects.create(hall=day.hall, date=dt.date(2026, 11, 25), reason="training")
    ExtraSession.objects.create(
        hall=day.hall, date=dt.date(2026, 11, 29), start=dt.time(9), end=dt.time(12), reason="weekend duty"
    )
    ticket = day.tickets["B001"]

    rating = rate_ticket(ticket, 1, "", now=at(16, 0))

    assert rating.follow_up.call_back_by == dt.date(2026, 11, 26)
    assert rating.follow_up.resolve_by == dt.date(2026, 12, 15)  # −1 closed day, +1 Sunday duty


def test_a_ticket_is_rated_once(day):
    with pytest.raises(RatingError) as refused:
        rate_ticket(day.tickets["A001"], 1, "again")

    assert (refused.value.code, refused.value.message) == ("already_rated", ALREADY_RATED)
    assert Rating.objects.get(ticket=day.tickets["A001"]).score == 5


@pytest.mark.parametrize("number", ["A003", "A004", "B003"])  # no-show, transferred, cancelled
def test_only_finished_tickets_are_rated(day, number):
    with pytest.raises(RatingError) as refused:
        rate_ticket(day.tickets[number], 5, "")

    assert refused.value.message == NOT_SERVED


def test_rate_page_records_a_rating_once(client, day):
    ticket = day.tickets["A002"]

    response = client.post(
        f"/t/{ticket.token}/rate/", {"score": "4", "comment": "材料清单很清楚"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    again = client.post(f"/t/{ticket.token}/rate/", {"score": "1"}, HTTP_ACCEPT_LANGUAGE="en")

    assert (response.status_code, response.url) == (302, f"/t/{ticket.token}/rate/")
    assert again.status_code == 200
    assert "Thank you for your rating" in again.content.decode()
    assert list(Rating.objects.filter(ticket=ticket).values_list("score", "comment")) == [
        (4, "材料清单很清楚")
    ]


def test_rate_page_asks_for_a_score(client, day):
    response = client.post(
        f"/t/{day.tickets['A002'].token}/rate/", {"comment": "x"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("Choose how satisfied you are.") == 2  # in the summary and beside the field
    assert not Rating.objects.filter(ticket=day.tickets["A002"]).exists()


def test_rate_page_of_a_transferred_ticket_rates_the_ticket_it_became(client, day):
    Rating.objects.filter(ticket=day.tickets["B004"]).delete()

    client.post(f"/t/{day.tickets['A004'].token}/rate/", {"score": "3"})

    assert Rating.objects.get(score=3).ticket == day.tickets["B004"]


def test_rate_page_of_an_unknown_token_is_not_found(client, day):
    assert client.get("/t/not-a-token/rate/").status_code == 404


def test_case_moves_through_its_states_with_notes(day):
    case = FollowUp.objects.get(rating__ticket=day.tickets["B002"])

    for text in ("called, apologised", "window rules explained", "done"):
        case = advance_case(case=case, user=day.supervisor, note=text, now=at(11, 0))
    add_case_note_refused = pytest.raises(RatingError)
    with add_case_note_refused:
        add_case_note(case=case, user=day.supervisor, note="late note")

    assert (case.state, case.called_back_at, case.closed_at) == (CaseState.CLOSED, at(11, 0), at(11, 0))
    assert list(FollowUpNote.objects.filter(case=case).values_list("from_state", "to_state", "text")) == [
        ("open", "called_back", "called, apologised"),
        ("called_back", "resolved", "window rules explained"),
        ("resolved", "closed", "done"),
    ]


def test_supervisor_advances_a_case_in_the_page(client, day):
    case = FollowUp.objects.get(rating__ticket=day.tickets["B002"])
    client.force_login(day.supervisor)

    response = client.post(f"/h/north/reports/follow-ups/{case.pk}/", {"note": "called", "action": "advance"})
    empty = client.post(
        f"/h/north/reports/follow-ups/{case.pk}/",
        {"note": "", "action": "advance"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    case.refresh_from_db()
    assert (response.status_code, case.state) == (302, CaseState.CALLED_BACK)
    assert "Write a note: what was said or done." in empty.content.decode()


def test_clerk_cannot_open_a_case(client, day):
    case = FollowUp.objects.get(rating__ticket=day.tickets["B002"])
    client.force_login(day.clerk2)

    assert client.get(f"/h/north/reports/follow-ups/{case.pk}/").status_code == 403


def test_monthly_ranking_of_counters(day):
    make_ticket(
        day.hall,
        day.b,
        "B009",
        TicketKind.WALK_IN,
        TicketState.DONE,
        at(11, 0),
        at(11, 1),
        None,
        at(11, 5),
        counter=day.c2,
    )
    rate_ticket(day.hall.tickets.get(number="B009", date=DAY), 5, "")

    ranked = ratings.counter_ranking(day.hall, dt.date(2026, 11, 1), dt.date(2026, 11, 30))

    # Counter 1: one 5; counter 2: 2, 4 and 5 → 11/3.
    assert [(r.place, r.label, r.count, round(r.average, 4)) for r in ranked] == [
        (1, str(day.c1), 1, 5.0),
        (2, str(day.c2), 3, round(11 / 3, 4)),
    ]


def test_comment_book_shows_only_published_comments_without_personal_data(client, day):
    good = Rating.objects.get(ticket=day.tickets["A001"])
    poor = Rating.objects.get(ticket=day.tickets["B002"])
    poor.comment = "等了半小时，请回电 138 0013 8000"
    poor.save()
    publish_comment(rating=good, user=day.supervisor, published=True, reply="谢谢您的肯定")
    publish_comment(rating=poor, user=day.supervisor, published=True)

    response = client.get("/h/north/comment-book/", HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert [c.text for c in ratings.comment_book(day.hall)] == ["等了半小时，请回电 ***", "窗口服务很好"]
    assert "窗口服务很好" in page and "谢谢您的肯定" in page
    for private in ("138 0013 8000", "north-clerk", "B002", "A001", "Window"):
        assert private not in page


def test_unpublished_comment_is_not_in_the_book(client, day):
    response = client.get("/h/north/comment-book/")

    assert "窗口服务很好" not in response.content.decode()


def test_supervisor_publishes_in_the_moderation_page(client, day):
    rating = Rating.objects.get(ticket=day.tickets["A001"])
    client.force_login(day.supervisor)

    response = client.post(f"/h/north/reports/comments/{rating.pk}/", {"published": "on", "reply": "谢谢"})

    rating.refresh_from_db()
    assert (response.status_code, rating.published, rating.reply, rating.published_by) == (
        302,
        True,
        "谢谢",
        day.supervisor,
    )


def test_a_rating_without_comment_cannot_be_published(day):
    rating = Rating.objects.get(ticket=day.tickets["B004"])

    with pytest.raises(RatingError):
        publish_comment(rating=rating, user=day.supervisor, published=True)


def test_rating_scores_are_the_five_levels():
    with translation.override("en"):
        english = [(s.value, str(s.label)) for s in Score]
    assert english == [
        (5, "very satisfied"),
        (4, "satisfied"),
        (3, "fairly satisfied"),
        (2, "dissatisfied"),
        (1, "very dissatisfied"),
    ]
